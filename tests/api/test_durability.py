"""What survives a restart and a kill -9. These tests run a berth of their own (see conftest.py
and berth_api/server.py) on the database and storage backend scripts/test.sh chose."""

from __future__ import annotations

import hashlib
import random
import threading
import time

import pytest
import requests

from berth_api.registry import (
    OCI_CONFIG,
    OCI_LAYER,
    OCI_MANIFEST,
    Registry,
    assert_status,
    describe,
    descriptor,
    encode,
    image_manifest,
    random_bytes,
    sha256,
    unique_repo,
)

pytestmark = pytest.mark.own_server

MIB = 1024 * 1024
OCTET = {"Content-Type": "application/octet-stream"}


@pytest.mark.parametrize("how", ["sigterm", "sigkill"])
def test_upload_session_survives_restart(berth_server, how):
    reg = Registry(berth_server.start())
    data = random_bytes(3 * MIB + 12345)
    cut = 1 * MIB + 7
    repo = unique_repo("restart")
    location = reg.start_upload(repo).headers["Location"]
    resp = reg.patch(location, data=data[:cut], headers={**OCTET, "Content-Range": f"0-{cut - 1}"})
    assert_status(resp, 202)
    assert resp.headers.get("Range") == f"0-{cut - 1}", describe(resp)

    if how == "sigterm":
        code = berth_server.stop()
        assert code == 0, f"berth exited with {code} on SIGTERM:\n{berth_server.log_tail()}"
    else:
        berth_server.kill()
    reg = Registry(berth_server.start())

    status = assert_status(reg.get(location), 204)
    assert status.headers.get("Range") == f"0-{cut - 1}", describe(status)
    resp = reg.patch(location, data=data[cut:], headers={**OCTET, "Content-Range": f"{cut}-{len(data) - 1}"})
    assert_status(resp, 202)
    assert resp.headers.get("Range") == f"0-{len(data) - 1}", describe(resp)
    done = assert_status(reg.put(f"{location}?digest={sha256(data)}"), 201)
    assert done.headers.get("Docker-Content-Digest") == sha256(data)
    assert reg.blob_content(repo, sha256(data)) == data


class Pusher(threading.Thread):
    """Pushes distinct images in a loop, each blob by a different upload method, and records
    what the server acknowledged (201) and every blob it attempted."""

    def __init__(self, index: int, host: str, killed: threading.Event):
        super().__init__(daemon=True)
        self.index = index
        self.reg = Registry(host)
        self.killed = killed
        self.repo = f"library/durable-{index}-{random.randrange(1 << 30):x}"
        self.acked: list[dict] = []  # {"tag", "body", "digest", "blobs": [(digest, size)]}
        self.attempted: dict[str, int] = {}  # blob digest -> size
        self.acked_blobs: dict[str, int] = {}  # blob uploads answered 201
        self.problems: list[str] = []
        self.rng = random.Random(index)

    def check(self, resp: requests.Response, status: int) -> bool:
        if resp.status_code == status:
            return True
        if not self.killed.is_set():
            self.problems.append(f"before the kill: {describe(resp)}")
        return False

    def blob_size(self) -> int:
        return self.rng.choice([0, 1, 100, 4096, 65_536, 300_000, 1 * MIB, 3 * MIB])

    def push_blob(self, data: bytes, method: int) -> bool:
        if self.upload(data, method):
            self.acked_blobs[sha256(data)] = len(data)
            return True
        return False

    def upload(self, data: bytes, method: int) -> bool:
        digest = sha256(data)
        self.attempted[digest] = len(data)
        reg = self.reg
        if method == 0:
            resp = reg.post(f"/v2/{self.repo}/blobs/uploads/", params={"digest": digest}, data=data, headers=OCTET)
            return self.check(resp, 201)
        start = reg.post(f"/v2/{self.repo}/blobs/uploads/")
        if not self.check(start, 202):
            return False
        location = start.headers["Location"]
        if method == 2 and len(data) > 1:
            half = len(data) // 2
            for a, b in ((0, half), (half, len(data))):
                resp = reg.patch(location, data=data[a:b], headers={**OCTET, "Content-Range": f"{a}-{b - 1}"})
                if not self.check(resp, 202):
                    return False
            return self.check(reg.put(f"{location}?digest={digest}"), 201)
        return self.check(reg.put(f"{location}?digest={digest}", data=data, headers=OCTET), 201)

    def push_image(self, n: int) -> None:
        config = encode({"os": "linux", "pusher": self.index, "n": n})
        layers = [random_bytes(self.blob_size()) for _ in range(2)]
        for i, blob in enumerate([config, *layers]):
            if not self.push_blob(blob, (n + i) % 3):
                return
        body = image_manifest(descriptor(OCI_CONFIG, config), [descriptor(OCI_LAYER, blob) for blob in layers])
        tag = f"t{n}"
        resp = self.reg.put(f"/v2/{self.repo}/manifests/{tag}", data=body, headers={"Content-Type": OCI_MANIFEST})
        if self.check(resp, 201):
            if resp.headers.get("Docker-Content-Digest") != sha256(body):
                self.problems.append(f"manifest acknowledged with the wrong digest: {describe(resp)}")
            blobs = [(sha256(b), len(b)) for b in [config, *layers]]
            self.acked.append({"tag": tag, "body": body, "digest": sha256(body), "blobs": blobs})

    def run(self) -> None:
        n = 0
        while not self.killed.is_set():
            n += 1
            try:
                self.push_image(n)
            except requests.RequestException as exc:
                if not self.killed.is_set():
                    self.problems.append(f"before the kill: {exc!r}")
                return


