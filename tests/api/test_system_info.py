"""The system endpoints (api-conventions.md): /systeminfo with fewer fields for anonymous
callers, /systeminfo/volumes for administrators, /systeminfo/getcert, /health and /ping."""

from __future__ import annotations

import os

import pytest

from berth_api.harbor import Harbor, assert_api_error, assert_api_status

ANONYMOUS_KEYS = {"auth_mode", "primary_auth_mode", "self_registration", "banner_message", "oidc_provider_name"}
SIGNED_IN_KEYS = ANONYMOUS_KEYS | {"current_time", "read_only", "harbor_version", "external_url", "registry_url",
                                   "has_ca_root", "project_creation_restriction",
                                   "registry_storage_provider_name", "notification_enable"}


def object_storage() -> bool:
    return os.environ.get("BERTH_TEST_STORAGE_URL", "").startswith("s3://")


def test_anonymous_callers_see_only_the_sign_in_facts(registry_host):
    body = assert_api_status(Harbor(registry_host).api("GET", "/systeminfo"), 200).json()
    assert set(body) == ANONYMOUS_KEYS, body
    assert body["auth_mode"] == "db_auth"
    assert body["self_registration"] is False


def test_signed_in_callers_see_versions_urls_and_storage(user, registry_host):
    body = assert_api_status(user.api("GET", "/systeminfo"), 200).json()
    assert set(body) == SIGNED_IN_KEYS, body
    assert body["registry_url"] == registry_host
    assert body["external_url"] == f"http://{registry_host}"
    assert body["harbor_version"].startswith("v")
    assert body["read_only"] is False
    assert body["project_creation_restriction"] == "everyone"
    assert body["registry_storage_provider_name"] == ("s3" if object_storage() else "filesystem")
    assert body["current_time"].endswith("Z")


def test_volumes_are_for_administrators(admin, user, registry_host):
    assert_api_error(Harbor(registry_host).api("GET", "/systeminfo/volumes"), 401, "UNAUTHORIZED")
    assert_api_error(user.api("GET", "/systeminfo/volumes"), 403, "FORBIDDEN")
    body = assert_api_status(admin.api("GET", "/systeminfo/volumes"), 200).json()
    if object_storage():
        assert body == {"storage": []}
    else:
        (volume,) = body["storage"]
        assert volume["total"] > 0 and 0 <= volume["free"] <= volume["total"], volume


def test_there_is_no_ca_certificate_to_download(admin):
    assert_api_error(admin.api("GET", "/systeminfo/getcert"), 404, "NOT_FOUND")


def test_health_reports_each_component(registry_host):
    body = assert_api_status(Harbor(registry_host).api("GET", "/health"), 200).json()
    assert body["status"] == "healthy", body
    names = {c["name"]: c["status"] for c in body["components"]}
    assert names == {"core": "healthy", "database": "healthy", "registry": "healthy"}, body


def test_ping_answers_pong(registry_host):
    resp = assert_api_status(Harbor(registry_host).api("GET", "/ping"), 200)
    assert resp.text == "Pong"
