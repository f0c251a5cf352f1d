"""Robot accounts (rbac.md §5): creation with a secret shown once, Harbor's naming, the
permission list and its validation, logins on /v2 and at the token service, disabling, secret
refresh and deletion."""

from __future__ import annotations

import base64
import json
import secrets

import pytest

from berth_api.harbor import Harbor, admin_password, assert_api_error, assert_api_status
from berth_api.registry import Registry, describe, push_image


@pytest.fixture(scope="module")
def admin(registry_host) -> Harbor:
    return Harbor(registry_host, "admin", admin_password())


@pytest.fixture
def owned(admin, registry_host):
    """A project admin's client, the project's name and its id."""
    name, password = admin.create_user()
    owner = Harbor(registry_host, name, password)
    project = owner.create_project()
    pid = assert_api_status(owner.api("GET", f"/projects/{project}"), 200).json()["project_id"]
    return owner, project, pid


def robot_body(project: str, *pairs: tuple[str, str], name: str | None = None, duration: int = 30) -> dict:
    return {
        "name": name or f"ci{secrets.token_hex(3)}",
        "description": "build robot",
        "level": "project",
        "duration": duration,
        "permissions": [{"kind": "project", "namespace": project,
                         "access": [{"resource": r, "action": a, "effect": "allow"} for r, a in pairs]}],
    }


def token_actions(client: Registry, repo: str) -> list[str]:
    resp = client.get("/service/token", params={"service": "harbor-registry", "scope": f"repository:{repo}:pull,push"})
    assert resp.status_code == 200, describe(resp)
    payload = resp.json()["token"].split(".")[1]
    return sorted(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["access"][0]["actions"])


def test_a_project_robot_pushes_and_pulls_its_project_only(owned, admin, registry_host):
    owner, project, pid = owned
    resp = assert_api_status(owner.api("POST", "/robots", json=robot_body(project, ("repository", "push"), name="builder")), 201)
    created = resp.json()
    assert created["name"] == f"robot${project}+builder"
    assert resp.headers["Location"] == f"/api/v2.0/robots/{created['id']}"
    assert len(created["secret"]) >= 8 and created["expires_at"] > 0
    robot = Registry(registry_host, (created["name"], created["secret"]))
    image = push_image(robot, f"{project}/app", "v1")  # push implies pull for a project robot
    assert robot.get(f"/v2/{project}/app/tags/list").json()["tags"] == ["v1"]
    assert token_actions(robot, f"{project}/app") == ["pull", "push"]
    # Not a member anywhere else, and no deletes.
    assert robot.delete(f"/v2/{project}/app/manifests/{image.digest}").status_code == 401
    assert robot.post("/v2/library/x/blobs/uploads/").status_code == 401
    assert robot.get("/v2/_catalog").status_code == 401
    # The robot is listed for the project, with no secret.
    listed = assert_api_status(owner.api("GET", "/robots", params={"q": f"Level=project,ProjectID={pid}"}), 200).json()
    assert [r["name"] for r in listed] == [created["name"]]
    assert listed[0]["secret"] == "" and listed[0]["permissions"][0]["namespace"] == project
    got = assert_api_status(owner.api("GET", f"/robots/{created['id']}"), 200).json()
    assert got["level"] == "project" and got["duration"] == 30


def test_robot_requests_are_validated(owned, admin, registry_host):
    owner, project, pid = owned
    err = assert_api_error(owner.api("POST", "/robots", json=robot_body(project, ("repository", "fly"))), 400, "BAD_REQUEST")
    assert err["message"] == "bad request permission: repository:fly"
    assert_api_error(owner.api("POST", "/robots", json=robot_body(project, ("repository", "pull"), name="Bad+Name")), 400, "BAD_REQUEST")
    assert_api_error(owner.api("POST", "/robots", json=robot_body(project, ("repository", "pull"), duration=0)), 400, "BAD_REQUEST")
    body = robot_body(project, ("repository", "pull"), name="twice")
    assert_api_status(owner.api("POST", "/robots", json=body), 201)
    assert_api_error(owner.api("POST", "/robots", json=body), 409, "CONFLICT")
    # Only project admins create project robots, only administrators system robots.
    dev_name, dev_pw = admin.create_user()
    assert_api_status(owner.api("POST", f"/projects/{project}/members", json={"role_id": 2, "member_user": {"username": dev_name}}), 201)
    dev = Harbor(registry_host, dev_name, dev_pw)
    assert_api_error(dev.api("POST", "/robots", json=robot_body(project, ("repository", "pull"))), 403, "FORBIDDEN")
    system = {"name": f"sys{secrets.token_hex(3)}", "level": "system", "duration": -1,
              "permissions": [{"kind": "system", "namespace": "/", "access": [{"resource": "catalog", "action": "read"}]}]}
    assert_api_error(owner.api("POST", "/robots", json=system), 403, "FORBIDDEN")
    assert_api_error(Harbor(registry_host).api("POST", "/robots", json=system), 401, "UNAUTHORIZED")
    assert_api_error(owner.api("GET", "/robots"), 403, "FORBIDDEN")


