"""Blob GET/HEAD, Range requests, DELETE and cross-repository mounts."""

from __future__ import annotations

import pytest

from berth_api.registry import assert_error, assert_status, describe, random_bytes, sha256

SIZE = 2048


@pytest.fixture
def blob(reg, repo):
    data = random_bytes(SIZE)
    return data, reg.push_blob(repo, data)


def test_get_and_head(reg, repo, blob):
    data, digest = blob
    got = assert_status(reg.get(f"/v2/{repo}/blobs/{digest}"), 200)
    assert got.content == data
    assert got.headers.get("Content-Length") == str(SIZE)
    assert got.headers.get("Docker-Content-Digest") == digest
    head = assert_status(reg.head(f"/v2/{repo}/blobs/{digest}"), 200)
    assert head.content == b""
    assert head.headers.get("Content-Length") == str(SIZE)
    assert head.headers.get("Docker-Content-Digest") == digest


def test_unknown_blob(reg, repo, blob):
    missing = sha256(b"never pushed " + random_bytes(8))
    assert_error(reg.get(f"/v2/{repo}/blobs/{missing}"), 404, "BLOB_UNKNOWN")
    head = reg.head(f"/v2/{repo}/blobs/{missing}")
    assert head.status_code == 404 and head.content == b"", describe(head)


def test_blob_is_only_served_by_its_repository(reg, repo, blob, new_repo):
    _, digest = blob
    other = new_repo("other")
    reg.push_blob(other, b"other repository content")
    assert_error(reg.get(f"/v2/{other}/blobs/{digest}"), 404, "BLOB_UNKNOWN")
    assert reg.head(f"/v2/{other}/blobs/{digest}").status_code == 404


@pytest.mark.parametrize(
    "header, start, end",
    [
        ("bytes=500-1499", 500, 1499),
        ("bytes=500-", 500, SIZE - 1),
        ("bytes=-500", SIZE - 500, SIZE - 1),
        ("bytes=2000-5000", 2000, SIZE - 1),  # clamped to the end
        ("bytes=0-0", 0, 0),
        ("bytes=-5000", 0, SIZE - 1),  # a suffix longer than the blob is the whole blob
    ],
)
def test_range(reg, repo, blob, header, start, end):
    data, digest = blob
    resp = assert_status(reg.get(f"/v2/{repo}/blobs/{digest}", headers={"Range": header}), 206)
    assert resp.headers.get("Content-Range") == f"bytes {start}-{end}/{SIZE}", describe(resp)
    assert resp.headers.get("Content-Length") == str(end - start + 1), describe(resp)
    assert resp.content == data[start : end + 1]


@pytest.mark.parametrize("header", ["bytes=2048-", "bytes=5000-10000", "bytes=500-0", "bytes=-0"])
def test_unsatisfiable_range(reg, repo, blob, header):
    _, digest = blob
    resp = reg.get(f"/v2/{repo}/blobs/{digest}", headers={"Range": header})
    assert resp.status_code == 416, describe(resp)
    assert resp.headers.get("Content-Range") == f"bytes */{SIZE}", describe(resp)
    # A well-formed answer: the body is exactly as long as Content-Length says.
    assert resp.headers.get("Content-Length") == str(len(resp.content)), describe(resp)


def test_delete_blob(reg, repo, blob):
    _, digest = blob
    resp = assert_status(reg.delete(f"/v2/{repo}/blobs/{digest}"), 202)
    assert resp.content == b""
    assert_error(reg.get(f"/v2/{repo}/blobs/{digest}"), 404, "BLOB_UNKNOWN")
    assert reg.head(f"/v2/{repo}/blobs/{digest}").status_code == 404
    assert_error(reg.delete(f"/v2/{repo}/blobs/{digest}"), 404, "BLOB_UNKNOWN")


def test_delete_in_one_repository_leaves_the_other(reg, repo, blob, new_repo):
    data, digest = blob
    other = new_repo("other")
    assert reg.push_blob(other, data) == digest
    assert_status(reg.delete(f"/v2/{repo}/blobs/{digest}"), 202)
    assert reg.blob_content(other, digest) == data
    # Pushed again after the delete, it is served again.
    reg.push_blob(repo, data)
    assert reg.blob_content(repo, digest) == data


