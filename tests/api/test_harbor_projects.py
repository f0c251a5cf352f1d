"""Harbor API v2.0: users, projects and who may see them (api-conventions.md, auth-config.md)."""

from __future__ import annotations

import base64
import json
import secrets

import pytest

from berth_api.harbor import API, Harbor, admin_password, assert_api_error, assert_api_status
from berth_api.registry import describe, push_image


@pytest.fixture(scope="module")
def admin(registry_host) -> Harbor:
    return Harbor(registry_host, "admin", admin_password())


@pytest.fixture(scope="module")
def anon(registry_host) -> Harbor:
    return Harbor(registry_host)


@pytest.fixture
def user(admin, registry_host) -> Harbor:
    name, password = admin.create_user()
    return Harbor(registry_host, name, password)


def test_ping_version_and_request_id(anon):
    resp = assert_api_status(anon.api("GET", "/ping"), 200)
    assert resp.text == "Pong"
    assert assert_api_status(anon.get("/api/version"), 200).json() == {"version": "v2.0"}
    resp = anon.api("GET", "/ping", headers={"X-Request-Id": "trace-me-42"})
    assert resp.headers["X-Request-Id"] == "trace-me-42"
    generated = anon.api("GET", "/ping").headers["X-Request-Id"]
    assert len(generated) == 36, generated


def test_current_user_needs_good_credentials(admin, registry_host):
    me = assert_api_status(admin.api("GET", "/users/current"), 200).json()
    assert me["username"] == "admin" and me["sysadmin_flag"] is True
    assert me["creation_time"].endswith("Z") and "." in me["creation_time"]
    assert "password" not in str(me).lower()
    wrong = Harbor(registry_host, "admin", admin_password() + "x")
    assert_api_error(wrong.api("GET", "/users/current"), 401, "UNAUTHORIZED")
    assert_api_error(Harbor(registry_host).api("GET", "/users/current"), 401, "UNAUTHORIZED")


def test_library_exists_and_is_public(anon):
    resp = assert_api_status(anon.api("GET", "/projects", params={"name": "library"}), 200)
    names = [p["name"] for p in resp.json()]
    assert "library" in names, describe(resp)
    lib = assert_api_status(anon.api("GET", "/projects/library"), 200).json()
    assert lib["metadata"]["public"] == "true"
    assert lib["owner_name"] == "admin"
    assert assert_api_status(anon.api("GET", f"/projects/{lib['project_id']}"), 200).json()["name"] == "library"


def test_creating_users_follows_harbors_rules(admin, user):
    assert_api_error(user.api("POST", "/users", json={"username": "x", "email": "x@y.io", "realname": "x", "password": "Passw0rdX"}), 403, "FORBIDDEN")
    anon = Harbor(admin.host)
    assert_api_error(anon.api("POST", "/users", json={"username": "x", "email": "x@y.io", "realname": "x", "password": "Passw0rdX"}), 401, "UNAUTHORIZED")
    name = f"u{secrets.token_hex(4)}"
    weak = {"username": name, "email": f"{name}@example.com", "realname": name, "password": "password"}
    err = assert_api_error(admin.api("POST", "/users", json=weak), 400, "BAD_REQUEST")
    assert "1 uppercase letter" in err["message"]
    for bad in ({"username": "a,b"}, {"email": "not-an-email"}, {"realname": "has$dollar"}):
        assert_api_error(admin.api("POST", "/users", json={**weak, "password": "Passw0rdX", **bad}), 400, "BAD_REQUEST")
    ok = {**weak, "password": "Passw0rdX"}
    resp = assert_api_status(admin.api("POST", "/users", json=ok), 201)
    assert resp.headers["Location"].startswith(f"{API}/users/")
    assert resp.content == b"" and "json" not in resp.headers.get("Content-Type", "")
    assert_api_error(admin.api("POST", "/users", json=ok), 409, "CONFLICT")
    assert_api_error(admin.api("POST", "/users", data=b"{not json"), 400, "BAD_REQUEST")
    assert_api_error(user.api("GET", "/users"), 403, "FORBIDDEN")
    listed = assert_api_status(admin.api("GET", "/users", params={"page_size": 100}), 200)
    assert int(listed.headers["X-Total-Count"]) >= 2