def test_a_system_robot_reads_the_catalog_and_every_project(owned, admin, registry_host):
    owner, project, pid = owned
    push_image(owner, f"{project}/private", "v1")
    body = {"name": f"sys{secrets.token_hex(3)}", "level": "system", "duration": -1,
            "permissions": [{"kind": "system", "namespace": "/", "access": [{"resource": "catalog", "action": "read"}]},
                            {"kind": "project", "namespace": "*", "access": [{"resource": "repository", "action": "pull"}]}]}
    created = assert_api_status(admin.api("POST", "/robots", json=body), 201).json()
    assert created["name"] == f"robot${body['name']}" and created["expires_at"] == -1
    robot = Registry(registry_host, (created["name"], created["secret"]))
    assert robot.get("/v2/_catalog", params={"n": 10000}).status_code == 200
    assert robot.get(f"/v2/{project}/private/tags/list").status_code == 200
    assert robot.post(f"/v2/{project}/private/blobs/uploads/").status_code == 401
    assert any(r["name"] == created["name"] for r in assert_api_status(admin.api("GET", "/robots", params={"page_size": 100}), 200).json())


def test_disable_refresh_and_delete(owned, registry_host):
    owner, project, pid = owned
    created = assert_api_status(owner.api("POST", "/robots", json=robot_body(project, ("repository", "pull"))), 201).json()
    rid, name = created["id"], created["name"]
    robot = Registry(registry_host, (name, created["secret"]))
    assert robot.get(f"/v2/{project}/x/tags/list").status_code == 404  # authorized; nothing there yet
    short = name.split("+", 1)[1]
    update = {"name": short, "description": "off", "level": "project", "disable": True, "duration": 30,
              "permissions": robot_body(project, ("repository", "pull"))["permissions"]}
    assert_api_status(owner.api("PUT", f"/robots/{rid}", json=update), 200)
    assert robot.get(f"/v2/{project}/x/tags/list").status_code == 401, "a disabled robot is refused"
    assert_api_error(owner.api("PUT", f"/robots/{rid}", json={**update, "level": "system"}), 400, "BAD_REQUEST")
    assert_api_status(owner.api("PUT", f"/robots/{rid}", json={**update, "disable": False}), 200)
    assert robot.get(f"/v2/{project}/x/tags/list").status_code == 404
    # A new secret: the old one stops working at once.
    fresh = assert_api_status(owner.api("PATCH", f"/robots/{rid}", json={}), 200).json()["secret"]
    assert fresh and fresh != created["secret"]
    assert robot.get(f"/v2/{project}/x/tags/list").status_code == 401
    assert Registry(registry_host, (name, fresh)).get(f"/v2/{project}/x/tags/list").status_code == 404
    chosen = assert_api_status(owner.api("PATCH", f"/robots/{rid}", json={"secret": "Chosen5ecret"}), 200).json()
    assert chosen["secret"] == ""
    assert_api_error(owner.api("PATCH", f"/robots/{rid}", json={"secret": "weak"}), 400, "BAD_REQUEST")
    assert Registry(registry_host, (name, "Chosen5ecret")).get(f"/v2/{project}/x/tags/list").status_code == 404
    assert_api_status(owner.api("DELETE", f"/robots/{rid}"), 200)
    assert Registry(registry_host, (name, "Chosen5ecret")).get(f"/v2/{project}/x/tags/list").status_code == 401
    assert_api_error(owner.api("GET", f"/robots/{rid}"), 404, "NOT_FOUND")


def test_a_robot_creates_robots_only_within_its_own_rights(owned, registry_host):
    owner, project, pid = owned
    body = robot_body(project, ("robot", "create"), ("repository", "pull"))
    maker = assert_api_status(owner.api("POST", "/robots", json=body), 201).json()
    robot = Harbor(registry_host, maker["name"], maker["secret"])
    assert_api_error(robot.api("POST", "/robots", json=robot_body(project, ("repository", "push"))), 403, "FORBIDDEN")
    assert_api_error(robot.api("POST", "/robots", json=robot_body(project, ("member", "create"))), 403, "FORBIDDEN")
    child = assert_api_status(robot.api("POST", "/robots", json=robot_body(project, ("repository", "pull"))), 201).json()
    assert child["name"].startswith(f"robot${project}+")


def test_a_robot_needs_only_the_permission_an_api_call_checks(owned, registry_host):
    """A robot holding `artifact:list` and `repository:list` (not `project:read`) lists its
    private project's repositories and artifacts, and nothing of another project."""
    owner, project, _ = owned
    push_image(owner, f"{project}/app", "v1")
    body = robot_body(project, ("artifact", "list"), ("repository", "list"))
    created = assert_api_status(owner.api("POST", "/robots", json=body), 201).json()
    robot = Harbor(registry_host, created["name"], created["secret"])
    assert_api_status(robot.api("GET", f"/projects/{project}/repositories"), 200)
    arts = assert_api_status(robot.api("GET", f"/projects/{project}/repositories/app/artifacts"), 200).json()
    assert [t["name"] for t in arts[0]["tags"]] == ["v1"]
    assert_api_error(robot.api("DELETE", f"/projects/{project}/repositories/app/artifacts/v1"), 403, "FORBIDDEN")
    other = owner.create_project()
    push_image(owner, f"{other}/app", "v1")
    assert_api_error(robot.api("GET", f"/projects/{other}/repositories"), 403, "FORBIDDEN")
    # The robot's own private project shows in the cross-project listings; another does not.
    names = {r["name"] for r in robot.api("GET", "/repositories", params={"page_size": 100}).json()}
    assert f"{project}/app" in names and f"{other}/app" not in names
    found = robot.api("GET", "/search", params={"q": "app"}).json()["repository"]
    assert f"{project}/app" in {r["repository_name"] for r in found}
    assert f"{other}/app" not in {r["repository_name"] for r in found}
