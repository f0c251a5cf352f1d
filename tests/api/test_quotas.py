"""Project storage quotas (`/quotas`): usage counted exactly (each blob and manifest once per
project), enforced at push with Harbor's 403 DENIED, and given back on deletion."""

from __future__ import annotations

import json

import pytest

from berth_api.harbor import Harbor, assert_api_error, assert_api_status
from berth_api.registry import OCI_MANIFEST, assert_error, push_image, random_bytes, sha256


def project_quota(admin: Harbor, project: str) -> dict:
    pid = assert_api_status(admin.api("GET", f"/projects/{project}"), 200).json()["project_id"]
    quotas = assert_api_status(admin.api("GET", "/quotas", params={"reference": "project", "reference_id": pid}), 200)
    assert quotas.headers["X-Total-Count"] == "1"
    (quota,) = quotas.json()
    assert quota["ref"]["id"] == pid and quota["ref"]["name"] == project
    return quota


def expected_usage(admin: Harbor, project: str) -> int:
    """The sizes of the distinct manifests and blobs the project's artifacts hold, from the
    manifests themselves."""
    sizes: dict[str, int] = {}
    repos = assert_api_status(admin.api("GET", f"/projects/{project}/repositories",
                                        params={"page_size": 100}), 200).json()
    for repo in repos:
        name = repo["name"]
        short = name.split("/", 1)[1]
        arts = assert_api_status(admin.api("GET", f"/projects/{project}/repositories/{short}/artifacts",
                                           params={"page_size": 100}), 200).json()
        for art in arts:
            body = admin.manifest(name, art["digest"]).content
            sizes[art["digest"]] = len(body)
            doc = json.loads(body)
            for d in [doc.get("config"), *doc.get("layers", [])]:
                if d:
                    sizes[d["digest"]] = d["size"]
    return sum(sizes.values())


def test_usage_counts_each_blob_once_per_project(admin):
    project = admin.create_project()
    assert project_quota(admin, project)["used"]["storage"] == 0
    assert project_quota(admin, project)["hard"]["storage"] == -1
    one = push_image(admin, f"{project}/one", "v1", layer_count=2)
    used = project_quota(admin, project)["used"]["storage"]
    assert used == len(one.manifest) + len(one.config) + sum(map(len, one.layers))
    assert used == expected_usage(admin, project)

    # The same image in a second repository of the project adds nothing.
    for blob in [one.config, *one.layers]:
        admin.push_blob(f"{project}/two", blob)
    admin.push_manifest(f"{project}/two", "v1", one.manifest, OCI_MANIFEST)
    assert project_quota(admin, project)["used"]["storage"] == used
    # In another project it counts there too.
    other = admin.create_project()
    for blob in [one.config, *one.layers]:
        admin.push_blob(f"{other}/app", blob)
    admin.push_manifest(f"{other}/app", "v1", one.manifest, OCI_MANIFEST)
    assert project_quota(admin, other)["used"]["storage"] == used

    # Deleting one copy keeps the usage; deleting both gives it back.
    assert_api_status(admin.api("DELETE", f"/projects/{project}/repositories/two"), 200)
    assert project_quota(admin, project)["used"]["storage"] == used
    assert_api_status(admin.api("DELETE", f"/projects/{project}/repositories/one"), 200)
    assert project_quota(admin, project)["used"]["storage"] == 0
    assert project_quota(admin, other)["used"]["storage"] == used


def test_a_push_past_the_limit_is_refused_and_leaves_nothing(admin):
    project = admin.create_project()
    repo = f"{project}/app"
    image = push_image(admin, repo, "v1")
    quota = project_quota(admin, project)
    used = quota["used"]["storage"]
    assert_api_status(admin.api("PUT", f"/quotas/{quota['id']}", json={"hard": {"storage": used + 100}}), 200)
    assert project_quota(admin, project)["hard"]["storage"] == used + 100

    big = random_bytes(1000)
    resp = admin.post(f"/v2/{repo}/blobs/uploads/", params={"digest": sha256(big)}, data=big,
                      headers={"Content-Type": "application/octet-stream"})
    body = assert_error(resp, 403, "DENIED")
    assert "exceed the configured upper limit" in resp.text, body
    assert admin.head(f"/v2/{repo}/blobs/{sha256(big)}").status_code == 404
    assert project_quota(admin, project)["used"]["storage"] == used
    # Chunked uploads are refused at completion in the same way.
    start = admin.post(f"/v2/{repo}/blobs/uploads/")
    location = start.headers["Location"]
    done = admin.put(location, params={"digest": sha256(big)}, data=big,
                     headers={"Content-Type": "application/octet-stream"})
    assert_error(done, 403, "DENIED")
    # What the project already holds can still be pushed again (it adds nothing).
    admin.push_manifest(repo, "again", image.manifest, OCI_MANIFEST)

    assert_api_status(admin.api("PUT", f"/quotas/{quota['id']}", json={"hard": {"storage": -1}}), 200)
    admin.push_blob(repo, big)
    assert project_quota(admin, project)["used"]["storage"] == used + 1000


