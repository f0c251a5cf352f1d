"""oras-py pushes and pulls artifacts with their own artifactType, and the referrers API lists
artifacts whose subject is another manifest."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import oras.oci
import pytest

from berth_e2e.commands import write_file
from berth_e2e.oras_client import new_client
from berth_e2e.registry_api import OCI_INDEX, OCI_MANIFEST, describe, manifest_json, sha256_digest

ARTIFACT_TYPE = "application/vnd.berth.e2e.report.v1"
SIGNATURE_TYPE = "application/vnd.berth.e2e.signature.v1"
SBOM_TYPE = "application/vnd.berth.e2e.sbom.v1+json"
LAYER_TYPE = "application/vnd.berth.e2e.layer.v1+text"
CONFIG_TYPE = "application/vnd.berth.e2e.config.v1+json"


@dataclass
class Pushed:
    tag: str
    digest: str
    size: int
    response: object


@pytest.fixture
def oras_client(registry_host, credentials):
    return new_client(registry_host, credentials)


def push(oras_client, api, tmp_path, repo, tag, artifact_type, content: bytes, **kwargs) -> Pushed:
    """Pushes one file as an artifact with oras-py and returns the manifest's digest and size."""
    folder = tmp_path / tag
    payload = write_file(folder / "payload.txt", content)
    config = write_file(folder / "config.json", json.dumps({"tag": tag}))
    response = oras_client.push_artifact(
        f"{api.host}/{repo}:{tag}",
        artifact_type,
        files=[f"{payload}:{LAYER_TYPE}"],
        manifest_config=f"{config}:{CONFIG_TYPE}",
        manifest_annotations={"org.example.e2e": tag},
        **kwargs,
    )
    assert response.status_code == 201, f"oras push of {tag}: {describe(response)}"
    body, _ = api.fetch_manifest(repo, tag)
    return Pushed(tag, sha256_digest(body), len(body), response)


def test_push_pull_artifact_with_artifact_type(oras_client, api, new_repo, tmp_path):
    repo = new_repo()
    content = f"report {secrets.token_hex(16)}\n".encode() * 100
    pushed = push(oras_client, api, tmp_path, repo, "v1", ARTIFACT_TYPE, content)

    body, content_type = api.fetch_manifest(repo, pushed.digest)
    manifest = manifest_json(body)
    assert content_type == OCI_MANIFEST, f"artifact manifest served as {content_type!r}"
    assert manifest.get("artifactType") == ARTIFACT_TYPE, manifest
    assert manifest["config"]["mediaType"] == CONFIG_TYPE, manifest["config"]

    out = tmp_path / "pulled"
    files = oras_client.pull(target=f"{api.host}/{repo}:v1", outdir=str(out))
    assert [f.rsplit("/", 1)[-1] for f in files] == ["payload.txt"], files
    assert (out / "payload.txt").read_bytes() == content, "pulled artifact differs from the pushed one"


@pytest.fixture
def subject_with_referrers(oras_client, api, new_repo, tmp_path):
    """A subject artifact with two referrers of different artifactTypes (the second uploaded in
    chunks); returns (repo, subject, {artifactType: referrer})."""
    repo = new_repo()
    # The subject's content is fixed, so every run pushes the same subject digest into a new
    # repository: referrers leaking from one repository into another show up as extra entries.
    subject = push(oras_client, api, tmp_path, repo, "subject", ARTIFACT_TYPE, b"the subject\n")
    as_subject = oras.oci.Subject(mediaType=OCI_MANIFEST, digest=subject.digest, size=subject.size)
    referrers = {
        SIGNATURE_TYPE: push(
            oras_client, api, tmp_path, repo, "sig", SIGNATURE_TYPE,
            secrets.token_bytes(64), subject=as_subject,
        ),
        SBOM_TYPE: push(
            oras_client, api, tmp_path, repo, "sbom", SBOM_TYPE,
            json.dumps({"packages": [secrets.token_hex(8)]}).encode() * 2000,
            subject=as_subject, do_chunked=True, chunk_size=16 * 1024,
        ),
    }
    return repo, subject, referrers


def referrer_index(api, repo, digest, artifact_type=None):
    resp = api.referrers(repo, digest, artifact_type)
    assert resp.status_code == 200, f"referrers API not served: {describe(resp)}"
    content_type = resp.headers.get("Content-Type", "").split(";")[0].strip()
    assert content_type == OCI_INDEX, f"referrers served as {content_type!r}"
    index = resp.json()
    assert index.get("schemaVersion") == 2 and index.get("mediaType") == OCI_INDEX, index
    return resp, {m["digest"]: m for m in index["manifests"]}


def test_referrers_list_artifacts_with_subject(subject_with_referrers, api):
    repo, subject, referrers = subject_with_referrers

    _, listed = referrer_index(api, repo, subject.digest)
    expected = {p.digest: t for t, p in referrers.items()}
    assert set(listed) == set(expected), f"referrers {sorted(listed)}, expected {sorted(expected)}"
    for digest, artifact_type in expected.items():
        desc = listed[digest]
        assert desc["mediaType"] == OCI_MANIFEST, desc
        assert desc["artifactType"] == artifact_type, desc
        assert desc["size"] == referrers[artifact_type].size, desc
        tag = referrers[artifact_type].tag
        assert desc.get("annotations", {}).get("org.example.e2e") == tag, f"annotations lost: {desc}"

    _, none = referrer_index(api, repo, referrers[SIGNATURE_TYPE].digest)
    assert none == {}, f"a manifest nobody refers to has referrers: {none}"

    for artifact_type, pushed in referrers.items():
        assert pushed.response.headers.get("OCI-Subject") == subject.digest, (
            f"push of a {artifact_type} referrer did not answer OCI-Subject: {pushed.response.headers}"
        )


def test_referrers_artifact_type_filter(subject_with_referrers, api):
    repo, subject, referrers = subject_with_referrers

    resp, listed = referrer_index(api, repo, subject.digest, SIGNATURE_TYPE)
    assert resp.headers.get("OCI-Filters-Applied") == "artifactType", (
        f"filtered referrers without OCI-Filters-Applied: artifactType: {resp.headers}"
    )
    assert list(listed) == [referrers[SIGNATURE_TYPE].digest], f"filter returned {listed}"

    _, none = referrer_index(api, repo, subject.digest, "application/vnd.berth.e2e.unknown")
    assert none == {}, f"filter on an unused artifactType returned {none}"
