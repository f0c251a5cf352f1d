"""The system configuration (auth-config.md §1): Harbor's keys with their defaults, who may read
and change them, validation that refuses a whole change, and the keys that take effect at once:
project_creation_restriction, robot_name_prefix and token_expiration."""

from __future__ import annotations

import contextlib
import secrets

import pytest

from berth_api.harbor import Harbor, assert_api_error, assert_api_status
from berth_api.registry import Registry, describe

SECRET_KEYS = ("ldap_search_password", "oidc_client_secret", "uaa_client_secret")


def config(admin: Harbor) -> dict:
    return assert_api_status(admin.api("GET", "/configurations"), 200).json()


@contextlib.contextmanager
def configured(admin: Harbor, **values):
    """Sets keys for the block and puts the earlier values back afterwards."""
    before = config(admin)
    resp = admin.api("PUT", "/configurations", json=values)
    assert_api_status(resp, 200)
    try:
        yield
    finally:
        restore = {k: before[k]["value"] for k in values if k in before}
        assert_api_status(admin.api("PUT", "/configurations", json=restore), 200)


def test_the_configuration_lists_harbors_keys_with_defaults_and_hides_secrets(admin):
    body = config(admin)
    for key, default in [("auth_mode", "db_auth"), ("self_registration", False),
                         ("project_creation_restriction", "everyone"), ("read_only", False),
                         ("robot_name_prefix", "robot$"), ("robot_token_duration", 30),
                         ("storage_per_project", -1), ("notification_enable", True)]:
        assert key in body, f"{key} missing from {sorted(body)}"
        assert set(body[key]) == {"value", "editable"}, body[key]
        if key != "token_expiration":
            assert body[key]["value"] == default, (key, body[key])
    for key in SECRET_KEYS:
        assert key not in body, f"the secret {key} was shown"


def test_only_system_administrators_read_or_change_it(admin, user, registry_host):
    anonymous = Harbor(registry_host)
    assert_api_error(anonymous.api("GET", "/configurations"), 401, "UNAUTHORIZED")
    assert_api_error(user.api("GET", "/configurations"), 403, "FORBIDDEN")
    assert_api_error(user.api("PUT", "/configurations", json={"self_registration": True}), 403, "FORBIDDEN")
    assert_api_error(anonymous.api("PUT", "/configurations", json={"self_registration": True}), 401,
                     "UNAUTHORIZED")
    assert config(admin)["self_registration"]["value"] is False


def test_an_update_answers_200_without_a_json_body(admin):
    resp = assert_api_status(admin.api("PUT", "/configurations", json={}), 200)
    assert resp.content == b"", describe(resp)
    assert "json" not in resp.headers.get("Content-Type", ""), describe(resp)


@pytest.mark.parametrize("change", [
    {"token_expiration": 0},
    {"token_expiration": "30"},
    {"read_only": "yes"},
    {"project_creation_restriction": "nobody"},
    {"storage_per_project": 0},
    {"storage_per_project": 2 ** 51},
    {"ldap_url": "http://ldap.example"},
    {"oidc_scope": "profile,email"},
    {"robot_name_prefix": ""},
    {"skip_audit_log_database": True},
])
def test_invalid_values_are_refused_and_change_nothing(admin, change):
    before = config(admin)
    # A valid key beside the invalid one: the whole change is refused.
    body = {"banner_message": f"banner {secrets.token_hex(3)}", **change}
    assert_api_error(admin.api("PUT", "/configurations", json=body), 400, "BAD_REQUEST")
    assert config(admin) == before


def test_a_body_that_is_not_an_object_is_refused(admin):
    resp = admin.api("PUT", "/configurations", data=b"[1,2]", headers={"Content-Type": "application/json"})
    assert_api_error(resp, 400, "BAD_REQUEST")


def test_unknown_keys_are_ignored_and_known_ones_stored(admin):
    with configured(admin, robot_token_duration=45, no_such_key=1):
        body = config(admin)
        assert body["robot_token_duration"]["value"] == 45
        assert "no_such_key" not in body
    assert config(admin)["robot_token_duration"]["value"] == 30


def test_auth_mode_is_fixed_once_other_users_exist(admin, user):
    resp = admin.api("PUT", "/configurations", json={"auth_mode": "ldap_auth"})
    error = assert_api_error(resp, 400, "BAD_REQUEST")
    assert "auth mode" in error["message"]
    assert config(admin)["auth_mode"]["value"] == "db_auth"


def test_adminonly_project_creation_refuses_users_but_not_administrators(admin, user):
    with configured(admin, project_creation_restriction="adminonly"):
        body = {"project_name": f"p-{secrets.token_hex(4)}", "metadata": {"public": "false"}}
        assert_api_error(user.api("POST", "/projects", json=body), 403, "FORBIDDEN")
        admin.create_project()
    user.create_project()


def test_the_robot_name_prefix_names_robots_and_their_logins(admin, registry_host):
    project = admin.create_project()
    body = {"name": f"ci{secrets.token_hex(3)}", "level": "project", "duration": -1,
            "permissions": [{"kind": "project", "namespace": project,
                             "access": [{"resource": "repository", "action": "pull"}]}]}
    with configured(admin, robot_name_prefix="bot_"):
        created = assert_api_status(admin.api("POST", "/robots", json=body), 201).json()
        assert created["name"] == f"bot_{project}+{body['name']}", created
        assert_api_status(Registry(registry_host, (created["name"], created["secret"])).get("/v2/"), 200)
        old_name = f"robot${project}+{body['name']}"
        assert Registry(registry_host, (old_name, created["secret"])).get("/v2/").status_code == 401
    listed = assert_api_status(admin.api("GET", f"/robots/{created['id']}"), 200).json()
    assert listed["name"] == f"robot${project}+{body['name']}", listed


def test_token_expiration_sets_the_lifetime_of_registry_tokens(admin, registry_host):
    with configured(admin, token_expiration=7):
        resp = admin.get("/service/token", params={"service": "harbor-registry",
                                                   "scope": "repository:library/x:pull"})
        assert_api_status(resp, 200)
        assert resp.json()["expires_in"] == 7 * 60, resp.json()
