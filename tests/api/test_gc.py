"""Online garbage collection (`berth gc`), run beside a live server: what it deletes, what it
must keep, its dry run's estimate, the grace window, and pushes racing the sweep. Storage is
read directly (files, or the S3 bucket) to see what really is there."""

from __future__ import annotations

import json
import random
import threading

import pytest

from berth_api.harbor import Harbor, admin_password
from berth_api.registry import (
    OCI_CONFIG,
    OCI_LAYER,
    OCI_MANIFEST,
    descriptor,
    encode,
    image_manifest,
    push_image,
    random_bytes,
    sha256,
)

pytestmark = pytest.mark.own_server


def gc(server, *args: str, window: int = 0, **env: str) -> dict:
    done = server.command("gc", "--json", *args, BERTH_GC_TIME_WINDOW_HOURS=str(window), **env)
    assert done.returncode == 0, f"berth gc failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def pull_all(reg, repo: str, reference: str, image) -> None:
    """The manifest and every blob it names come back byte for byte."""
    resp = reg.manifest(repo, reference)
    assert resp.status_code == 200, resp.text
    assert resp.content == image.manifest
    for blob in [image.config, *image.layers]:
        got = reg.get(f"/v2/{repo}/blobs/{sha256(blob)}")
        assert got.status_code == 200, f"{sha256(blob)}: {got.status_code} {got.text}"
        assert got.content == blob


def test_gc_deletes_what_nothing_references_and_keeps_the_rest(berth_server):
    admin = Harbor(berth_server.start(), "admin", admin_password())
    project = admin.create_project()
    repo = f"{project}/app"
    kept = push_image(admin, repo, "kept", layer_count=2)
    gone = push_image(admin, repo, "gone", layer_count=2)
    assert admin.delete(f"/v2/{repo}/manifests/{gone.digest}").status_code == 202
    doomed = {sha256(b) for b in [gone.config, *gone.layers]}
    doomed_bytes = sum(len(b) for b in [gone.config, *gone.layers])
    assert doomed <= berth_server.stored_blobs()

    # Inside the (default, 2 h) window nothing goes.
    assert gc(berth_server, window=2)["purged_blobs"] == 0
    dry = gc(berth_server, "--dry-run")
    assert (dry["purged_blobs"], dry["freed_space"]) == (len(doomed), doomed_bytes)
    assert doomed <= berth_server.stored_blobs(), "a dry run deleted something"

    real = gc(berth_server)
    assert (real["purged_blobs"], real["freed_space"]) == (dry["purged_blobs"], dry["freed_space"])
    stored = berth_server.stored_blobs()
    assert not doomed & stored
    assert stored == {sha256(b) for b in [kept.config, *kept.layers]}
    pull_all(admin, repo, "kept", kept)
    assert admin.get(f"/v2/{repo}/blobs/{sha256(gone.layers[0])}").status_code == 404
    # A second run finds nothing more.
    assert gc(berth_server)["purged_blobs"] == 0

    # The deleted content can be pushed again and served.
    for blob in [gone.config, *gone.layers]:
        admin.push_blob(repo, blob)
    admin.push_manifest(repo, "again", gone.manifest, OCI_MANIFEST)
    pull_all(admin, repo, "again", gone)


def test_gc_deletes_untagged_artifacts_unless_told_to_keep_them(berth_server):
    admin = Harbor(berth_server.start(), "admin", admin_password())
    project = admin.create_project()
    repo = f"{project}/app"
    old = push_image(admin, repo, "latest")
    new = push_image(admin, repo, "latest")  # `old` is now untagged

    kept = gc(berth_server, "--keep-untagged")
    assert kept["purged_manifests"] == 0 and kept["purged_blobs"] == 0
    assert admin.manifest(repo, old.digest).status_code == 200

    dry = gc(berth_server, "--dry-run")
    assert dry["purged_manifests"] == 1 and dry["purged_blobs"] == 2
    real = gc(berth_server)
    assert (real["purged_manifests"], real["purged_blobs"], real["freed_space"]) == (
        dry["purged_manifests"], dry["purged_blobs"], dry["freed_space"])
    assert admin.manifest(repo, old.digest).status_code == 404
    pull_all(admin, repo, "latest", new)
    assert berth_server.stored_blobs() == {sha256(b) for b in [new.config, *new.layers]}