def test_a_private_project_is_seen_by_its_members_and_admins_only(admin, user, registry_host):
    name = user.create_project()
    other_name, other_pw = admin.create_user()
    other = Harbor(registry_host, other_name, other_pw)
    anon = Harbor(registry_host)

    mine = assert_api_status(user.api("GET", f"/projects/{name}"), 200).json()
    assert mine["metadata"]["public"] == "false"
    assert mine["current_user_role_id"] == 1 and mine["current_user_role_ids"] == [1]
    assert assert_api_status(admin.api("GET", f"/projects/{name}"), 200).json()["current_user_role_id"] == 0
    assert_api_error(anon.api("GET", f"/projects/{name}"), 401, "UNAUTHORIZED")
    assert_api_error(other.api("GET", f"/projects/{name}"), 403, "FORBIDDEN")

    def listed(client) -> list[str]:
        return [p["name"] for p in assert_api_status(client.api("GET", "/projects", params={"name": name}), 200).json()]

    assert listed(user) == [name]
    assert listed(admin) == [name]
    assert listed(other) == []
    assert listed(anon) == []
    # Anyone may ask whether a name is taken.
    assert anon.api("HEAD", "/projects", params={"project_name": name}).status_code == 200
    assert anon.api("HEAD", "/projects", params={"project_name": name + "-none"}).status_code == 404


def test_project_creation_rules(user, admin):
    assert_api_error(Harbor(admin.host).api("POST", "/projects", json={"project_name": "nobody-s"}), 401, "UNAUTHORIZED")
    for bad in ("UPPER", "-lead", "a b", "x" * 256, ""):
        assert_api_error(user.api("POST", "/projects", json={"project_name": bad}), 400, "BAD_REQUEST")
    assert_api_error(user.api("POST", "/projects", json={"project_name": "p" + secrets.token_hex(3), "metadata": {"public": "maybe"}}), 400, "BAD_REQUEST")
    name = "p" + secrets.token_hex(4)
    resp = assert_api_status(user.api("POST", "/projects", json={"project_name": name, "metadata": {"public": "true", "severity": "High"}}), 201)
    pid = resp.headers["Location"].rsplit("/", 1)[1]
    got = assert_api_status(user.api("GET", f"/projects/{pid}"), 200).json()
    assert got["name"] == name and got["metadata"]["public"] == "true" and got["metadata"]["severity"] == "high"
    assert_api_error(admin.api("POST", "/projects", json={"project_name": name}), 409, "CONFLICT")
    named = assert_api_status(user.api("POST", "/projects", json={"project_name": name + "-n"}, headers={"X-Resource-Name-In-Location": "true"}), 201)
    assert named.headers["Location"] == f"{API}/projects/{name}-n"


def test_numeric_project_names_need_x_is_resource_name(user):
    name = str(secrets.randbelow(10**9) + 10**9)
    user.create_project(name)
    by_name = assert_api_status(user.api("GET", f"/projects/{name}", headers={"X-Is-Resource-Name": "true"}), 200).json()
    assert by_name["name"] == name
    # Without the header a number is a project id, and no project has that id.
    assert_api_error(user.api("GET", f"/projects/{name}"), 404, "NOT_FOUND")


def test_paging_of_projects(user):
    prefix = "pg" + secrets.token_hex(3)
    for i in range(5):
        user.create_project(f"{prefix}-{i}")
    resp = assert_api_status(user.api("GET", "/projects", params={"name": prefix, "page": 2, "page_size": 2}), 200)
    assert [p["name"] for p in resp.json()] == [f"{prefix}-2", f"{prefix}-3"]
    assert resp.headers["X-Total-Count"] == "5"
    link = resp.headers["Link"]
    assert f'<{API}/projects?name={prefix}&page=1&page_size=2>; rel="prev"' in link, link
    assert f'<{API}/projects?name={prefix}&page=3&page_size=2>; rel="next"' in link, link
    for bad in ({"page_size": 101}, {"page": 0}, {"page_size": "x"}):
        assert_api_error(user.api("GET", "/projects", params=bad), 400, "BAD_REQUEST")


def test_only_an_empty_project_can_be_deleted(user, admin, registry_host):
    name = user.create_project()
    push_image(user, f"{name}/app", "v1")
    err = assert_api_error(user.api("DELETE", f"/projects/{name}"), 412, "PRECONDITION")
    assert "repositories" in err["message"]
    assert assert_api_status(user.api("GET", f"/projects/{name}"), 200).json()["repo_count"] == 1

    empty = user.create_project()
    other_name, other_pw = admin.create_user()
    assert_api_error(Harbor(registry_host, other_name, other_pw).api("DELETE", f"/projects/{empty}"), 403, "FORBIDDEN")
    resp = assert_api_status(user.api("DELETE", f"/projects/{empty}"), 200)
    assert resp.content == b"" and "json" not in resp.headers.get("Content-Type", "")
    assert_api_error(user.api("GET", f"/projects/{empty}"), 404, "NOT_FOUND")