@pytest.mark.parametrize("hard", [0, -2, 1024 ** 5 + 1, "ten"])
def test_invalid_limits_are_refused(admin, hard):
    project = admin.create_project()
    quota = project_quota(admin, project)
    assert_api_error(admin.api("PUT", f"/quotas/{quota['id']}", json={"hard": {"storage": hard}}), 400, "BAD_REQUEST")


def test_quotas_are_for_system_administrators(admin, user, registry_host):
    project = admin.create_project()
    quota = project_quota(admin, project)
    assert_api_error(user.api("GET", "/quotas"), 403, "FORBIDDEN")
    assert_api_error(user.api("GET", f"/quotas/{quota['id']}"), 403, "FORBIDDEN")
    assert_api_error(user.api("PUT", f"/quotas/{quota['id']}", json={"hard": {"storage": 1}}), 403, "FORBIDDEN")
    anonymous = Harbor(registry_host)
    assert_api_error(anonymous.api("GET", "/quotas"), 401, "UNAUTHORIZED")
    assert_api_error(anonymous.api("PUT", f"/quotas/{quota['id']}", json={"hard": {"storage": 1}}), 401, "UNAUTHORIZED")
    assert_api_error(admin.api("GET", "/quotas/999999999"), 404, "NOT_FOUND")


def test_quota_listing_sorts_and_pages(admin):
    a, b = admin.create_project(), admin.create_project()
    push_image(admin, f"{a}/app", "v1", layer_count=3)
    listed = assert_api_status(admin.api("GET", "/quotas", params={"sort": "-used.storage", "page_size": 100}), 200).json()
    used = [q["used"]["storage"] for q in listed]
    assert used == sorted(used, reverse=True)
    assert {a, b} <= {q["ref"]["name"] for q in listed}
    ids = [q["id"] for q in assert_api_status(admin.api("GET", "/quotas", params={"sort": "bogus", "page_size": 100}), 200).json()]
    assert ids == sorted(ids)


def test_a_system_administrator_sets_a_new_projects_limit(admin, user):
    name = f"limited-{random_bytes(4).hex()}"
    body = {"project_name": name, "metadata": {"public": "false"}, "storage_limit": 4096}
    assert_api_status(admin.api("POST", "/projects", json=body), 201)
    assert project_quota(admin, name)["hard"]["storage"] == 4096
    summary = assert_api_status(admin.api("GET", f"/projects/{name}/summary"), 200).json()
    assert summary["quota"] == {"hard": {"storage": 4096}, "used": {"storage": 0}}
    push_image(admin, f"{name}/app", "v1")
    summary = admin.api("GET", f"/projects/{name}/summary").json()
    assert summary["quota"]["used"]["storage"] == expected_usage(admin, name) > 0

    # A user's own limit is not taken: the project gets storage_per_project.
    mine = f"mine-{random_bytes(4).hex()}"
    assert_api_status(user.api("POST", "/projects", json={"project_name": mine, "storage_limit": 1}), 201)
    assert project_quota(admin, mine)["hard"]["storage"] == -1
    for bad in [0, -2, 1024 ** 5 + 1]:
        resp = admin.api("POST", "/projects", json={"project_name": f"bad-{random_bytes(4).hex()}", "storage_limit": bad})
        assert_api_error(resp, 400, "BAD_REQUEST")


def test_quotas_count_but_do_not_refuse_when_disabled(admin):
    project = admin.create_project()
    repo = f"{project}/app"
    push_image(admin, repo, "v1")
    quota = project_quota(admin, project)
    used = quota["used"]["storage"]
    assert_api_status(admin.api("PUT", f"/quotas/{quota['id']}", json={"hard": {"storage": used + 10}}), 200)
    assert_api_status(admin.api("PUT", "/configurations", json={"quota_per_project_enable": False}), 200)
    try:
        big = random_bytes(1000)
        admin.push_blob(repo, big)
        assert project_quota(admin, project)["used"]["storage"] == used + 1000
    finally:
        assert_api_status(admin.api("PUT", "/configurations", json={"quota_per_project_enable": True}), 200)
    more = random_bytes(1000)
    resp = admin.post(f"/v2/{repo}/blobs/uploads/", params={"digest": sha256(more)}, data=more,
                      headers={"Content-Type": "application/octet-stream"})
    assert_error(resp, 403, "DENIED")