def test_gc_leaves_blobs_of_other_repositories_and_mounted_blobs(berth_server):
    admin = Harbor(berth_server.start(), "admin", admin_password())
    project = admin.create_project()
    image = push_image(admin, f"{project}/one", "v1")
    # Mounted into a second repository, then deleted from the first.
    for blob in [image.config, *image.layers]:
        resp = admin.post(f"/v2/{project}/two/blobs/uploads/",
                          params={"mount": sha256(blob), "from": f"{project}/one"})
        assert resp.status_code == 201, resp.text
    admin.push_manifest(f"{project}/two", "v1", image.manifest, OCI_MANIFEST)
    assert admin.delete(f"/v2/{project}/one/manifests/{image.digest}").status_code == 202
    report = gc(berth_server)
    assert report["purged_blobs"] == 0
    pull_all(admin, f"{project}/two", "v1", image)
    assert admin.get(f"/v2/{project}/one/blobs/{sha256(image.config)}").status_code == 404


def test_pushes_racing_gc_never_lose_a_committed_manifest(berth_server):
    """Clients push images sharing layers (re-pushing content just deleted) and delete some,
    while GC runs again and again with no grace window. Every manifest acknowledged and not
    deleted must pull whole at every moment; at the end storage holds exactly the blobs that
    the remaining manifests reference."""
    host = berth_server.start()
    admin = Harbor(host, "admin", admin_password())
    project = admin.create_project()
    shared = [random_bytes(300 + i) for i in range(6)]
    live: dict[str, tuple[str, bytes, list[bytes], bytes]] = {}
    lock = threading.Lock()
    errors: list[str] = []
    refused: list[str] = []
    committed: list[str] = []
    stop = threading.Event()

    def pusher(n: int) -> None:
        client = Harbor(host, "admin", admin_password())
        rng = random.Random(n)
        for i in range(25):
            repo = f"{project}/r{rng.randrange(3)}"
            config = encode({"architecture": "amd64", "os": "linux", "n": f"{n}-{i}"})
            layers = rng.sample(shared, 2)
            body = image_manifest(descriptor(OCI_CONFIG, config), [descriptor(OCI_LAYER, x) for x in layers])
            for _attempt in range(20):
                for blob in [config, *layers]:
                    client.push_blob(repo, blob)
                resp = client.put_manifest(repo, sha256(body), body, OCI_MANIFEST)
                if resp.status_code == 201:
                    break
                # A sweep withdrew a blob between its upload and the manifest: upload again.
                assert resp.status_code == 400 and "MANIFEST_BLOB_UNKNOWN" in resp.text, resp.text
            else:
                # With no grace window a sweep may withdraw fresh uploads again and again: a
                # refused push is allowed, a lost one is not.
                with lock:
                    refused.append(sha256(body))
                continue
            with lock:
                committed.append(sha256(body))
            with lock:
                live[sha256(body)] = (repo, config, layers, body)
            if rng.random() < 0.4:
                with lock:
                    live.pop(sha256(body))
                assert client.delete(f"/v2/{repo}/manifests/{sha256(body)}").status_code == 202

    def checker() -> None:
        client = Harbor(host, "admin", admin_password())
        while not stop.is_set():
            with lock:
                snapshot = list(live.items())
            for digest, (repo, config, layers, body) in snapshot:
                resp = client.manifest(repo, digest)
                with lock:
                    still = digest in live
                if not still:
                    continue
                if resp.status_code != 200:
                    errors.append(f"{repo}@{digest}: {resp.status_code} {resp.text}")
                for blob in [config, *layers]:
                    got = client.get(f"/v2/{repo}/blobs/{sha256(blob)}")
                    with lock:
                        still = digest in live
                    if still and (got.status_code != 200 or got.content != blob):
                        errors.append(f"{repo}@{digest} blob {sha256(blob)}: {got.status_code}")

    def collector() -> None:
        while not stop.is_set():
            done = berth_server.command("gc", "--json", "--keep-untagged", BERTH_GC_TIME_WINDOW_HOURS="0")
            if done.returncode != 0:
                errors.append(f"gc failed: {done.stderr[-2000:]}")

    pushers = [threading.Thread(target=pusher, args=(n,)) for n in range(3)]
    others = [threading.Thread(target=checker), threading.Thread(target=collector)]
    for t in pushers + others:
        t.start()
    for t in pushers:
        t.join()
    stop.set()
    for t in others:
        t.join()
    assert not errors, "\n".join(errors[:20])
    assert len(committed) > len(refused), f"{len(committed)} pushes went in, {len(refused)} were refused"

    gc(berth_server, "--keep-untagged")
    expected = set()
    for digest, (repo, config, layers, body) in live.items():
        pull_all(admin, repo, digest, type("I", (), {"manifest": body, "config": config, "layers": layers})())
        expected |= {sha256(b) for b in [config, *layers]}
    assert berth_server.stored_blobs() == expected


