"""Repositories, artifacts, tags and labels through Harbor's API (api-conventions.md §7-9,
registry-behaviour.md §5-6): what a push records, listing with Harbor's options and `q` filters,
copies, deletion rules and who may do what."""

from __future__ import annotations

import secrets
import time

import pytest

from berth_api.harbor import Harbor, assert_api_error, assert_api_status
from berth_api.registry import (
    EMPTY_JSON, OCI_EMPTY, OCI_INDEX, descriptor, encode, image_manifest, index_manifest, push_image, sha256,
)


@pytest.fixture
def project(admin) -> str:
    return admin.create_project()


def artifacts_path(project: str, repo: str) -> str:
    return f"/projects/{project}/repositories/{repo.replace('/', '%252F')}/artifacts"


def test_a_push_shows_up_as_repository_artifact_and_tag(admin, project):
    image = push_image(admin, f"{project}/app", "v1")
    repo = assert_api_status(admin.api("GET", f"/projects/{project}/repositories/app"), 200).json()
    assert repo["name"] == f"{project}/app" and repo["artifact_count"] == 1, repo
    listed = assert_api_status(admin.api("GET", f"/projects/{project}/repositories"), 200)
    assert listed.headers["X-Total-Count"] == "1"
    assert [r["name"] for r in listed.json()] == [f"{project}/app"]

    art = assert_api_status(admin.api("GET", f"{artifacts_path(project, 'app')}/v1"), 200).json()
    assert art["digest"] == image.digest
    assert art["type"] == "IMAGE"
    assert art["manifest_media_type"] == image.media_type
    assert art["media_type"] == "application/vnd.oci.image.config.v1+json"
    assert art["size"] == len(image.manifest) + len(image.config) + sum(len(x) for x in image.layers)
    assert art["extra_attrs"]["architecture"] == "amd64" and art["extra_attrs"]["os"] == "linux"
    assert art["pull_time"] == "0001-01-01T00:00:00.000Z"
    assert [t["name"] for t in art["tags"]] == ["v1"]
    assert art["tags"][0]["artifact_id"] == art["id"]
    assert "build_history" in art["addition_links"]
    by_digest = assert_api_status(admin.api("GET", f"{artifacts_path(project, 'app')}/{image.digest}"), 200)
    assert by_digest.json()["id"] == art["id"]


def test_nested_repository_names_are_double_encoded(admin, project):
    push_image(admin, f"{project}/team/app", "v1")
    resp = assert_api_status(admin.api("GET", f"/projects/{project}/repositories/team%252Fapp"), 200)
    assert resp.json()["name"] == f"{project}/team/app"
    arts = assert_api_status(admin.api("GET", artifacts_path(project, "team/app")), 200).json()
    assert len(arts) == 1
    link = arts[0]["addition_links"]["build_history"]["href"]
    assert "team%252Fapp" in link, link


def test_missing_things_answer_404(admin, project):
    push_image(admin, f"{project}/app", "v1")
    assert_api_error(admin.api("GET", f"/projects/{project}/repositories/nope"), 404, "NOT_FOUND")
    error = assert_api_error(admin.api("GET", f"{artifacts_path(project, 'app')}/v9"), 404, "NOT_FOUND")
    assert "v9" in error["message"]
    assert_api_error(admin.api("GET", f"/projects/no-{project}/repositories"), 404, "NOT_FOUND")


def test_artifact_listing_pages_sorts_and_filters(admin, project):
    pushed = [push_image(admin, f"{project}/app", f"v{i}") for i in range(5)]
    untagged = push_image(admin, f"{project}/app")
    path = artifacts_path(project, "app")
    resp = assert_api_status(admin.api("GET", path, params={"page_size": 2}), 200)
    assert resp.headers["X-Total-Count"] == "6"
    assert 'rel="next"' in resp.headers["Link"]
    newest_first = [a["digest"] for a in resp.json()]
    assert newest_first == [untagged.digest, pushed[4].digest]
    oldest = admin.api("GET", path, params={"sort": "push_time", "page_size": 1}).json()
    assert oldest[0]["digest"] == pushed[0].digest

    def digests(q: str) -> set[str]:
        return {a["digest"] for a in assert_api_status(admin.api("GET", path, params={"q": q}), 200).json()}

    assert digests("tags=nil") == {untagged.digest}
    assert len(digests("tags=*")) == 5
    assert digests("tags=v3") == {pushed[3].digest}
    assert len(digests("tags=~v")) == 5
    assert digests(f"digest={pushed[1].digest}") == {pushed[1].digest}
    without_tags = admin.api("GET", path, params={"with_tag": "false"}).json()
    assert all("tags" not in a for a in without_tags)


