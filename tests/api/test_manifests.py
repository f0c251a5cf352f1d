"""Manifest push and pull: every kind, exact bytes and types, the checks on PUT, and deletes."""

from __future__ import annotations

import json

import pytest

from berth_api.registry import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    EMPTY_JSON,
    OCI_CONFIG,
    OCI_EMPTY,
    OCI_INDEX,
    OCI_LAYER,
    OCI_MANIFEST,
    assert_error,
    assert_status,
    describe,
    descriptor,
    error_codes,
    image_manifest,
    index_manifest,
    push_image,
    random_bytes,
    sha256,
    sha512,
)

MIB = 1024 * 1024


def assert_served(reg, repo: str, reference: str, body: bytes, content_type: str, digest: str | None = None):
    """GET and HEAD by `reference` serve exactly `body` with the given type, length and digest."""
    digest = digest or sha256(body)
    got = assert_status(reg.manifest(repo, reference), 200)
    assert got.content == body, f"manifest bytes differ: {describe(got)}"
    assert got.headers.get("Content-Type") == content_type, describe(got)
    assert got.headers.get("Content-Length") == str(len(body)), describe(got)
    assert got.headers.get("Docker-Content-Digest") == digest, describe(got)
    head = assert_status(reg.head(f"/v2/{repo}/manifests/{reference}"), 200)
    assert head.content == b""
    assert head.headers.get("Content-Type") == content_type, describe(head)
    assert head.headers.get("Content-Length") == str(len(body)), describe(head)
    assert head.headers.get("Docker-Content-Digest") == digest, describe(head)


def assert_not_stored(reg, repo: str, body: bytes, tag: str | None = None):
    assert_error(reg.manifest(repo, sha256(body)), 404, "MANIFEST_UNKNOWN")
    if tag:
        assert_error(reg.manifest(repo, tag), 404, "MANIFEST_UNKNOWN")
        tags = reg.get(f"/v2/{repo}/tags/list")
        if tags.status_code == 200:
            assert tag not in (tags.json().get("tags") or []), describe(tags)
        else:
            assert_error(tags, 404, "NAME_UNKNOWN")


def test_oci_image_by_tag_and_digest(reg, repo):
    image = push_image(reg, repo, "v1", layer_count=2)
    assert_served(reg, repo, "v1", image.manifest, OCI_MANIFEST)
    assert_served(reg, repo, image.digest, image.manifest, OCI_MANIFEST)
    # Pushing by digest, then tagging the same bytes.
    other = push_image(reg, repo)
    assert_served(reg, repo, other.digest, other.manifest, OCI_MANIFEST)
    reg.push_manifest(repo, "v2", other.manifest, OCI_MANIFEST)
    assert_served(reg, repo, "v2", other.manifest, OCI_MANIFEST)


def test_nested_index(reg, repo):
    amd = push_image(reg, repo)
    arm = push_image(reg, repo)
    inner = index_manifest(
        [amd.descriptor(platform={"architecture": "amd64", "os": "linux"}), arm.descriptor(platform={"architecture": "arm64", "os": "linux"})]
    )
    inner_digest = reg.push_manifest(repo, "inner", inner, OCI_INDEX)
    outer = index_manifest([{"mediaType": OCI_INDEX, "digest": inner_digest, "size": len(inner)}, amd.descriptor()])
    reg.push_manifest(repo, "outer", outer, OCI_INDEX)
    assert_served(reg, repo, "inner", inner, OCI_INDEX)
    assert_served(reg, repo, "outer", outer, OCI_INDEX)


def test_sparse_index_is_accepted(reg, repo):
    missing = random_bytes(64)
    body = index_manifest(
        [{"mediaType": OCI_MANIFEST, "digest": sha256(missing), "size": 64, "platform": {"architecture": "s390x", "os": "linux"}}]
    )
    reg.push_manifest(repo, "sparse", body, OCI_INDEX)
    assert_served(reg, repo, "sparse", body, OCI_INDEX)


def test_docker_schema2_and_manifest_list(reg, repo):
    image = push_image(reg, repo, "d1", docker=True)
    assert_served(reg, repo, "d1", image.manifest, DOCKER_MANIFEST)
    body = index_manifest([image.descriptor(platform={"architecture": "amd64", "os": "linux"})], media_type=DOCKER_LIST)
    reg.push_manifest(repo, "list", body, DOCKER_LIST)
    assert_served(reg, repo, "list", body, DOCKER_LIST)