def test_a_gc_killed_mid_sweep_loses_nothing_and_the_next_run_finishes(berth_server):
    import subprocess
    import time
    from concurrent.futures import ThreadPoolExecutor

    from berth_api.server import berth_binary

    admin = Harbor(berth_server.start(), "admin", admin_password())
    project = admin.create_project()
    live = push_image(admin, f"{project}/app", "v1", layer_count=2)
    orphans = [random_bytes(64) for _ in range(3000)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda b: admin.push_blob(f"{project}/junk", b), orphans))
    env = berth_server.env()
    env["BERTH_GC_TIME_WINDOW_HOURS"] = "0"
    proc = subprocess.Popen([str(berth_binary()), "gc", "--json", "--workers", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.4)
    proc.kill()
    proc.wait()
    pull_all(admin, f"{project}/app", "v1", live)
    report = gc(berth_server)
    assert report["purged_blobs"] <= len(orphans)
    pull_all(admin, f"{project}/app", "v1", live)
    assert berth_server.stored_blobs() == {sha256(b) for b in [live.config, *live.layers]}


def test_gc_drops_abandoned_upload_sessions_and_keeps_recent_ones(berth_server):
    admin = Harbor(berth_server.start(), "admin", admin_password())
    project = admin.create_project()
    repo = f"{project}/app"

    def session(data: bytes) -> str:
        start = admin.post(f"/v2/{repo}/blobs/uploads/")
        assert start.status_code == 202, start.text
        patched = admin.patch(start.headers["Location"], data=data,
                              headers={"Content-Type": "application/octet-stream"})
        assert patched.status_code == 202, patched.text
        return patched.headers["Location"]

    abandoned = session(random_bytes(5000))
    assert berth_server.stored_keys("uploads/"), "the session's bytes are not in storage"
    # Within the age (168 h by default) the session stays, and completes.
    kept_data = random_bytes(3000)
    kept = session(kept_data)
    assert gc(berth_server)["purged_uploads"] == 0
    assert admin.get(abandoned).status_code == 204

    dry = gc(berth_server, "--dry-run", BERTH_UPLOAD_MAX_AGE_HOURS="0")
    assert dry["purged_uploads"] == 2
    assert admin.get(abandoned).status_code == 204, "a dry run dropped a session"
    done = admin.put(kept, params={"digest": sha256(kept_data)})
    assert done.status_code == 201, done.text

    # (With the default window, so that the blob just completed, which no manifest names
    # yet, is kept.)
    assert gc(berth_server, window=2, BERTH_UPLOAD_MAX_AGE_HOURS="0")["purged_uploads"] == 1
    assert admin.get(abandoned).status_code == 404
    assert berth_server.stored_keys("uploads/") == []
    assert admin.get(f"/v2/{repo}/blobs/{sha256(kept_data)}").content == kept_data


def test_gc_refuses_to_sweep_in_read_only_mode_but_a_dry_run_reports(berth_server):
    admin = Harbor(berth_server.start(), "admin", admin_password())
    project = admin.create_project()
    image = push_image(admin, f"{project}/app", "v1")
    assert admin.delete(f"/v2/{project}/app/manifests/{image.digest}").status_code == 202
    assert admin.api("PUT", "/configurations", json={"read_only": True}).status_code == 200
    try:
        done = berth_server.command("gc", "--json", BERTH_GC_TIME_WINDOW_HOURS="0")
        assert done.returncode != 0 and "read only" in done.stderr, (done.stdout, done.stderr)
        assert gc(berth_server, "--dry-run")["purged_blobs"] == 2
        assert {sha256(image.config), sha256(image.layers[0])} <= berth_server.stored_blobs()
    finally:
        assert admin.api("PUT", "/configurations", json={"read_only": False}).status_code == 200
    assert gc(berth_server)["purged_blobs"] == 2
