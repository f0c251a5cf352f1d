"""Harbor's permission matrix, role by role, on /v2 and on the Harbor API: system
administrator, project admin, maintainer, developer, guest, limited guest, a user who is not a
member, and anonymous callers (rbac.md §3), on a private and on a public project."""

from __future__ import annotations

import base64
import json

import pytest

from berth_api.harbor import Harbor, admin_password, assert_api_status
from berth_api.registry import OCI_MANIFEST, Registry, describe, push_image

ROLES = {"projectAdmin": 1, "developer": 2, "guest": 3, "maintainer": 4, "limitedGuest": 5}
CALLERS = ["sysadmin", "projectAdmin", "maintainer", "developer", "guest", "limitedGuest", "outsider", "anonymous"]
MEMBERS = ["projectAdmin", "maintainer", "developer", "guest", "limitedGuest"]


class World:
    def __init__(self, host: str):
        self.host = host
        self.admin = Harbor(host, "admin", admin_password())
        self.clients: dict[str, Harbor] = {"sysadmin": self.admin, "anonymous": Harbor(host)}
        for caller in ["projectAdmin", "maintainer", "developer", "guest", "limitedGuest", "outsider"]:
            name, password = self.admin.create_user()
            self.clients[caller] = Harbor(host, name, password)
        owner = self.clients["projectAdmin"]
        self.private = owner.create_project(public=False)
        self.public = owner.create_project(public=True)
        for project in (self.private, self.public):
            for role in MEMBERS[1:]:
                body = {"role_id": ROLES[role], "member_user": {"username": self.clients[role].session.auth[0]}}
                assert_api_status(owner.api("POST", f"/projects/{project}/members", json=body), 201)
        self.images = {p: push_image(owner, f"{p}/app", "v1") for p in (self.private, self.public)}


@pytest.fixture(scope="module")
def world(registry_host) -> World:
    return World(registry_host)


def token(world: World, caller: str, repo: str) -> str:
    resp = world.clients[caller].get("/service/token", params={"service": "harbor-registry", "scope": f"repository:{repo}:pull,push,delete"})
    assert resp.status_code == 200, describe(resp)
    return resp.json()["token"]


def token_actions(world: World, caller: str, repo: str) -> set[str]:
    payload = token(world, caller, repo).split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return set(claims["access"][0]["actions"])


def denied_status(caller: str) -> int:
    """A refusal on the Harbor API: 401 for anonymous callers, 403 for the others."""
    return 401 if caller == "anonymous" else 403


# On /v2 Harbor challenges every refusal with 401, authenticated or not.
V2_DENIED = 401


# Who holds what on the repository resource (rbac.md §3: pull, push, delete).
PULL = {"sysadmin", *MEMBERS}
PUSH = {"sysadmin", "projectAdmin", "maintainer", "developer"}
DELETE = {"sysadmin", "projectAdmin", "maintainer"}


@pytest.mark.parametrize("caller", CALLERS)
def test_token_actions_by_role(world, caller):
    for project, public in ((world.private, False), (world.public, True)):
        repo = f"{project}/app"
        expected = {a for a, holders in (("pull", PULL), ("push", PUSH), ("delete", DELETE)) if caller in holders}
        if public:
            expected.add("pull")
        assert token_actions(world, caller, repo) == expected, (caller, project)


@pytest.mark.parametrize("caller", CALLERS)
def test_pull_push_delete_with_basic_credentials(world, caller):
    client = world.clients[caller]
    for project, public in ((world.private, False), (world.public, True)):
        repo = f"{project}/app"
        image = world.images[project]
        pull = client.get(f"/v2/{repo}/manifests/v1", headers={"Accept": OCI_MANIFEST})
        if caller in PULL or public:
            if caller == "anonymous":
                # Without credentials a read is always challenged; the token flow lets it in.
                assert pull.status_code == 401, describe(pull)
                bearer = Registry(world.host, None)
                bearer.session.headers["Authorization"] = f"Bearer {token(world, caller, repo)}"
                pull = bearer.get(f"/v2/{repo}/manifests/v1", headers={"Accept": OCI_MANIFEST})
            assert pull.status_code == 200 and pull.content == image.manifest, (caller, describe(pull))
        else:
            assert pull.status_code == V2_DENIED, (caller, describe(pull))
        for path in (f"/v2/{repo}/tags/list", f"/v2/{repo}/referrers/{image.digest}"):
            resp = client.get(path)
            if caller in PULL or (public and caller != "anonymous"):
                assert resp.status_code == 200, (caller, describe(resp))
            else:
                assert resp.status_code == V2_DENIED, (caller, describe(resp))
        push = client.post(f"/v2/{repo}/blobs/uploads/")
        if caller in PUSH:
            assert push.status_code == 202, (caller, describe(push))
        else:
            assert push.status_code == V2_DENIED, (caller, describe(push))