def test_artifact_with_artifact_type(reg, repo):
    reg.push_blob(repo, EMPTY_JSON)
    payload = b"an example artifact payload"
    reg.push_blob(repo, payload)
    body = image_manifest(
        descriptor(OCI_EMPTY, EMPTY_JSON),
        [descriptor("application/vnd.example.payload", payload)],
        artifact_type="application/vnd.example.thing.v1",
    )
    reg.push_manifest(repo, "artifact", body, OCI_MANIFEST)
    assert_served(reg, repo, "artifact", body, OCI_MANIFEST)


def test_subject_is_acknowledged_with_oci_subject(reg, repo):
    image = push_image(reg, repo, "v1")
    reg.push_blob(repo, EMPTY_JSON)
    body = image_manifest(
        descriptor(OCI_EMPTY, EMPTY_JSON), [descriptor(OCI_EMPTY, EMPTY_JSON)],
        artifact_type="application/vnd.example.sig", subject=image.descriptor(),
    )
    resp = assert_status(reg.put_manifest(repo, sha256(body), body, OCI_MANIFEST), 201)
    assert resp.headers.get("OCI-Subject") == image.digest, describe(resp)
    # A manifest without subject gets no OCI-Subject header.
    plain = push_image(reg, repo)
    resp = assert_status(reg.put_manifest(repo, "again", plain.manifest, OCI_MANIFEST), 201)
    assert "OCI-Subject" not in resp.headers, describe(resp)


def test_subject_that_does_not_exist_yet_is_accepted(reg, repo):
    reg.push_blob(repo, EMPTY_JSON)
    absent = {"mediaType": OCI_MANIFEST, "digest": sha256(b"not pushed yet"), "size": 14}
    body = image_manifest(descriptor(OCI_EMPTY, EMPTY_JSON), [], artifact_type="application/vnd.example.sig", subject=absent)
    resp = assert_status(reg.put_manifest(repo, sha256(body), body, OCI_MANIFEST), 201)
    assert resp.headers.get("OCI-Subject") == absent["digest"], describe(resp)


def test_media_type_from_content_type(reg, repo):
    """umoci-style manifests carry no mediaType: the request's Content-Type names the type, and
    GET answers with that Content-Type (without parameters)."""
    config = b'{"architecture":"amd64","os":"linux"}'
    reg.push_blob(repo, config)
    body = image_manifest(descriptor(OCI_CONFIG, config), [], media_type=None)
    assert b"mediaType\":\"application/vnd.oci.image.manifest" not in body
    reg.push_manifest(repo, "bare", body, OCI_MANIFEST + "; charset=utf-8")
    assert_served(reg, repo, "bare", body, OCI_MANIFEST)
    index = index_manifest([{"mediaType": OCI_MANIFEST, "digest": sha256(body), "size": len(body)}], media_type=None)
    reg.push_manifest(repo, "bare-index", index, OCI_INDEX)
    assert_served(reg, repo, "bare-index", index, OCI_INDEX)


def test_unknown_media_type_is_accepted(reg, repo):
    media_type = "application/vnd.example.unknown.manifest.v7+json"
    body = json.dumps({"schemaVersion": 2, "mediaType": media_type, "payload": {"x": [1, 2, 3]}}).encode()
    reg.push_manifest(repo, "odd", body, media_type)
    assert_served(reg, repo, "odd", body, media_type)


def test_manifest_is_kept_byte_for_byte(reg, repo):
    config = b'{"os":"linux"}'
    layer = random_bytes(100)
    reg.push_blob(repo, config)
    reg.push_blob(repo, layer)
    body = (
        '\n  {  "layers" : [ {"size":100,   "digest":"%s","mediaType":"%s"} ],\r\n'
        '\t"config":{"digest":"%s","size":14,"mediaType":"%s"},  "schemaVersion":2,'
        ' "annotations":{"z":"last","a":"first","unicode":"\\u00e9t\\u00e9 \u00e9"},'
        '  "mediaType": "%s"   }\n\n'
    ) % (sha256(layer), OCI_LAYER, sha256(config), OCI_CONFIG, OCI_MANIFEST)
    raw = body.encode()
    digest = reg.push_manifest(repo, "exact", raw, OCI_MANIFEST)
    assert digest == sha256(raw)
    assert_served(reg, repo, "exact", raw, OCI_MANIFEST)
    assert_served(reg, repo, digest, raw, OCI_MANIFEST)