def test_delete_unknown_blob(reg, repo, blob):
    assert_error(reg.delete(f"/v2/{repo}/blobs/{sha256(b'no such blob')}"), 404, "BLOB_UNKNOWN")


def test_mount_from_repository(reg, repo, blob, new_repo):
    data, digest = blob
    target = new_repo("target")
    resp = reg.post(f"/v2/{target}/blobs/uploads/", params={"mount": digest, "from": repo})
    assert_status(resp, 201)
    assert resp.headers.get("Location") == f"/v2/{target}/blobs/{digest}", describe(resp)
    assert resp.headers.get("Docker-Content-Digest") == digest, describe(resp)
    assert assert_status(reg.get(resp.headers["Location"]), 200).content == data


def test_mount_of_blob_missing_from_source_starts_an_upload(reg, repo, blob, new_repo):
    _, digest = blob
    target = new_repo("target")
    elsewhere = new_repo("elsewhere")
    reg.push_blob(elsewhere, b"elsewhere has other content")
    data = random_bytes(1000)
    missing = sha256(data)
    # The blob exists in no repository at all, and: the blob exists, but not in `from`.
    for mount, source in ((missing, repo), (digest, elsewhere)):
        resp = reg.post(f"/v2/{target}/blobs/uploads/", params={"mount": mount, "from": source})
        assert_status(resp, 202)
        location = resp.headers.get("Location", "")
        assert location.startswith(f"/v2/{target}/blobs/uploads/"), describe(resp)
        assert resp.headers.get("Range") == "0-0", describe(resp)
        assert resp.headers.get("Docker-Upload-UUID") == location.rsplit("/", 1)[1], describe(resp)
    assert_error(reg.get(f"/v2/{target}/blobs/{digest}"), 404, "BLOB_UNKNOWN")
    # The session it opened is a real one.
    done = reg.put(f"{location}?digest={missing}", data=data, headers={"Content-Type": "application/octet-stream"})
    assert_status(done, 201)
    assert reg.blob_content(target, missing) == data


def test_mount_without_from(reg, repo, blob, new_repo):
    data, digest = blob
    target = new_repo("target")
    resp = reg.post(f"/v2/{target}/blobs/uploads/", params={"mount": digest})
    assert_status(resp, 201)
    assert resp.headers.get("Location") == f"/v2/{target}/blobs/{digest}", describe(resp)
    assert reg.blob_content(target, digest) == data
    # A digest the registry does not have: an upload session instead.
    resp = reg.post(f"/v2/{target}/blobs/uploads/", params={"mount": sha256(b"unknown to the registry")})
    assert_status(resp, 202)
    assert resp.headers.get("Location", "").startswith(f"/v2/{target}/blobs/uploads/"), describe(resp)


def test_mount_of_deleted_blob_is_refused(reg, repo, blob, new_repo):
    _, digest = blob
    assert_status(reg.delete(f"/v2/{repo}/blobs/{digest}"), 202)
    target = new_repo("target")
    resp = reg.post(f"/v2/{target}/blobs/uploads/", params={"mount": digest, "from": repo})
    assert_status(resp, 202)
    assert_error(reg.get(f"/v2/{target}/blobs/{digest}"), 404, "BLOB_UNKNOWN")


def test_mount_from_invalid_repository_name_falls_back_to_upload(reg, repo, blob, new_repo):
    """A `from` that is no valid name cannot be mounted from: a plain upload session, 202."""
    _, digest = blob
    target = new_repo("target")
    resp = reg.post(f"/v2/{target}/blobs/uploads/", params={"mount": digest, "from": "Not/A/Valid/Name"})
    assert_status(resp, 202)
    assert resp.headers.get("Location", "").startswith(f"/v2/{target}/blobs/uploads/"), describe(resp)
    assert_error(reg.get(f"/v2/{target}/blobs/{digest}"), 404, "BLOB_UNKNOWN")