def test_untagged_children_of_an_index_are_hidden_unless_base_is_asked(admin, project):
    repo = f"{project}/multi"
    amd, arm = push_image(admin, repo), push_image(admin, repo)
    body = index_manifest([amd.descriptor(platform={"architecture": "amd64", "os": "linux"}),
                           arm.descriptor(platform={"architecture": "arm64", "os": "linux"})])
    index = admin.push_manifest(repo, "latest", body, OCI_INDEX)
    path = artifacts_path(project, "multi")
    listed = assert_api_status(admin.api("GET", path), 200).json()
    assert [a["digest"] for a in listed] == [index]
    (art,) = listed
    assert art["size"] == len(body) + sum(
        len(i.manifest) + len(i.config) + sum(len(x) for x in i.layers) for i in (amd, arm))
    refs = {r["child_digest"]: r for r in art["references"]}
    assert refs[amd.digest]["platform"]["architecture"] == "amd64"
    assert refs[arm.digest]["child_id"] > 0 and refs[arm.digest]["parent_id"] == art["id"]
    everything = admin.api("GET", path, params={"q": "base=*"}).json()
    assert {a["digest"] for a in everything} == {index, amd.digest, arm.digest}

    # A child an index names cannot be deleted; the index takes its untagged children along.
    error = assert_api_error(admin.api("DELETE", f"{path}/{amd.digest}"), 412, "VIOLATE_FOREIGN_KEY_CONSTRAINT")
    assert "referenced" in error["message"]
    assert_api_status(admin.api("DELETE", f"{path}/latest"), 200)
    for digest in (index, amd.digest, arm.digest):
        assert admin.manifest(repo, digest).status_code == 404


def test_accessories_are_listed_with_their_subject_not_beside_it(admin, project):
    repo = f"{project}/signed"
    image = push_image(admin, repo, "v1")
    admin.push_blob(repo, EMPTY_JSON)
    payload = b"signature-" + secrets.token_bytes(8)
    admin.push_blob(repo, payload)
    sig = image_manifest(descriptor(OCI_EMPTY, EMPTY_JSON),
                         [descriptor("application/jose+json", payload)],
                         artifact_type="application/vnd.cncf.notary.signature", subject=image.descriptor())
    sig_digest = admin.push_manifest(repo, sha256(sig), sig, None)
    path = artifacts_path(project, "signed")
    listed = assert_api_status(admin.api("GET", path, params={"with_accessory": "true"}), 200).json()
    assert [a["digest"] for a in listed] == [image.digest]
    (acc,) = listed[0]["accessories"]
    assert acc["digest"] == sig_digest and acc["type"] == "signature.notation"
    assert acc["subject_artifact_digest"] == image.digest and acc["subject_artifact_id"] == listed[0]["id"]
    listed_acc = assert_api_status(admin.api("GET", f"{path}/v1/accessories"), 200)
    assert listed_acc.headers["X-Total-Count"] == "1"
    assert [a["digest"] for a in listed_acc.json()] == [sig_digest]
    none = admin.api("GET", f"{path}/v1/accessories", params={"q": "type=signature.cosign"}).json()
    assert none == []
    # Deleting the subject deletes its signature.
    assert_api_status(admin.api("DELETE", f"{path}/v1"), 200)
    assert admin.manifest(repo, sig_digest).status_code == 404


def test_tags_are_listed_created_and_deleted(admin, project):
    image = push_image(admin, f"{project}/app", "v1")
    path = f"{artifacts_path(project, 'app')}/{image.digest}/tags"
    created = assert_api_status(admin.api("POST", path, json={"name": "stable"}), 201)
    assert "Location" not in created.headers
    names = [t["name"] for t in assert_api_status(admin.api("GET", path), 200).json()]
    assert names == ["stable", "v1"]
    assert admin.manifest(f"{project}/app", "stable").status_code == 200
    assert_api_error(admin.api("POST", path, json={"name": "stable"}), 409, "CONFLICT")
    assert_api_error(admin.api("POST", path, json={"name": "bad tag!"}), 400, "BAD_REQUEST")
    assert_api_status(admin.api("DELETE", f"{path}/stable"), 200)
    assert admin.manifest(f"{project}/app", "stable").status_code == 404
    assert_api_error(admin.api("DELETE", f"{path}/stable"), 404, "NOT_FOUND")


