"""Fixtures for the end-to-end suite. Configuration comes only from the environment:

BERTH_E2E_REGISTRY   host:port of the registry under test (plain HTTP); required
BERTH_E2E_USER       user name, when the registry wants login (optional)
BERTH_E2E_PASSWORD   that user's password (optional)
BERTH_E2E_PROJECT    first segment of the test repositories' names (default: library)
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

from berth_e2e.clients import Buildah, ClientEnv, Podman, Skopeo
from berth_e2e.oci_layout import OciLayout
from berth_e2e.registry_api import RegistryClient, describe


@pytest.fixture(scope="session")
def registry_host() -> str:
    host = os.environ.get("BERTH_E2E_REGISTRY", "").strip()
    if not host:
        pytest.fail("set BERTH_E2E_REGISTRY to the registry's host:port (plain HTTP)", pytrace=False)
    if "://" in host or "/" in host:
        pytest.fail(f"BERTH_E2E_REGISTRY must be host:port, not {host!r}", pytrace=False)
    return host


@pytest.fixture(scope="session")
def credentials() -> tuple[str, str] | None:
    user = os.environ.get("BERTH_E2E_USER")
    if not user:
        return None
    return user, os.environ.get("BERTH_E2E_PASSWORD", "")


@pytest.fixture(scope="session")
def api(registry_host, credentials) -> RegistryClient:
    """A raw HTTP client for the registry, checked to answer /v2/ before any test runs."""
    user, password = credentials or (None, None)
    client = RegistryClient(registry_host, user, password)
    try:
        resp = client.ping()
    except Exception as exc:  # connection refused, DNS, ...
        pytest.fail(f"registry at {registry_host} is not reachable: {exc}", pytrace=False)
    if resp.status_code != 200:
        pytest.fail(f"registry at {registry_host} did not answer GET /v2/: {describe(resp)}", pytrace=False)
    return client


@pytest.fixture
def new_repo(request):
    """Makes unique repository names: <project>/e2e-<test-name>-<random>."""
    project = os.environ.get("BERTH_E2E_PROJECT", "library")
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower().removeprefix("test_"))[:40].strip("-")

    def make(purpose: str = "") -> str:
        parts = ["e2e", slug, purpose, secrets.token_hex(4)]
        return f"{project}/" + "-".join(p for p in parts if p)

    return make


@pytest.fixture
def client_env(tmp_path: Path, registry_host, credentials, api):
    """Configuration for skopeo, podman and buildah (requesting api first checks the registry)."""
    creds = f"{credentials[0]}:{credentials[1]}" if credentials else None
    # podman wants a short runroot, so run-time state goes to a short folder of its own.
    rundir = Path(tempfile.mkdtemp(prefix="berth-e2e-", dir="/tmp"))
    try:
        yield ClientEnv(tmp_path / "clients", rundir, registry_host, creds)
    finally:
        shutil.rmtree(rundir, ignore_errors=True)


@pytest.fixture
def skopeo(client_env) -> Skopeo:
    return Skopeo(client_env)


@pytest.fixture
def podman(client_env) -> Podman:
    return Podman(client_env)


@pytest.fixture
def buildah(client_env) -> Buildah:
    return Buildah(client_env)


@pytest.fixture
def layout(tmp_path: Path):
    """An empty OCI image layout (umoci) in the test's temp folder."""
    return OciLayout.init(tmp_path / "layout")