def sha256_of_stream(resp: requests.Response) -> tuple[str, int]:
    h = hashlib.sha256()
    count = 0
    for chunk in resp.iter_content(1 << 20):
        h.update(chunk)
        count += len(chunk)
    return "sha256:" + h.hexdigest(), count


def test_kill_9_during_concurrent_pushes(berth_server):
    host = berth_server.start()
    killed = threading.Event()
    pushers = [Pusher(i, host, killed) for i in range(4)]
    for p in pushers:
        p.start()
    deadline = time.monotonic() + 60
    while sum(len(p.acked) for p in pushers) < 12 and time.monotonic() < deadline:
        time.sleep(0.05)
        assert all(p.is_alive() for p in pushers), [p.problems for p in pushers]
    time.sleep(random.uniform(0.05, 0.4))  # land the kill somewhere in the middle of pushes
    killed.set()
    berth_server.kill()
    for p in pushers:
        p.join(60)
        assert not p.is_alive(), "a pusher hangs after the kill"
    problems = [msg for p in pushers for msg in p.problems]
    assert not problems, problems
    acked = sum(len(p.acked) for p in pushers)
    assert acked >= 12, f"only {acked} images pushed before the kill"
    print(
        f"before the kill: {acked} manifests and {sum(len(p.acked_blobs) for p in pushers)} blobs "
        f"acknowledged, {sum(len(p.attempted) for p in pushers)} blobs attempted"
    )

    reg = Registry(berth_server.start())
    for p in pushers:
        for m in p.acked:
            for reference in (m["digest"], m["tag"]):
                got = reg.manifest(p.repo, reference)
                assert got.status_code == 200, f"acknowledged manifest lost: {describe(got)}"
                assert got.content == m["body"], f"acknowledged manifest changed: {describe(got)}"
            for digest, size in m["blobs"]:
                resp = reg.get(f"/v2/{p.repo}/blobs/{digest}", stream=True)
                with resp:
                    assert resp.status_code == 200, f"blob of an acknowledged manifest lost: {describe(resp)}"
                    assert sha256_of_stream(resp) == (digest, size), f"blob {digest} corrupt after the kill"
        # Every blob upload answered 201 survives, whether a manifest names it or not.
        for digest, size in p.acked_blobs.items():
            resp = reg.get(f"/v2/{p.repo}/blobs/{digest}", stream=True)
            with resp:
                assert resp.status_code == 200, f"acknowledged blob lost: {describe(resp)}"
                assert sha256_of_stream(resp) == (digest, size), f"blob {digest} corrupt after the kill"
        # Every blob attempted, acknowledged or not: absent, or exactly right.
        for digest, size in p.attempted.items():
            resp = reg.get(f"/v2/{p.repo}/blobs/{digest}", stream=True)
            with resp:
                assert resp.status_code in (200, 404), describe(resp)
                if resp.status_code == 200:
                    assert sha256_of_stream(resp) == (digest, size), f"blob {digest} serves other content"

    # And the restarted server takes new pushes.
    after = Pusher(99, reg.host, threading.Event())
    after.push_image(1)
    assert after.acked and not after.problems, after.problems
