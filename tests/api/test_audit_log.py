"""The audit log: every operation recorded with who, what and when, searchable by user,
operation, resource and time; visible to administrators, and per project to project admins."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from berth_api.harbor import Harbor, admin_password, assert_api_error, assert_api_status
from berth_api.registry import OCI_MANIFEST, push_image


@pytest.fixture(scope="module")
def admin(registry_host) -> Harbor:
    return Harbor(registry_host, "admin", admin_password())


def records(client: Harbor, path: str = "/audit-logs", at_least: int = 1, **q) -> list[dict]:
    """Matching records, once there are `at_least` of them (records are written off the
    request path, in batches) or after 5 seconds."""
    terms = ",".join(f"{k}={v}" for k, v in q.items())
    params = {"page_size": 100, **({"q": terms} if terms else {})}
    found: list[dict] = []
    for _ in range(50):
        found = assert_api_status(client.api("GET", path, params=params), 200).json()
        if len(found) >= at_least:
            break
        time.sleep(0.1)
    return found


def test_registry_operations_are_recorded(admin, registry_host):
    name, password = admin.create_user()
    user = Harbor(registry_host, name, password)
    project = user.create_project()
    repo = f"{project}/app"
    image = push_image(user, repo, "v1")
    assert user.get(f"/v2/{repo}/manifests/v1", headers={"Accept": OCI_MANIFEST}).status_code == 200
    assert user.head(f"/v2/{repo}/manifests/v1", headers={"Accept": OCI_MANIFEST}).status_code == 200
    assert user.delete(f"/v2/{repo}/manifests/{image.digest}").status_code == 202

    # Created the project, pushed, pulled, deleted: four records.
    mine = records(admin, at_least=4, username=name)
    seen = {(r["operation"], r["resource_type"], r["resource"]) for r in mine}
    assert ("create", "project", project) in seen
    assert ("create", "artifact", f"{repo}:v1") in seen
    assert ("pull", "artifact", f"{repo}:v1") in seen
    assert ("delete", "artifact", f"{repo}@{image.digest}") in seen
    # HEAD is not a pull.
    assert sum(1 for r in mine if r["operation"] == "pull") == 1
    for r in mine:
        assert r["username"] == name and r["op_time"].endswith("Z")

    pulls = records(admin, username=name, operation="pull")
    assert [r["operation"] for r in pulls] == ["pull"]
    fuzzy = records(admin, username=name, resource=f"~{project}")
    assert len(fuzzy) == len(mine)
    # The project's own log, for its project admin; the system-wide log shows them only their
    # projects' records.
    assert len(records(user, f"/projects/{project}/logs")) == len(mine)
    assert {r["resource"].split("/")[0].split(":")[0] for r in records(user)} == {project}


def test_time_ranges_and_bad_queries(admin):
    soon = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    assert records(admin, at_least=0, op_time=f"[{soon}~]") == []
    past = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert records(admin, op_time=f"[{past}~{soon}]")
    assert_api_error(admin.api("GET", "/audit-logs", params={"q": "username"}), 400, "BAD_REQUEST")
    assert_api_error(admin.api("GET", "/audit-logs", params={"q": "op_time=[yesterday~]"}), 400, "BAD_REQUEST")


def test_failed_logins_and_user_changes_are_recorded(admin, registry_host):
    name, password = admin.create_user()
    Harbor(registry_host, name, "Wr0ngPassword").api("GET", "/users/current")
    exts = records(admin, "/auditlog-exts", username=name)
    login = [r for r in exts if r["operation"] == "login"]
    assert login and login[0]["operation_result"] is False, exts
    created = records(admin, resource_type="user", resource=name, operation="create")
    assert created and created[0]["username"] == "admin"


def test_who_may_read_the_log(admin, registry_host):
    name, password = admin.create_user()
    user = Harbor(registry_host, name, password)
    assert_api_error(Harbor(registry_host).api("GET", "/audit-logs"), 401, "UNAUTHORIZED")
    assert_api_status(user.api("GET", "/auditlog-exts"), 200)
    assert_api_status(user.api("GET", "/audit-logs"), 200)
    assert_api_error(user.api("GET", "/projects/library/logs"), 403, "FORBIDDEN")
    assert_api_status(admin.api("GET", "/projects/library/logs"), 200)


def test_project_members_below_project_admin_do_not_read_its_audit_records(admin, registry_host):
    name, password = admin.create_user()
    owner = Harbor(registry_host, name, password)
    project = owner.create_project()
    guest_name, guest_pw = admin.create_user()
    assert_api_status(owner.api("POST", f"/projects/{project}/members", json={"role_id": 3, "member_user": {"username": guest_name}}), 201)
    guest = Harbor(registry_host, guest_name, guest_pw)
    assert records(owner, resource=f"~{project.upper()}"), "fuzzy resource search ignores case"
    seen = assert_api_status(guest.api("GET", "/audit-logs", params={"page_size": 100, "q": f"resource=~{project.upper()}"}), 200).json()
    assert [r for r in seen if r["username"] != guest_name] == []