def test_an_artifact_is_copied_with_its_tag(admin, project):
    image = push_image(admin, f"{project}/src", "v1")
    other = admin.create_project()
    resp = admin.api("POST", f"/projects/{other}/repositories/dst/artifacts", params={"from": f"{project}/src:v1"})
    assert_api_status(resp, 201)
    assert resp.headers["Location"] == f"/api/v2.0/projects/{other}/repositories/dst/artifacts/v1"
    pulled = admin.manifest(f"{other}/dst", "v1")
    assert pulled.status_code == 200 and pulled.content == image.manifest
    assert admin.get(f"/v2/{other}/dst/blobs/{sha256(image.config)}").content == image.config
    by_digest = admin.api("POST", f"/projects/{other}/repositories/dst2/artifacts",
                          params={"from": f"{project}/src@{image.digest}"})
    assert_api_status(by_digest, 201)
    assert by_digest.headers["Location"].endswith(f"/repositories/dst2/artifacts/{image.digest}")
    # As in Harbor, a copy takes the tags of what it copies, whichever way it was named.
    assert admin.manifest(f"{other}/dst2", "v1").status_code == 200
    for bad in ("nonsense", f"{project}/src", f"{project}/src@sha256:zz"):
        resp = admin.api("POST", f"/projects/{other}/repositories/dst/artifacts", params={"from": bad})
        assert_api_error(resp, 400, "BAD_REQUEST")
    missing = admin.api("POST", f"/projects/{other}/repositories/dst/artifacts", params={"from": f"{project}/src:v9"})
    assert_api_error(missing, 404, "NOT_FOUND")


def test_a_copy_takes_every_tag_and_the_signatures(admin, project):
    repo = f"{project}/signed-src"
    image = push_image(admin, repo, "v1")
    admin.push_manifest(repo, "latest", image.manifest, image.media_type)
    admin.push_blob(repo, EMPTY_JSON)
    payload = secrets.token_bytes(12)
    admin.push_blob(repo, payload)
    sig = image_manifest(descriptor(OCI_EMPTY, EMPTY_JSON), [descriptor("application/jose+json", payload)],
                         artifact_type="application/vnd.cncf.notary.signature", subject=image.descriptor())
    sig_digest = admin.push_manifest(repo, sha256(sig), sig, None)
    other = admin.create_project()
    resp = admin.api("POST", f"/projects/{other}/repositories/copy/artifacts",
                     params={"from": f"{repo}@{image.digest}"})
    assert_api_status(resp, 201)
    copied = admin.api("GET", f"{artifacts_path(other, 'copy')}/{image.digest}",
                       params={"with_accessory": "true"}).json()
    assert sorted(t["name"] for t in copied["tags"]) == ["latest", "v1"]
    assert [a["digest"] for a in copied["accessories"]] == [sig_digest]
    assert admin.get(f"/v2/{other}/copy/blobs/{sha256(payload)}").content == payload
    listed = admin.api("GET", artifacts_path(other, "copy")).json()
    assert [a["digest"] for a in listed] == [image.digest]


def test_repository_description_and_deletion(admin, project):
    push_image(admin, f"{project}/app", "v1")
    path = f"/projects/{project}/repositories/app"
    resp = assert_api_status(admin.api("PUT", path, json={"description": "the app"}), 200)
    assert "json" not in resp.headers.get("Content-Type", "")
    assert admin.api("GET", path).json()["description"] == "the app"
    assert_api_status(admin.api("DELETE", path), 200)
    assert_api_error(admin.api("GET", path), 404, "NOT_FOUND")
    assert admin.manifest(f"{project}/app", "v1").status_code == 404
    assert_api_status(admin.api("DELETE", f"/projects/{project}"), 200)


def test_a_repository_whose_artifacts_are_gone_stays_until_deleted(admin, project):
    image = push_image(admin, f"{project}/app", "v1")
    assert_api_status(admin.api("DELETE", f"{artifacts_path(project, 'app')}/{image.digest}"), 200)
    repo = assert_api_status(admin.api("GET", f"/projects/{project}/repositories/app"), 200).json()
    assert repo["artifact_count"] == 0
    assert_api_error(admin.api("DELETE", f"/projects/{project}"), 412, "PRECONDITION")
    assert_api_status(admin.api("DELETE", f"/projects/{project}/repositories/app"), 200)
    assert_api_status(admin.api("DELETE", f"/projects/{project}"), 200)


def test_labels_are_attached_filtered_on_and_detached(admin, project):
    image = push_image(admin, f"{project}/app", "v1")
    push_image(admin, f"{project}/app", "v2")
    name = f"qa-{secrets.token_hex(3)}"
    resp = assert_api_status(admin.api("POST", "/labels", json={"name": name, "color": "#00AA00", "scope": "g"}), 201)
    label_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert_api_error(admin.api("POST", "/labels", json={"name": name, "scope": "g"}), 409, "CONFLICT")
    assert_api_error(admin.api("POST", "/labels", json={"name": "x", "color": "green"}), 400, "BAD_REQUEST")
    path = f"{artifacts_path(project, 'app')}/{image.digest}/labels"
    assert_api_status(admin.api("POST", path, json={"id": label_id}), 200)
    assert_api_error(admin.api("POST", path, json={"id": label_id}), 409, "CONFLICT")
    listed = admin.api("GET", artifacts_path(project, "app"),
                       params={"q": f"labels=({label_id})", "with_label": "true"}).json()
    assert [a["digest"] for a in listed] == [image.digest]
    assert listed[0]["labels"][0]["name"] == name
    assert_api_status(admin.api("DELETE", f"{path}/{label_id}"), 200)
    assert admin.api("GET", artifacts_path(project, "app"), params={"q": f"labels=({label_id})"}).json() == []
    assert_api_status(admin.api("DELETE", f"/labels/{label_id}"), 200)