@pytest.mark.parametrize("caller", CALLERS)
def test_deleting_a_manifest_by_role(world, caller):
    repo = f"{world.private}/del-{caller.lower()}"
    image = push_image(world.clients["projectAdmin"], repo, "v1")
    resp = world.clients[caller].delete(f"/v2/{repo}/manifests/{image.digest}")
    if caller in DELETE:
        assert resp.status_code == 202, (caller, describe(resp))
    else:
        assert resp.status_code == V2_DENIED, (caller, describe(resp))


# The Harbor API: (method, path template, body, who is allowed) on the private project.
API_CASES = [
    ("GET", "/projects/{p}", None, {"sysadmin", *MEMBERS}),
    ("GET", "/projects/{p}/members", None, {"sysadmin", "projectAdmin", "maintainer", "developer", "guest"}),
    ("POST", "/projects/{p}/members", "add", {"sysadmin", "projectAdmin"}),
]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("case", API_CASES, ids=lambda c: f"{c[0]} {c[1]}")
def test_harbor_api_by_role(world, caller, case):
    method, template, body, allowed = case
    kwargs = {}
    if body == "add":
        name, _ = world.admin.create_user()
        kwargs["json"] = {"role_id": 3, "member_user": {"username": name}}
    resp = world.clients[caller].api(method, template.format(p=world.private), **kwargs)
    if caller in allowed:
        assert resp.status_code in (200, 201), (caller, describe(resp))
    else:
        assert resp.status_code == denied_status(caller), (caller, describe(resp))


def test_project_admins_manage_members(world):
    owner, outsider = world.clients["projectAdmin"], world.clients["outsider"]
    project = world.private
    members = assert_api_status(owner.api("GET", f"/projects/{project}/members", params={"page_size": 100}), 200).json()
    roles = {m["entity_name"]: m["role_name"] for m in members}
    assert roles[owner.session.auth[0]] == "projectAdmin"
    assert roles[world.clients["limitedGuest"].session.auth[0]] == "limitedGuest"
    name = outsider.session.auth[0]
    resp = assert_api_status(owner.api("POST", f"/projects/{project}/members", json={"role_id": 3, "member_user": {"username": name}}), 201)
    mid = resp.headers["Location"].rsplit("/", 1)[1]
    assert resp.headers["Location"] == f"/api/v2.0/projects/{project}/members/{mid}"
    assert owner.api("POST", f"/projects/{project}/members", json={"role_id": 3, "member_user": {"username": name}}).status_code == 409
    assert owner.api("POST", f"/projects/{project}/members", json={"role_id": 9, "member_user": {"username": name}}).status_code == 400
    assert owner.api("POST", f"/projects/{project}/members", json={"role_id": 3, "member_user": {"username": "nobody-here"}}).status_code == 404
    # Now a guest: may pull, may not push.
    assert outsider.get(f"/v2/{project}/app/tags/list").status_code == 200
    assert outsider.post(f"/v2/{project}/app/blobs/uploads/").status_code == 401
    # Promoted to developer: may push.
    assert_api_status(owner.api("PUT", f"/projects/{project}/members/{mid}", json={"role_id": 2}), 200)
    assert assert_api_status(owner.api("GET", f"/projects/{project}/members/{mid}"), 200).json()["role_name"] == "developer"
    assert outsider.post(f"/v2/{project}/app/blobs/uploads/").status_code == 202
    # Removed: an outsider again.
    resp = assert_api_status(owner.api("DELETE", f"/projects/{project}/members/{mid}"), 200)
    assert resp.content == b""
    assert outsider.get(f"/v2/{project}/app/tags/list").status_code == 401
    assert owner.api("GET", f"/projects/{project}/members/{mid}").status_code == 404
    assert owner.api("GET", f"/projects/{project}/members/not-a-number").status_code == 400


def test_a_private_projects_names_stay_out_of_the_catalog_for_others(world):
    catalog = world.admin.get("/v2/_catalog", params={"n": 10000}).json()["repositories"]
    assert f"{world.private}/app" in catalog
    for caller in ("projectAdmin", "outsider", "anonymous"):
        assert world.clients[caller].get("/v2/_catalog").status_code == 401
    listed = [p["name"] for p in world.clients["outsider"].api("GET", "/projects", params={"name": world.private}).json()]
    assert listed == []


