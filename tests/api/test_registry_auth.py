"""Registry authentication and authorization on /v2: the challenge, the token service, Basic
credentials, anonymous pulls of public projects, and private projects kept private
(registry-behaviour.md §2, rbac.md §4)."""

from __future__ import annotations

import base64
import json
import re
import secrets

import pytest

from berth_api.harbor import Harbor
from berth_api.registry import OCI_MANIFEST, Registry, assert_error, assert_status, describe, push_image, random_bytes, sha256, unique_repo


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def challenge_fields(resp) -> tuple[str, dict[str, str]]:
    header = resp.headers.get("WWW-Authenticate", "")
    scheme, _, rest = header.partition(" ")
    return scheme, dict(re.findall(r'(\w+)="([^"]*)"', rest))


def token_for(client: Registry, *scopes: str, service: str = "harbor-registry"):
    return client.get("/service/token", params=[("service", service), *(("scope", s) for s in scopes)])


def bearer(host: str, token: str) -> Registry:
    client = Registry(host, None)
    client.session.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.fixture(scope="module")
def anon(registry_host) -> Registry:
    return Registry(registry_host, None)


@pytest.fixture(scope="module")
def admin(registry_host) -> Harbor:
    from berth_api.harbor import admin_password

    return Harbor(registry_host, "admin", admin_password())


@pytest.fixture
def member(admin, registry_host):
    """A user who created a private project (and so is its project admin), and the project."""
    name, password = admin.create_user()
    user = Harbor(registry_host, name, password)
    return user, user.create_project()


@pytest.fixture
def outsider(admin, registry_host) -> Harbor:
    name, password = admin.create_user()
    return Harbor(registry_host, name, password)


def test_the_challenge_points_at_the_token_service(anon, registry_host):
    resp = anon.get("/v2/")
    assert_error(resp, 401, "UNAUTHORIZED")
    scheme, fields = challenge_fields(resp)
    assert scheme == "Bearer", describe(resp)
    assert fields["realm"] == f"http://{registry_host}/service/token"
    assert fields["service"] == "harbor-registry"
    assert "scope" not in fields
    repo = unique_repo("challenge")
    for method, expect in (("GET", "pull"), ("HEAD", "pull")):
        resp = anon.request(method, f"/v2/{repo}/manifests/latest")
        assert resp.status_code == 401, describe(resp)
        assert challenge_fields(resp)[1]["scope"] == f"repository:{repo}:{expect}"
    resp = anon.post(f"/v2/{repo}/blobs/uploads/")
    assert challenge_fields(resp)[1]["scope"] == f"repository:{repo}:pull,push"
    resp = anon.delete(f"/v2/{repo}/manifests/{sha256(b'x')}")
    assert challenge_fields(resp)[1]["scope"] == f"repository:{repo}:delete"


def test_anonymous_tokens_pull_public_projects_only(anon, admin, registry_host):
    repo = unique_repo("anon")
    image = push_image(admin, repo, "v1")
    resp = token_for(anon, f"repository:{repo}:pull,push")
    assert resp.status_code == 200, describe(resp)
    body = resp.json()
    assert body["expires_in"] == 1800 and body["issued_at"].endswith("Z")
    c = claims(body["token"])
    assert c["aud"] == "harbor-registry" and c["sub"] == ""
    assert c["access"] == [{"type": "repository", "name": repo, "actions": ["pull"]}]
    puller = bearer(registry_host, body["token"])
    got = assert_status(puller.get(f"/v2/{repo}/manifests/v1", headers={"Accept": OCI_MANIFEST}), 200)
    assert got.content == image.manifest
    assert puller.get(f"/v2/{repo}/blobs/{sha256(image.config)}").content == image.config
    # The same token cannot push, nor pull another repository.
    resp = puller.post(f"/v2/{repo}/blobs/uploads/")
    assert_error(resp, 401, "UNAUTHORIZED")
    # Credentials were sent and do not do: Harbor then challenges with Basic.
    assert challenge_fields(resp)[0] == "Basic"
    assert_error(puller.get(f"/v2/{unique_repo('other')}/tags/list"), 401, "UNAUTHORIZED")


def test_the_token_service_refuses_what_it_should(anon, admin, registry_host):
    assert anon.get("/service/token", params={"service": "harbor-registry"}).status_code == 401
    wrong = Registry(registry_host, ("admin", "Wr0ngPassword"))
    resp = token_for(wrong, "repository:library/x:pull")
    assert resp.status_code == 401, describe(resp)
    resp = token_for(admin, "repository:library/x:pull", service="elsewhere")
    assert resp.status_code == 400 and "Unable to handle service" in resp.text
    # Unknown types and names are listed with no actions.
    access = claims(token_for(admin, "thing:x:pull", "repository:nosuchproject/x:pull").json()["token"])["access"]
    assert access == [
        {"type": "thing", "name": "x", "actions": []},
        {"type": "repository", "name": "nosuchproject/x", "actions": []},
    ]
    # A forged token (another key) is no better than none.
    good = token_for(admin, "repository:library/x:pull").json()["token"]
    head, payload, _sig = good.split(".")
    forged = bearer(registry_host, f"{head}.{payload}.{base64.urlsafe_b64encode(b'0' * 32).decode().rstrip('=')}")
    # It counts as no credentials: pushing to library needs a login.
    assert_error(forged.post("/v2/library/x/blobs/uploads/"), 401, "UNAUTHORIZED")