def test_project_labels_belong_to_their_project(admin, project):
    pid = admin.api("GET", f"/projects/{project}").json()["project_id"]
    resp = assert_api_status(admin.api("POST", "/labels", json={"name": "p1", "scope": "p", "project_id": pid}), 201)
    label_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    listed = admin.api("GET", "/labels", params={"scope": "p", "project_id": pid}).json()
    assert [label["id"] for label in listed] == [label_id] and listed[0]["scope"] == "p"
    other = admin.create_project()
    image = push_image(admin, f"{other}/app", "v1")
    resp = admin.api("POST", f"{artifacts_path(other, 'app')}/{image.digest}/labels", json={"id": label_id})
    assert_api_error(resp, 400, "BAD_REQUEST")


def test_project_level_artifact_listing_spans_repositories(admin, project):
    a = push_image(admin, f"{project}/one", "v1")
    b = push_image(admin, f"{project}/two", "v1")
    listed = assert_api_status(admin.api("GET", f"/projects/{project}/artifacts"), 200).json()
    assert {x["digest"] for x in listed} == {a.digest, b.digest}
    assert {x["repository_name"] for x in listed} == {f"{project}/one", f"{project}/two"}


def test_build_history_comes_from_the_image_config(admin, project):
    repo = f"{project}/hist"
    config = encode({"architecture": "amd64", "os": "linux",
                     "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "ADD file"}]})
    layer = secrets.token_bytes(64)
    admin.push_blob(repo, config)
    admin.push_blob(repo, layer)
    body = image_manifest(descriptor("application/vnd.oci.image.config.v1+json", config),
                          [descriptor("application/vnd.oci.image.layer.v1.tar", layer)])
    admin.push_manifest(repo, "v1", body, None)
    resp = assert_api_status(admin.api("GET", f"{artifacts_path(project, 'hist')}/v1/additions/build_history"), 200)
    assert resp.json() == [{"created": "2024-01-01T00:00:00Z", "created_by": "ADD file"}]
    assert_api_error(admin.api("GET", f"{artifacts_path(project, 'hist')}/v1/additions/readme.md"), 404, "NOT_FOUND")


def test_private_repositories_are_hidden_from_outsiders(admin, user, registry_host, project):
    push_image(admin, f"{project}/secret", "v1")
    public = admin.create_project(public=True)
    push_image(admin, f"{public}/open", "v1")
    anonymous = Harbor(registry_host)
    for who in (user, anonymous):
        names = {r["name"] for r in who.api("GET", "/repositories", params={"page_size": 100}).json()}
        assert f"{project}/secret" not in names
        assert_api_status(who.api("GET", f"/projects/{public}/repositories/open/artifacts"), 200)
    assert_api_error(user.api("GET", f"/projects/{project}/repositories"), 403, "FORBIDDEN")
    assert_api_error(anonymous.api("GET", f"/projects/{project}/repositories"), 401, "UNAUTHORIZED")
    assert_api_error(user.api("DELETE", f"/projects/{public}/repositories/open"), 403, "FORBIDDEN")
    assert_api_error(anonymous.api("DELETE", f"{artifacts_path(public, 'open')}/v1"), 401, "UNAUTHORIZED")
    names = {r["name"] for r in admin.api("GET", "/repositories", params={"q": f"name=~{project}"}).json()}
    assert names == {f"{project}/secret"}


def test_pulls_count_on_the_repository_and_time_the_artifact_and_tag(admin, project):
    image = push_image(admin, f"{project}/app", "v1")
    for _ in range(3):
        assert admin.manifest(f"{project}/app", "v1").status_code == 200
    assert admin.head(f"/v2/{project}/app/manifests/v1").status_code == 200  # a HEAD is no pull
    deadline = time.monotonic() + 10
    while True:
        repo = admin.api("GET", f"/projects/{project}/repositories/app").json()
        if repo["pull_count"] >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert repo["pull_count"] == 3, repo
    art = admin.api("GET", f"{artifacts_path(project, 'app')}/{image.digest}").json()
    assert art["pull_time"] != "0001-01-01T00:00:00.000Z", art
    assert art["tags"][0]["pull_time"] != "0001-01-01T00:00:00.000Z", art["tags"]
