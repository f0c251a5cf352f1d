"""The docker CLI with a real daemon: build FROM scratch, push, remove, pull back.

Containers cannot run here, but dockerd starts (vfs storage, no networking of its own) and does
everything a registry sees: blob uploads with mounts, schema2 manifests, token-less plain HTTP to
127.0.0.0/8, which docker treats as an insecure registry without configuration.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from berth_e2e.commands import require_tool, run, write_file
from berth_e2e.registry_api import manifest_json, sha256_digest


@pytest.fixture(scope="module")
def docker_env():
    """A throwaway dockerd, its socket and client config in a temp dir; stopped by PID."""
    dockerd = require_tool("dockerd")
    require_tool("docker")
    root = Path(tempfile.mkdtemp(prefix="berth-dkr-", dir="/tmp"))
    sock = root / "docker.sock"
    log = open(root / "dockerd.log", "wb")
    proc = subprocess.Popen(
        [
            dockerd,
            "--data-root", str(root / "data"),
            "--exec-root", str(root / "exec"),
            "--pidfile", str(root / "pid"),
            "-H", f"unix://{sock}",
            "--storage-driver", "vfs",
            "--iptables=false", "--ip6tables=false", "--bridge=none",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    env = {"DOCKER_HOST": f"unix://{sock}", "DOCKER_CONFIG": str(root / "config"), "DOCKER_BUILDKIT": "0"}
    try:
        deadline = time.monotonic() + 60
        while True:
            probe = subprocess.run(["docker", "info"], env={**os.environ, **env}, capture_output=True)
            if probe.returncode == 0:
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"dockerd did not start:\n{(root / 'dockerd.log').read_text()[-3000:]}", pytrace=False)
            time.sleep(0.3)
        yield env
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


def test_docker_build_push_pull(docker_env, registry_host, api, new_repo, tmp_path, credentials):
    if credentials:
        # The token flow: docker asks /service/token with these credentials.
        run(["docker", "login", "-u", credentials[0], "-p", credentials[1], registry_host], env=docker_env)
    repo = new_repo()
    ref = f"{registry_host}/{repo}:1"
    payload = os.urandom(4096)
    ctx = tmp_path / "ctx"
    write_file(ctx / "payload.bin", payload)
    write_file(ctx / "Dockerfile", "FROM scratch\nCOPY payload.bin /payload.bin\nLABEL org.example.test=berth\n")
    run(["docker", "build", "-q", "-t", ref, str(ctx)], env=docker_env)
    push = run(["docker", "push", ref], env=docker_env)
    pushed_digest = next(
        (w for w in push.stdout.split() if w.startswith("sha256:") and len(w) == 71), None
    )
    assert pushed_digest, f"docker push printed no digest:\n{push.stdout}"

    body, media_type = api.fetch_manifest(repo, "1")
    assert sha256_digest(body) == pushed_digest
    assert media_type == "application/vnd.docker.distribution.manifest.v2+json"
    layers = manifest_json(body)["layers"]
    assert len(layers) == 1
    digest, size = api.blob_sha256(repo, layers[0]["digest"])
    assert (digest, size) == (layers[0]["digest"], layers[0]["size"])

    # A second tag of the same image: docker mounts or skips every blob and pushes the manifest.
    ref2 = f"{registry_host}/{repo}:2"
    run(["docker", "tag", ref, ref2], env=docker_env)
    run(["docker", "push", ref2], env=docker_env)
    assert sorted(api.tags(repo)) == ["1", "2"]

    run(["docker", "rmi", ref, ref2], env=docker_env)
    run(["docker", "pull", ref], env=docker_env)
    inspect = json.loads(run(["docker", "image", "inspect", ref], env=docker_env).stdout)
    assert f"{registry_host}/{repo}@{pushed_digest}" in inspect[0]["RepoDigests"]
    assert inspect[0]["Config"]["Labels"] == {"org.example.test": "berth"}