def test_an_administrator_token_holds_every_action(admin, registry_host):
    repo = unique_repo("admintoken")
    token = token_for(admin, f"repository:{repo}:pull", "registry:catalog:*").json()["token"]
    access = {a["name"]: sorted(a["actions"]) for a in claims(token)["access"]}
    assert access == {repo: ["delete", "pull", "push"], "catalog": ["*"]}
    pusher = bearer(registry_host, token)
    image = push_image(pusher, repo, "v1")
    assert_status(pusher.delete(f"/v2/{repo}/manifests/{image.digest}"), 202)
    assert_status(pusher.get("/v2/_catalog"), 200)


def test_a_private_project_stays_private(member, outsider, anon, registry_host):
    user, project = member
    repo = f"{project}/app"
    image = push_image(user, repo, "v1")  # Basic credentials straight on /v2, as Harbor allows
    # The member's token can push and pull; project admins may delete too.
    actions = claims(token_for(user, f"repository:{repo}:pull,push").json()["token"])["access"][0]["actions"]
    assert sorted(actions) == ["delete", "pull", "push"]
    # Others get nothing: no token actions, and 401 on /v2 (Harbor challenges every refusal there).
    assert claims(token_for(outsider, f"repository:{repo}:pull").json()["token"])["access"][0]["actions"] == []
    assert claims(token_for(anon, f"repository:{repo}:pull").json()["token"])["access"][0]["actions"] == []
    for path in (f"/v2/{repo}/manifests/v1", f"/v2/{repo}/tags/list", f"/v2/{repo}/blobs/{sha256(image.config)}",
                 f"/v2/{repo}/referrers/{image.digest}"):
        resp = outsider.get(path)
        assert_error(resp, 401, "UNAUTHORIZED")
        assert resp.headers["WWW-Authenticate"] == 'Basic realm="harbor"', describe(resp)
        assert_error(anon.get(path), 401, "UNAUTHORIZED")
        assert_error(bearer(registry_host, token_for(outsider, f"repository:{repo}:pull").json()["token"]).get(path), 401, "UNAUTHORIZED")
    assert_error(outsider.post(f"/v2/{repo}/blobs/uploads/"), 401, "UNAUTHORIZED")


def test_a_mount_needs_pull_on_its_source(member, outsider):
    user, project = member
    secret_blob = random_bytes(777)
    digest = user.push_blob(f"{project}/hidden", secret_blob)
    # The outsider pushes to a repository of its own project, naming the private one as source:
    # no mount, just an upload session, and the blob stays unknown there.
    own = outsider.create_project()
    resp = outsider.post(f"/v2/{own}/x/blobs/uploads/", params={"mount": digest, "from": f"{project}/hidden"})
    assert resp.status_code == 202, describe(resp)
    resp = outsider.post(f"/v2/{own}/x/blobs/uploads/", params={"mount": digest})
    assert resp.status_code == 202, describe(resp)
    assert outsider.head(f"/v2/{own}/x/blobs/{digest}").status_code == 404
    # The member may mount from its own repository.
    resp = user.post(f"/v2/{project}/copy/blobs/uploads/", params={"mount": digest, "from": f"{project}/hidden"})
    assert resp.status_code == 201, describe(resp)


def test_public_content_mounts_with_a_token_for_the_target_only(member, admin, registry_host):
    """A blob in a public project can be read by anyone, so mounting it leaks nothing: a token
    that names only the target repository mounts it, with `from` and without."""
    user, project = member
    public_blob = random_bytes(555)
    digest = admin.push_blob(f"library/{secrets.token_hex(4)}", public_blob)
    target = f"{project}/mounted"
    token = token_for(user, f"repository:{target}:pull,push").json()["token"]
    client = bearer(registry_host, token)
    resp = client.post(f"/v2/{target}/blobs/uploads/", params={"mount": digest})
    assert resp.status_code == 201, describe(resp)
    assert client.get(f"/v2/{target}/blobs/{digest}").content == public_blob
    other = random_bytes(556)
    repo = f"library/{secrets.token_hex(4)}"
    other_digest = admin.push_blob(repo, other)
    resp = client.post(f"/v2/{target}/blobs/uploads/", params={"mount": other_digest, "from": repo})
    assert resp.status_code == 201, describe(resp)


def test_basic_credentials_on_v2(anon, registry_host, outsider):
    assert_status(outsider.get("/v2/"), 200)
    wrong = Registry(registry_host, ("admin", "Wr0ngPassword"))
    resp = wrong.get("/v2/")
    assert_error(resp, 401, "UNAUTHORIZED")
    assert resp.headers["WWW-Authenticate"] == 'Basic realm="harbor"'
    # The catalog is for system administrators only.
    resp = outsider.get("/v2/_catalog")
    assert_error(resp, 401, "UNAUTHORIZED")
    assert resp.headers["WWW-Authenticate"] == 'Basic realm="harbor"'


def test_pushing_into_a_project_that_does_not_exist_fails(admin):
    repo = f"nosuch{secrets.token_hex(4)}/app"
    resp = admin.post(f"/v2/{repo}/blobs/uploads/")
    assert_error(resp, 401, "UNAUTHORIZED")
    assert admin.api("GET", f"/projects/{repo.split('/')[0]}").status_code == 404