def test_unknown_api_paths_answer_harbors_404(anon):
    assert_api_error(anon.api("GET", "/no-such-thing"), 404, "NOT_FOUND")


def test_deletable_summary_metadata_and_updates(user, admin, registry_host):
    name = user.create_project()
    assert assert_api_status(user.api("GET", f"/projects/{name}/_deletable"), 200).json() == {"deletable": True, "message": ""}
    push_image(user, f"{name}/app", "v1")
    d = assert_api_status(user.api("GET", f"/projects/{name}/_deletable"), 200).json()
    assert d["deletable"] is False and "repositories" in d["message"]

    guest_name, guest_pw = admin.create_user()
    assert_api_status(user.api("POST", f"/projects/{name}/members", json={"role_id": 3, "member_user": {"username": guest_name}}), 201)
    guest = Harbor(registry_host, guest_name, guest_pw)
    summary = assert_api_status(guest.api("GET", f"/projects/{name}/summary"), 200).json()
    assert summary["repo_count"] == 1 and summary["project_admin_count"] == 1 and summary["guest_count"] == 1
    assert summary["developer_count"] == 0
    assert_api_error(guest.api("GET", f"/projects/{name}/_deletable"), 403, "FORBIDDEN")
    assert_api_error(guest.api("GET", f"/projects/{name}/metadatas"), 403, "FORBIDDEN")
    assert assert_api_status(user.api("GET", f"/projects/{name}/metadatas"), 200).json()["public"] == "false"

    # Made public by its project admin: anonymous callers see it at once.
    anon = Harbor(registry_host)
    assert_api_error(anon.api("GET", f"/projects/{name}"), 401, "UNAUTHORIZED")
    assert_api_error(guest.api("PUT", f"/projects/{name}", json={"metadata": {"public": "true"}}), 403, "FORBIDDEN")
    assert_api_error(user.api("PUT", f"/projects/{name}", json={"metadata": {"severity": "extreme"}}), 400, "BAD_REQUEST")
    resp = assert_api_status(user.api("PUT", f"/projects/{name}", json={"metadata": {"public": "true", "auto_scan": True}}), 200)
    assert resp.content == b""
    got = assert_api_status(anon.api("GET", f"/projects/{name}"), 200).json()
    assert got["metadata"]["public"] == "true" and got["metadata"]["auto_scan"] == "true"
    token = assert_api_status(anon.get("/service/token", params={"service": "harbor-registry", "scope": f"repository:{name}/app:pull"}), 200)
    payload = token.json()["token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["access"][0]["actions"] == ["pull"], "a public project's images are pullable anonymously"


def test_metadata_keys_one_by_one(admin, registry_host):
    name, password = admin.create_user()
    owner = Harbor(registry_host, name, password)
    project = owner.create_project()
    base = f"/projects/{project}/metadatas"
    assert_api_status(owner.api("POST", base + "/", json={"auto_scan": "true"}), 200)
    assert owner.api("GET", f"{base}/auto_scan").json() == {"auto_scan": "true"}
    assert_api_status(owner.api("PUT", f"{base}/severity", json={"severity": "high"}), 200)
    assert owner.api("GET", base).json()["severity"] == "high"
    assert_api_error(owner.api("PUT", f"{base}/severity", json={"severity": "extreme"}), 400, "BAD_REQUEST")
    assert_api_error(owner.api("PUT", f"{base}/severity", json={"public": "true"}), 400, "BAD_REQUEST")
    assert_api_status(owner.api("DELETE", f"{base}/auto_scan"), 200)
    assert owner.api("GET", f"{base}/auto_scan").json() == {"auto_scan": "false"}
    assert_api_error(owner.api("GET", f"{base}/nothing"), 404, "NOT_FOUND")
    dev_name, dev_password = admin.create_user()
    member = {"role_id": 2, "member_user": {"username": dev_name}}
    assert_api_status(owner.api("POST", f"/projects/{project}/members", json=member), 201)
    developer = Harbor(registry_host, dev_name, dev_password)
    assert_api_error(developer.api("PUT", f"{base}/severity", json={"severity": "low"}), 403, "FORBIDDEN")
