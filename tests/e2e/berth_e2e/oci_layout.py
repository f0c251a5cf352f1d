"""Test images in OCI image layouts, made with umoci (whose manifests carry no mediaType field)."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from .commands import run, write_file
from .registry_api import OCI_INDEX, OCI_MANIFEST, sha256_digest

REF_NAME = "org.opencontainers.image.ref.name"


class OciLayout:
    """An OCI image layout on disk: made by umoci, or written by skopeo copy to an oci: target."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @classmethod
    def init(cls, path: Path) -> "OciLayout":
        run(["umoci", "init", "--layout", path])
        return cls(path)

    def ref(self, tag: str) -> str:
        """The skopeo/containers-image reference of a tag in this layout."""
        return f"oci:{self.path}:{tag}"

    # -- building --------------------------------------------------------------------------

    def new_image(
        self,
        tag: str,
        files: dict[str, bytes | str | Path],
        *,
        architecture: str = "amd64",
        os_name: str = "linux",
        staging: Path | None = None,
    ) -> str:
        """Makes an image with one layer per file (target path -> content, or a Path to copy from)
        and returns its manifest digest."""
        image = f"{self.path}:{tag}"
        rootless = ["--rootless"] if os.geteuid() != 0 else []
        run(["umoci", "new", "--image", image])
        staging = staging or self.path.parent / f".staging-{tag}"
        for i, (target, content) in enumerate(files.items()):
            if isinstance(content, Path):
                source = content
            else:
                source = write_file(staging / str(i) / Path(target).name, content)
            run(["umoci", "insert", *rootless, "--image", image, source, target])
        run(["umoci", "config", "--image", image, "--architecture", architecture, "--os", os_name])
        run(["umoci", "gc", "--layout", self.path])
        return self.descriptor(tag)["digest"]

    def add_index(self, tag: str, member_tags: list[str]) -> str:
        """Writes an image index over the manifests of member_tags (with their platforms), names it
        tag in index.json, and returns its digest."""
        manifests = []
        for member in member_tags:
            desc = self.descriptor(member)
            config = json.loads(self.blob(self.manifest(member)["config"]["digest"]))
            manifests.append(
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": desc["digest"],
                    "size": desc["size"],
                    "platform": {"architecture": config["architecture"], "os": config["os"]},
                }
            )
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}).encode()
        digest = self.write_blob(body)
        top = self.index()
        top["manifests"] = [
            m for m in top["manifests"] if (m.get("annotations") or {}).get(REF_NAME) != tag
        ]
        top["manifests"].append(
            {"mediaType": OCI_INDEX, "digest": digest, "size": len(body), "annotations": {REF_NAME: tag}}
        )
        (self.path / "index.json").write_text(json.dumps(top))
        return digest

    def write_blob(self, data: bytes) -> str:
        digest = sha256_digest(data)
        write_file(self.blob_path(digest), data)
        return digest

    # -- reading ---------------------------------------------------------------------------

    def index(self) -> dict:
        return json.loads((self.path / "index.json").read_text())

    def descriptor(self, tag: str) -> dict:
        """The index.json descriptor named tag."""
        for desc in self.index()["manifests"]:
            if (desc.get("annotations") or {}).get(REF_NAME) == tag:
                return desc
        raise AssertionError(f"no image named {tag!r} in {self.path}/index.json: {self.index()}")

    def blob_path(self, digest: str) -> Path:
        algorithm, hex_ = digest.split(":", 1)
        return self.path / "blobs" / algorithm / hex_

    def blob(self, digest: str) -> bytes:
        data = self.blob_path(digest).read_bytes()
        assert sha256_digest(data) == digest, f"blob {digest} in {self.path} does not match its digest"
        return data

    def manifest(self, tag: str) -> dict:
        return json.loads(self.blob(self.descriptor(tag)["digest"]))


def sample_files(label: str = "") -> dict[str, bytes]:
    """Two small files with content unique to this call, so that every test uploads new blobs."""
    token = secrets.token_hex(8)
    return {
        "/hello.txt": f"hello from berth e2e {label} {token}\n".encode(),
        "/etc/berth-e2e.conf": f"token = {token}\nlabel = {label}\n".encode(),
    }
