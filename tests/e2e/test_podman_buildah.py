"""podman build/push/pull and buildah commit/push/manifest push against the registry."""

from __future__ import annotations

import secrets

from berth_e2e.commands import write_file
from berth_e2e.layers import layer_files
from berth_e2e.registry_api import OCI_INDEX, manifest_json, sha256_digest


def image_files(api, repo: str, reference: str) -> dict[str, bytes]:
    """The files of a single-platform image as the registry serves it, layers applied in order."""
    body, _ = api.fetch_manifest(repo, reference)
    files: dict[str, bytes] = {}
    for layer in manifest_json(body)["layers"]:
        files.update(layer_files(api.fetch_blob(repo, layer["digest"])))
    return files


def test_podman_build_push_pull(podman, client_env, api, new_repo, tmp_path):
    content = f"built by podman {secrets.token_hex(8)}\n".encode()
    context = tmp_path / "context"
    write_file(context / "hello.txt", content)
    write_file(context / "Containerfile", "FROM scratch\nCOPY hello.txt /hello.txt\n")
    repo = new_repo()
    image = client_env.image_name(repo, "1")

    podman("build", "--tag", image, context)
    pushed = podman.push(image, f"docker://{image}", tmp_path / "digest")

    body, _ = api.fetch_manifest(repo, "1")
    assert sha256_digest(body) == pushed, f"tag 1 resolves to another manifest than {pushed}"
    assert image_files(api, repo, pushed).get("/hello.txt") == content, "COPYed file not in the image"

    podman("rmi", "--force", image)
    gone = podman("image", "exists", image, check=False)
    assert gone.returncode == 1, "image still in local storage after rmi"
    podman.pull(image)
    assert podman.image_digest(image) == pushed, "pulled image has another digest than the pushed one"


def test_buildah_from_scratch_commit_push(buildah, client_env, api, new_repo, tmp_path):
    content = f"built by buildah {secrets.token_hex(8)}\n".encode()
    source = write_file(tmp_path / "payload.txt", content)
    repo = new_repo()

    container = buildah("from", "scratch").stdout.strip()
    buildah("copy", container, source, "/payload.txt")
    buildah("config", "--label", "org.example.e2e=buildah", container)
    buildah("commit", container, "localhost/e2e-buildah:latest")
    pushed = buildah.push(
        "localhost/e2e-buildah:latest", client_env.docker_ref(repo, "v1"), tmp_path / "digest"
    )

    body, _ = api.fetch_manifest(repo, "v1")
    assert sha256_digest(body) == pushed, f"tag v1 resolves to another manifest than {pushed}"
    manifest = manifest_json(body)
    config = manifest_json(api.fetch_blob(repo, manifest["config"]["digest"]))
    assert config["config"]["Labels"].get("org.example.e2e") == "buildah", config["config"]
    assert image_files(api, repo, pushed).get("/payload.txt") == content, "copied file not in image"


def test_buildah_manifest_push_all(buildah, client_env, api, new_repo, tmp_path):
    repo = new_repo()
    expected = {}
    for arch in ("amd64", "arm64"):
        content = f"{arch} {secrets.token_hex(8)}\n".encode()
        source = write_file(tmp_path / arch / "arch.txt", content)
        container = buildah("from", "--arch", arch, "scratch").stdout.strip()
        buildah("copy", container, source, "/arch.txt")
        buildah("config", "--arch", arch, "--os", "linux", container)
        buildah("commit", container, f"localhost/e2e-{arch}:latest")
        expected[arch] = content
    buildah("manifest", "create", "localhost/e2e-list:latest")
    for arch in expected:
        buildah("manifest", "add", "localhost/e2e-list:latest", f"containers-storage:localhost/e2e-{arch}:latest")

    pushed = buildah.manifest_push_all(
        "localhost/e2e-list:latest", client_env.docker_ref(repo, "multi"), tmp_path / "digest"
    )

    body, content_type = api.fetch_manifest(repo, "multi")
    assert sha256_digest(body) == pushed, f"tag multi resolves to another index than {pushed}"
    assert content_type == OCI_INDEX, f"buildah's OCI index served as {content_type!r}"
    by_arch = {m["platform"]["architecture"]: m["digest"] for m in manifest_json(body)["manifests"]}
    assert sorted(by_arch) == ["amd64", "arm64"], by_arch
    for arch, digest in by_arch.items():
        files = image_files(api, repo, digest)
        assert files.get("/arch.txt") == expected[arch], f"{arch} image holds {files}"
