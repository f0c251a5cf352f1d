"""skopeo against the registry: OCI and Docker schema2 copies, multi-platform indexes, inspect,
list-tags, delete and sync."""

from __future__ import annotations

import json
from pathlib import Path

from berth_e2e.layers import layer_files
from berth_e2e.oci_layout import OciLayout, sample_files
from berth_e2e.registry_api import (
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    describe,
    manifest_json,
    sha256_digest,
)

DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


def files_in_image(layout: OciLayout, tag: str) -> dict[str, bytes]:
    """All files of an image in a layout, layers applied in order (no whiteouts in our images)."""
    files: dict[str, bytes] = {}
    for layer in layout.manifest(tag)["layers"]:
        files.update(layer_files(layout.blob(layer["digest"])))
    return files


def test_copy_oci_layout_in_and_out(skopeo, client_env, api, layout, new_repo, tmp_path):
    files = sample_files("oci")
    digest = layout.new_image("v1", files)
    assert "mediaType" not in layout.manifest("v1"), "umoci was expected to omit mediaType"
    repo = new_repo()

    skopeo.copy(layout.ref("v1"), client_env.docker_ref(repo, "v1"))

    body, content_type = api.fetch_manifest(repo, "v1")
    assert sha256_digest(body) == digest, "registry changed the manifest bytes skopeo pushed"
    assert content_type == OCI_MANIFEST, (
        f"a manifest without mediaType pushed as {OCI_MANIFEST} came back as {content_type!r}"
    )
    head = api.head_manifest(repo, digest)
    assert head.status_code == 200, describe(head)
    assert head.headers.get("Docker-Content-Digest") == digest, head.headers
    assert int(head.headers.get("Content-Length", -1)) == len(body), head.headers

    out = OciLayout(tmp_path / "out")
    skopeo.copy(client_env.docker_ref(repo, "v1"), out.ref("v1"))
    assert out.descriptor("v1")["digest"] == digest, "manifest digest changed on the way out"
    assert files_in_image(out, "v1") == files, "files in the pulled image differ from those pushed"


def test_copy_docker_schema2_in_and_out(skopeo, client_env, api, layout, new_repo, tmp_path):
    files = sample_files("v2s2")
    layout.new_image("v1", files)
    repo = new_repo()

    skopeo.copy(layout.ref("v1"), client_env.docker_ref(repo, "v1"), "--format", "v2s2")

    body, content_type = api.fetch_manifest(repo, "v1")
    manifest = manifest_json(body)
    assert content_type == DOCKER_MANIFEST, f"schema2 manifest served as {content_type!r}"
    assert manifest["mediaType"] == DOCKER_MANIFEST
    assert manifest["config"]["mediaType"] == DOCKER_CONFIG, manifest["config"]
    assert [l["mediaType"] for l in manifest["layers"]] == [DOCKER_LAYER] * len(files), manifest
    digest = sha256_digest(body)

    out = tmp_path / "out-dir"
    skopeo.copy(client_env.docker_ref(repo, "v1"), f"dir:{out}")
    pulled = (out / "manifest.json").read_bytes()
    assert sha256_digest(pulled) == digest, "schema2 manifest changed on the way out"
    got: dict[str, bytes] = {}
    for layer in manifest["layers"]:
        blob = (out / layer["digest"].split(":", 1)[1]).read_bytes()
        assert sha256_digest(blob) == layer["digest"], f"layer {layer['digest']} corrupted"
        got.update(layer_files(blob))
    assert got == files, "files in the pulled schema2 image differ from those pushed"


def test_copy_all_multi_platform_index(skopeo, client_env, api, layout, new_repo, tmp_path):
    amd64 = layout.new_image("amd64", sample_files("amd64"), architecture="amd64")
    arm64 = layout.new_image("arm64", sample_files("arm64"), architecture="arm64")
    index_digest = layout.add_index("multi", ["amd64", "arm64"])
    repo = new_repo()

    skopeo.copy(layout.ref("multi"), client_env.docker_ref(repo, "multi"), "--all")

    body, content_type = api.fetch_manifest(repo, "multi")
    assert content_type == OCI_INDEX, f"index served as {content_type!r}"
    assert sha256_digest(body) == index_digest, "registry changed the index bytes"
    index = manifest_json(body)
    platforms = {m["digest"]: m["platform"]["architecture"] for m in index["manifests"]}
    assert platforms == {amd64: "amd64", arm64: "arm64"}, platforms
    for child in (amd64, arm64):
        child_body, child_type = api.fetch_manifest(repo, child)
        assert sha256_digest(child_body) == child, f"child {child} served with other bytes"
        assert child_type == OCI_MANIFEST, f"child {child} served as {child_type!r}"

    out = OciLayout(tmp_path / "out")
    skopeo.copy(client_env.docker_ref(repo, "multi"), out.ref("multi"), "--all")
    assert out.descriptor("multi")["digest"] == index_digest, "index digest changed on the way out"
    for child, tag in ((amd64, "amd64"), (arm64, "arm64")):
        pulled = manifest_json(out.blob(child))
        for layer in pulled["layers"]:
            assert out.blob_path(layer["digest"]).exists(), f"{tag} layer missing after copy --all"


