"""A large random layer (64 MiB by default, BERTH_E2E_LARGE_BLOB_MIB to change) pushed with skopeo
and pulled back intact."""

from __future__ import annotations

import hashlib
import os

from berth_e2e.layers import layer_file_sha256
from berth_e2e.oci_layout import OciLayout

MIB = 1 << 20


def write_random_file(path, size: int) -> str:
    """Writes size random bytes and returns their sha256 hex."""
    h = hashlib.sha256()
    with open(path, "wb") as f:
        for _ in range(0, size, 4 * MIB):
            chunk = os.urandom(min(4 * MIB, size - f.tell()))
            h.update(chunk)
            f.write(chunk)
    return h.hexdigest()


def test_large_layer_roundtrip(skopeo, client_env, api, layout, new_repo, tmp_path):
    size = int(os.environ.get("BERTH_E2E_LARGE_BLOB_MIB", "64")) * MIB
    source = tmp_path / "random.bin"
    expected = write_random_file(source, size)
    digest = layout.new_image("big", {"/data/random.bin": source})
    (layer,) = layout.manifest("big")["layers"]
    source.unlink()
    assert layer["size"] > size, f"the layer ({layer['size']} bytes) should not compress"
    repo = new_repo()

    skopeo.copy(layout.ref("big"), client_env.docker_ref(repo, "big"))

    served, count = api.blob_sha256(repo, layer["digest"])
    assert (served, count) == (layer["digest"], layer["size"]), (
        f"registry serves {count} bytes with digest {served} for layer {layer['digest']}"
    )

    out = OciLayout(tmp_path / "out")
    skopeo.copy(client_env.docker_ref(repo, "big"), out.ref("big"))
    assert out.descriptor("big")["digest"] == digest, "manifest digest changed on the way out"
    pulled = out.blob_path(layer["digest"])
    assert pulled.stat().st_size == layer["size"], "pulled layer has another size"
    assert layer_file_sha256(pulled, "/data/random.bin") == expected, "random file corrupted"