def test_sha512_manifest(reg, repo):
    image = push_image(reg, repo)
    body = index_manifest([image.descriptor()], annotations={"kind": "sha512"})
    digest = sha512(body)
    resp = assert_status(reg.put_manifest(repo, digest, body, OCI_INDEX), 201)
    assert resp.headers.get("Docker-Content-Digest") == digest, describe(resp)
    assert resp.headers.get("Location") == f"/v2/{repo}/manifests/{digest}", describe(resp)
    assert_served(reg, repo, digest, body, OCI_INDEX, digest=digest)


def test_manifest_naming_a_blob_the_repository_lacks(reg, repo, new_repo):
    config = b'{"os":"linux","n":1}'
    reg.push_blob(repo, config)
    layer = random_bytes(500)
    # The layer is in another repository only: that does not count.
    reg.push_blob(new_repo("elsewhere"), layer)
    body = image_manifest(descriptor(OCI_CONFIG, config), [descriptor(OCI_LAYER, layer)])
    resp = reg.put_manifest(repo, "broken", body, OCI_MANIFEST)
    err = assert_error(resp, 400, "MANIFEST_BLOB_UNKNOWN")
    assert err["errors"][0].get("detail", {}).get("digest") == sha256(layer), describe(resp)
    assert_not_stored(reg, repo, body, "broken")
    # The config missing, by digest.
    body2 = image_manifest(descriptor(OCI_CONFIG, b'{"absent":true}'), [])
    assert_error(reg.put_manifest(repo, sha256(body2), body2, OCI_MANIFEST), 400, "MANIFEST_BLOB_UNKNOWN")
    assert_not_stored(reg, repo, body2)


@pytest.mark.parametrize(
    "body",
    [
        b"this is not json",
        b'{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": ',
        b"[1, 2, 3]",
        b"",
        b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","digest":"sha256:nothex","size":1},"layers":[]}',
        b'{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}',
    ],
    ids=["garbage", "truncated", "array", "empty", "bad-descriptor-digest", "image-without-config"],
)
def test_invalid_manifest(reg, repo, body):
    reg.push_blob(repo, b"make the repository exist")
    assert_error(reg.put_manifest(repo, "bad", body, OCI_MANIFEST), 400, "MANIFEST_INVALID")
    assert_not_stored(reg, repo, body, "bad")


def test_digest_mismatch_on_put_by_digest(reg, repo):
    image = push_image(reg, repo)
    body = index_manifest([image.descriptor()])
    wrong = sha256(body + b" ")
    assert_error(reg.put_manifest(repo, wrong, body, OCI_INDEX), 400, "DIGEST_INVALID")
    assert_not_stored(reg, repo, body)
    assert_error(reg.manifest(repo, wrong), 404, "MANIFEST_UNKNOWN")


def big_index(size: int) -> bytes:
    """An index of exactly `size` bytes (padded with an annotation), naming no manifests."""
    base = index_manifest([], annotations={"pad": ""})
    body = index_manifest([], annotations={"pad": "x" * (size - len(base))})
    assert len(body) == size
    return body


def test_manifest_over_4_mib_is_refused(reg, repo):
    body = big_index(4 * MIB + 1)
    resp = reg.put_manifest(repo, "huge", body, OCI_INDEX)
    assert_status(resp, 413)
    assert error_codes(resp), describe(resp)  # an error body of the spec's shape
    assert_not_stored(reg, repo, body, "huge")


@pytest.mark.parametrize("size", [3_900_000, 4 * MIB], ids=["3.9MB", "4MiB"])
def test_large_manifest_is_accepted(reg, repo, size):
    body = big_index(size)
    reg.push_manifest(repo, "large", body, OCI_INDEX)
    assert_served(reg, repo, "large", body, OCI_INDEX)


def test_if_none_match(reg, repo):
    image = push_image(reg, repo, "v1")
    for value in (f'"{image.digest}"', image.digest):
        resp = reg.get(f"/v2/{repo}/manifests/v1", headers={"If-None-Match": value})
        assert resp.status_code == 304, describe(resp)
        assert resp.content == b""
    resp = assert_status(reg.get(f"/v2/{repo}/manifests/v1", headers={"If-None-Match": '"sha256:other"'}), 200)
    assert resp.content == image.manifest
    assert resp.headers.get("ETag") == f'"{image.digest}"'


def test_retagging_moves_the_tag(reg, repo):
    first = push_image(reg, repo, "latest")
    second = push_image(reg, repo, "latest")
    assert_served(reg, repo, "latest", second.manifest, OCI_MANIFEST)
    assert_served(reg, repo, first.digest, first.manifest, OCI_MANIFEST)


