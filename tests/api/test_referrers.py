"""The referrers API: listing manifests by subject, filters, annotations, repository scope."""

from __future__ import annotations

from berth_api.registry import (
    EMPTY_JSON,
    OCI_EMPTY,
    OCI_INDEX,
    OCI_MANIFEST,
    assert_error,
    assert_status,
    describe,
    descriptor,
    image_manifest,
    index_manifest,
    push_image,
    sha256,
)

SBOM = "application/vnd.example.sbom.v1"
SIG_CONFIG = "application/vnd.example.signature.config.v1+json"
EMPTY_INDEX = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}


def referrers(reg, repo: str, digest: str, artifact_type: str | None = None):
    params = {"artifactType": artifact_type} if artifact_type else None
    resp = assert_status(reg.get(f"/v2/{repo}/referrers/{digest}", params=params), 200)
    assert resp.headers.get("Content-Type") == OCI_INDEX, describe(resp)
    return resp


def push_referrers(reg, repo: str, subject: dict) -> dict:
    """Pushes three referrers of `subject`; returns the descriptors the listing must show."""
    reg.push_blob(repo, EMPTY_JSON)
    sig_config = b'{"signer":"test"}'
    reg.push_blob(repo, sig_config)
    sbom = image_manifest(
        descriptor(OCI_EMPTY, EMPTY_JSON),
        [descriptor(OCI_EMPTY, EMPTY_JSON)],
        artifact_type=SBOM,
        subject=subject,
        annotations={"org.example.format": "json", "org.opencontainers.image.created": "2026-01-01T00:00:00Z"},
    )
    sig = image_manifest(descriptor(SIG_CONFIG, sig_config), [], subject=subject, annotations={"k": "v"})
    idx = index_manifest([], subject=subject, annotations={"kind": "index-referrer"})
    out = {}
    for name, body, media_type in (("sbom", sbom, OCI_MANIFEST), ("sig", sig, OCI_MANIFEST), ("idx", idx, OCI_INDEX)):
        resp = assert_status(reg.put_manifest(repo, sha256(body), body, media_type), 201)
        assert resp.headers.get("OCI-Subject") == subject["digest"], describe(resp)
        out[name] = {"mediaType": media_type, "digest": sha256(body), "size": len(body)}
    out["sbom"] |= {"artifactType": SBOM, "annotations": {"org.example.format": "json", "org.opencontainers.image.created": "2026-01-01T00:00:00Z"}}
    # No artifactType: the config's media type stands in.
    out["sig"] |= {"artifactType": SIG_CONFIG, "annotations": {"k": "v"}}
    # An index without artifactType: none is reported.
    out["idx"] |= {"annotations": {"kind": "index-referrer"}}
    return out


def by_digest(resp) -> dict:
    body = resp.json()
    assert body["schemaVersion"] == 2 and body["mediaType"] == OCI_INDEX, describe(resp)
    return {d["digest"]: d for d in body["manifests"]}


def test_no_referrers(reg, repo):
    image = push_image(reg, repo, "v1")
    assert referrers(reg, repo, image.digest).json() == EMPTY_INDEX
    assert referrers(reg, repo, sha256(b"unknown subject")).json() == EMPTY_INDEX


def test_unknown_repository_has_no_referrers(reg, repo):
    assert referrers(reg, repo, sha256(b"anything")).json() == EMPTY_INDEX


def test_referrers_listed_with_type_and_annotations(reg, repo):
    image = push_image(reg, repo, "v1")
    expected = push_referrers(reg, repo, image.descriptor())
    listed = by_digest(referrers(reg, repo, image.digest))
    assert listed == {d["digest"]: d for d in expected.values()}
    # Referrers name the subject by digest only: other manifests are unaffected.
    assert referrers(reg, repo, expected["sbom"]["digest"]).json() == EMPTY_INDEX


def test_artifact_type_filter(reg, repo):
    image = push_image(reg, repo, "v1")
    expected = push_referrers(reg, repo, image.descriptor())
    resp = referrers(reg, repo, image.digest, SBOM)
    assert resp.headers.get("OCI-Filters-Applied") == "artifactType", describe(resp)
    assert by_digest(resp) == {expected["sbom"]["digest"]: expected["sbom"]}
    resp = referrers(reg, repo, image.digest, SIG_CONFIG)
    assert resp.headers.get("OCI-Filters-Applied") == "artifactType", describe(resp)
    assert by_digest(resp) == {expected["sig"]["digest"]: expected["sig"]}
    resp = referrers(reg, repo, image.digest, "application/vnd.example.none")
    assert resp.headers.get("OCI-Filters-Applied") == "artifactType", describe(resp)
    assert resp.json() == EMPTY_INDEX
    # Without a filter, no filter header.
    assert "OCI-Filters-Applied" not in referrers(reg, repo, image.digest).headers


def test_referrer_pushed_before_its_subject(reg, repo):
    subject_body = index_manifest([], annotations={"late": "subject"})
    subject = {"mediaType": OCI_INDEX, "digest": sha256(subject_body), "size": len(subject_body)}
    expected = push_referrers(reg, repo, subject)
    assert len(by_digest(referrers(reg, repo, subject["digest"]))) == 3
    reg.push_manifest(repo, "late", subject_body, OCI_INDEX)
    assert by_digest(referrers(reg, repo, subject["digest"])) == {d["digest"]: d for d in expected.values()}


def test_referrers_do_not_leak_across_repositories(reg, repo, new_repo):
    image = push_image(reg, repo, "v1")
    other = new_repo("other")
    # The same subject digest in a second repository, with a referrer of its own there.
    reg.push_blob(other, image.config)
    for layer in image.layers:
        reg.push_blob(other, layer)
    reg.push_manifest(other, "v1", image.manifest, OCI_MANIFEST)
    reg.push_blob(other, EMPTY_JSON)
    theirs = image_manifest(descriptor(OCI_EMPTY, EMPTY_JSON), [], artifact_type="application/vnd.example.other", subject=image.descriptor())
    reg.push_manifest(other, sha256(theirs), theirs, OCI_MANIFEST)

    ours = push_referrers(reg, repo, image.descriptor())
    assert set(by_digest(referrers(reg, repo, image.digest))) == {d["digest"] for d in ours.values()}
    assert set(by_digest(referrers(reg, other, image.digest))) == {sha256(theirs)}
    assert referrers(reg, new_repo("third"), image.digest).json() == EMPTY_INDEX


def test_deleted_referrer_disappears(reg, repo):
    image = push_image(reg, repo, "v1")
    expected = push_referrers(reg, repo, image.descriptor())
    assert_status(reg.delete(f"/v2/{repo}/manifests/{expected['sig']['digest']}"), 202)
    listed = by_digest(referrers(reg, repo, image.digest))
    assert set(listed) == {expected["sbom"]["digest"], expected["idx"]["digest"]}


def test_referrers_with_invalid_digest(reg, repo):
    push_image(reg, repo, "v1")
    assert_error(reg.get(f"/v2/{repo}/referrers/sha256:short"), 400, "DIGEST_INVALID")
    assert_error(reg.get(f"/v2/{repo}/referrers/latest"), 400, "DIGEST_INVALID")
    assert_error(reg.get(f"/v2/{repo}/referrers/md5:{'a' * 32}"), 400, "DIGEST_INVALID")