def test_inspect_raw_and_config(skopeo, client_env, api, layout, new_repo):
    digest = layout.new_image("v1", sample_files("inspect"), architecture="arm64")
    manifest = layout.manifest("v1")
    repo = new_repo()
    ref = client_env.docker_ref(repo, "v1")
    skopeo.copy(layout.ref("v1"), ref)

    raw = skopeo.inspect(ref, "--raw").encode()
    assert sha256_digest(raw) == digest, "skopeo inspect --raw did not return the pushed manifest"

    info = json.loads(skopeo.inspect(ref))
    assert info["Digest"] == digest, info
    assert info["Architecture"] == "arm64" and info["Os"] == "linux", info
    assert info["Layers"] == [l["digest"] for l in manifest["layers"]], info
    assert "v1" in info["RepoTags"], info

    config = json.loads(skopeo.inspect(ref, "--config"))
    assert config["architecture"] == "arm64", config
    assert len(config["rootfs"]["diff_ids"]) == len(manifest["layers"]), config
    raw_config = skopeo.inspect(ref, "--config", "--raw").encode()
    assert sha256_digest(raw_config) == manifest["config"]["digest"], "config bytes changed"


def test_list_tags(skopeo, client_env, layout, new_repo):
    layout.new_image("v1", sample_files("tags"))
    repo = new_repo()
    tags = ["1.0", "1.0.1", "latest", "stable"]
    for tag in tags:
        skopeo.copy(layout.ref("v1"), client_env.docker_ref(repo, tag))

    listed = skopeo.list_tags(f"docker://{client_env.registry}/{repo}")
    assert sorted(listed) == sorted(tags), f"list-tags returned {listed}"


def test_delete_by_digest(skopeo, client_env, api, layout, new_repo):
    digest = layout.new_image("v1", sample_files("delete"))
    repo = new_repo()
    skopeo.copy(layout.ref("v1"), client_env.docker_ref(repo, "v1"))
    api.fetch_manifest(repo, digest)

    skopeo.delete(client_env.docker_ref(repo, digest))

    by_digest = api.get_manifest(repo, digest)
    assert by_digest.status_code == 404, f"deleted manifest still served: {describe(by_digest)}"
    codes = [e.get("code") for e in by_digest.json().get("errors", [])]
    assert "MANIFEST_UNKNOWN" in codes, f"404 without MANIFEST_UNKNOWN: {describe(by_digest)}"
    by_tag = api.get_manifest(repo, "v1")
    assert by_tag.status_code == 404, f"tag of a deleted manifest still resolves: {describe(by_tag)}"


def test_sync_repository_to_dir(skopeo, client_env, api, layout, new_repo, tmp_path):
    digests = {
        "v1": layout.new_image("v1", sample_files("sync-v1")),
        "v2": layout.new_image("v2", sample_files("sync-v2")),
    }
    repo = new_repo()
    for tag in digests:
        skopeo.copy(layout.ref(tag), client_env.docker_ref(repo, tag))

    out = tmp_path / "sync"
    skopeo.sync(f"{client_env.registry}/{repo}", out)

    found = {}
    for manifest_path in out.rglob("manifest.json"):
        tag = manifest_path.parent.name.rsplit(":", 1)[-1]
        found[tag] = sha256_digest(manifest_path.read_bytes())
        for layer in manifest_json(manifest_path.read_bytes())["layers"]:
            blob = manifest_path.parent / layer["digest"].split(":", 1)[1]
            assert sha256_digest(blob.read_bytes()) == layer["digest"], f"{blob} corrupted by sync"
    assert found == digests, f"sync wrote {found} (from {sorted(p for p in out.rglob('*'))[:20]})"