@pytest.mark.parametrize("caller", ["projectAdmin", "developer", "limitedGuest", "outsider"])
def test_current_user_permissions_follow_the_matrix(world, caller):
    client = world.clients[caller]
    pid = world.admin.api("GET", f"/projects/{world.private}").json()["project_id"]
    resp = client.api("GET", "/users/current/permissions", params={"scope": f"/project/{pid}", "relative": "true"})
    if caller == "outsider":
        assert assert_api_status(resp, 200).json() == [], describe(resp)
        return
    held = {(p["resource"], p["action"]) for p in assert_api_status(resp, 200).json()}
    assert ("repository", "pull") in held
    assert (("repository", "push") in held) == (caller in PUSH)
    assert (("member", "create") in held) == (caller == "projectAdmin")
    assert (("member", "list") in held) == (caller != "limitedGuest")
    absolute = client.api("GET", "/users/current/permissions", params={"scope": f"/project/{pid}"}).json()
    assert {"resource": f"/project/{pid}/repository", "action": "pull"} in absolute


# Repositories, artifacts, tags and labels on the private project (rbac.md §3): (method, path,
# what the case needs set up, who is allowed). `{r}` is a repository (or artifact) made for the
# one call, so that a delete or copy by one caller leaves the others theirs.
EVERYONE = {"sysadmin", *MEMBERS}
AUTHORS = {"sysadmin", "projectAdmin", "maintainer", "developer"}
MAINTAINERS = {"sysadmin", "projectAdmin", "maintainer"}
ARTIFACT_CASES = [
    ("GET", "/projects/{p}/repositories", None, EVERYONE),
    ("GET", "/projects/{p}/repositories/app", None, EVERYONE),
    ("PUT", "/projects/{p}/repositories/app", "describe", AUTHORS),
    ("DELETE", "/projects/{p}/repositories/{r}", "image", MAINTAINERS),
    ("GET", "/projects/{p}/artifacts", None, EVERYONE),
    ("GET", "/projects/{p}/repositories/app/artifacts", None, EVERYONE),
    ("GET", "/projects/{p}/repositories/app/artifacts/v1", None, EVERYONE),
    ("GET", "/projects/{p}/repositories/app/artifacts/v1/additions/build_history", None, EVERYONE),
    ("DELETE", "/projects/{p}/repositories/{r}/artifacts/v1", "image", MAINTAINERS),
    ("POST", "/projects/{p}/repositories/{r}/artifacts?from={p}/app:v1", None, AUTHORS),
    ("GET", "/projects/{p}/repositories/app/artifacts/v1/tags", None, EVERYONE),
    ("POST", "/projects/{p}/repositories/app/artifacts/v1/tags", "tag name", AUTHORS),
    ("DELETE", "/projects/{p}/repositories/app/artifacts/v1/tags/{r}", "tag", MAINTAINERS),
    ("POST", "/projects/{p}/repositories/app/artifacts/v1/labels", "label", AUTHORS),
]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("case", ARTIFACT_CASES, ids=lambda c: f"{c[0]} {c[1]}")
def test_artifact_api_by_role(world, caller, case):
    method, template, setup, allowed = case
    admin, project = world.admin, world.private
    unique = f"m-{caller.lower()}-{len(world.clients)}-{abs(hash(template)) % 10**6}"
    kwargs = {}
    if setup == "image":
        push_image(admin, f"{project}/{unique}", "v1")
    elif setup == "describe":
        kwargs["json"] = {"description": f"by {caller}"}
    elif setup == "tag name":
        kwargs["json"] = {"name": unique}
    elif setup == "tag":
        path = f"/projects/{project}/repositories/app/artifacts/v1/tags"
        assert_api_status(admin.api("POST", path, json={"name": unique}), 201)
    elif setup == "label":
        resp = assert_api_status(admin.api("POST", "/labels", json={"name": unique, "scope": "g"}), 201)
        kwargs["json"] = {"id": int(resp.headers["Location"].rsplit("/", 1)[1])}
    resp = world.clients[caller].api(method, template.format(p=project, r=unique), **kwargs)
    if caller in allowed:
        assert resp.status_code in (200, 201), (caller, describe(resp))
    else:
        assert resp.status_code == denied_status(caller), (caller, describe(resp))


@pytest.mark.parametrize("caller", ["outsider", "anonymous"])
def test_a_public_project_lists_but_does_not_show_a_repository_to_others(world, caller):
    client, project = world.clients[caller], world.public
    assert_api_status(client.api("GET", f"/projects/{project}/repositories"), 200)
    assert_api_status(client.api("GET", f"/projects/{project}/repositories/app/artifacts/v1"), 200)
    resp = client.api("GET", f"/projects/{project}/repositories/app")
    assert resp.status_code == denied_status(caller), describe(resp)
