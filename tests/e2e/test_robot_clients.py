"""Real clients with a robot account: skopeo and podman log in as a project robot through the
token flow, push and pull in its project, and are refused elsewhere."""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest
import requests

from berth_e2e.clients import ClientEnv, Podman, Skopeo
from berth_e2e.oci_layout import sample_files


@pytest.fixture
def robot(registry_host, credentials):
    """A private project and a robot that may push and pull in it: (project, name, secret)."""
    if not credentials:
        pytest.skip("needs BERTH_E2E_USER and BERTH_E2E_PASSWORD (an administrator)")
    api = f"http://{registry_host}/api/v2.0"
    project = f"robots{secrets.token_hex(4)}"
    resp = requests.post(f"{api}/projects", json={"project_name": project, "metadata": {"public": "false"}}, auth=credentials, timeout=30)
    assert resp.status_code == 201, resp.text
    body = {"name": "ci", "level": "project", "duration": 1,
            "permissions": [{"kind": "project", "namespace": project,
                             "access": [{"resource": "repository", "action": "push"}]}]}
    resp = requests.post(f"{api}/robots", json=body, auth=credentials, timeout=30)
    assert resp.status_code == 201, resp.text
    return project, resp.json()["name"], resp.json()["secret"]


@pytest.fixture
def robot_env(tmp_path: Path, registry_host, robot):
    project, name, secret = robot
    rundir = Path(tempfile.mkdtemp(prefix="berth-e2e-", dir="/tmp"))
    try:
        yield ClientEnv(tmp_path / "robot-clients", rundir, registry_host, f"{name}:{secret}")
    finally:
        shutil.rmtree(rundir, ignore_errors=True)


def test_skopeo_and_podman_as_a_robot(robot, robot_env, layout, registry_host):
    project, name, _ = robot
    digest = layout.new_image("v1", sample_files("robot"))
    skopeo = Skopeo(robot_env)
    dest = robot_env.docker_ref(f"{project}/app", "v1")
    skopeo.copy(layout.ref("v1"), dest)
    assert json.loads(skopeo.inspect(dest))["Digest"] == digest
    podman = Podman(robot_env)
    podman.pull(f"{registry_host}/{project}/app:v1")
    assert podman.image_digest(f"{registry_host}/{project}/app:v1") == digest
    # Refused where Harbor refuses: another project, and deletion.
    other = skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", f"--dest-creds={robot_env.creds}",
                   layout.ref("v1"), robot_env.docker_ref("library/robot-denied", "v1"), check=False)
    assert other.returncode != 0
    assert "denied" in other.stderr.lower() or "unauthorized" in other.stderr.lower(), other.stderr
    gone = skopeo("delete", "--tls-verify=false", f"--creds={robot_env.creds}", robot_env.docker_ref(f"{project}/app", "v1"), check=False)
    assert gone.returncode != 0


def test_oras_as_a_robot(robot, registry_host, tmp_path):
    """oras-py through the token flow with the robot's name and secret: pushes and pulls in the
    robot's project, refused in another."""
    from berth_e2e.commands import write_file
    from berth_e2e.oras_client import new_client

    project, name, secret = robot
    client = new_client(registry_host, (name, secret))
    payload = write_file(tmp_path / "report.txt", f"report {secrets.token_hex(8)}\n")
    pushed = client.push_artifact(f"{registry_host}/{project}/reports:v1", "application/vnd.berth.e2e.report.v1",
                                  files=[f"{payload}:text/plain"])
    assert pushed.status_code == 201, pushed.text
    out = tmp_path / "pulled"
    files = client.pull(target=f"{registry_host}/{project}/reports:v1", outdir=str(out))
    assert [Path(f).read_bytes() for f in files] == [payload.read_bytes()]
    with pytest.raises(Exception) as refused:
        resp = client.push_artifact(f"{registry_host}/library/robot-denied:v1", "application/vnd.berth.e2e.report.v1",
                                    files=[f"{payload}:text/plain"])
        if resp.status_code >= 400:
            raise RuntimeError(f"refused with {resp.status_code}")
    assert "UNAUTHORIZED" in str(refused.value) or "DENIED" in str(refused.value), refused.value