def test_invalid_tag_on_get_is_404_and_on_put_400(reg, repo):
    image = push_image(reg, repo, "v1")
    assert_error(reg.manifest(repo, ".INVALID_MANIFEST_NAME"), 404, "MANIFEST_UNKNOWN")
    assert_error(reg.manifest(repo, "x" * 129), 404, "MANIFEST_UNKNOWN")
    assert_error(reg.put_manifest(repo, "-bad", image.manifest, OCI_MANIFEST), 400, "TAG_INVALID")
    assert_error(reg.put_manifest(repo, "x" * 129, image.manifest, OCI_MANIFEST), 400, "TAG_INVALID")
    reg.push_manifest(repo, "x" * 128, image.manifest, OCI_MANIFEST)


# -- deletes ---------------------------------------------------------------------------------


def test_delete_manifest_by_digest(reg, repo):
    image = push_image(reg, repo, "v1")
    reg.push_manifest(repo, "v2", image.manifest, OCI_MANIFEST)
    resp = assert_status(reg.delete(f"/v2/{repo}/manifests/{image.digest}"), 202)
    assert resp.content == b""
    assert_error(reg.manifest(repo, image.digest), 404, "MANIFEST_UNKNOWN")
    assert reg.head(f"/v2/{repo}/manifests/{image.digest}").status_code == 404
    # Its tags went with it.
    assert_error(reg.manifest(repo, "v1"), 404, "MANIFEST_UNKNOWN")
    assert_error(reg.manifest(repo, "v2"), 404, "MANIFEST_UNKNOWN")
    assert assert_status(reg.get(f"/v2/{repo}/tags/list"), 200).json()["tags"] == []
    assert_error(reg.delete(f"/v2/{repo}/manifests/{image.digest}"), 404, "MANIFEST_UNKNOWN")
    # The same bytes can be pushed again.
    reg.push_manifest(repo, "v3", image.manifest, OCI_MANIFEST)
    assert_served(reg, repo, "v3", image.manifest, OCI_MANIFEST)


def test_delete_tag_keeps_manifest(reg, repo):
    image = push_image(reg, repo, "v1")
    reg.push_manifest(repo, "v2", image.manifest, OCI_MANIFEST)
    assert_status(reg.delete(f"/v2/{repo}/manifests/v1"), 202)
    assert_error(reg.manifest(repo, "v1"), 404, "MANIFEST_UNKNOWN")
    assert_served(reg, repo, image.digest, image.manifest, OCI_MANIFEST)
    assert_served(reg, repo, "v2", image.manifest, OCI_MANIFEST)
    assert assert_status(reg.get(f"/v2/{repo}/tags/list"), 200).json()["tags"] == ["v2"]
    assert_error(reg.delete(f"/v2/{repo}/manifests/v1"), 404, "MANIFEST_UNKNOWN")


def test_delete_unknown(reg, repo, new_repo):
    push_image(reg, repo, "v1")
    assert_error(reg.delete(f"/v2/{repo}/manifests/{sha256(b'nothing')}"), 404, "MANIFEST_UNKNOWN")
    assert_error(reg.delete(f"/v2/{repo}/manifests/nope"), 404, "MANIFEST_UNKNOWN")
    never = new_repo("never")
    resp = reg.delete(f"/v2/{never}/manifests/{sha256(b'nothing')}")
    assert resp.status_code == 404, describe(resp)


def test_manifest_of_other_repository_is_not_served(reg, repo, new_repo):
    image = push_image(reg, repo, "v1")
    other = new_repo("other")
    push_image(reg, other, "v1")
    assert_error(reg.manifest(other, image.digest), 404, "MANIFEST_UNKNOWN")
    assert_error(reg.delete(f"/v2/{other}/manifests/{image.digest}"), 404, "MANIFEST_UNKNOWN")
    assert_served(reg, repo, image.digest, image.manifest, OCI_MANIFEST)


def test_media_type_that_cannot_be_served_is_refused(reg, repo):
    """A mediaType that is no RFC 6838 media type could never be sent back as Content-Type."""
    body = json.dumps({"schemaVersion": 2, "mediaType": "x\u0001y", "manifests": []}).encode()
    assert_error(reg.put_manifest(repo, "bad-type", body, None), 400, "MANIFEST_INVALID")
    assert_error(reg.manifest(repo, "bad-type"), 404, "MANIFEST_UNKNOWN")
