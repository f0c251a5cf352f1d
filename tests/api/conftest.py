"""Fixtures of the raw-HTTP API suite.

BERTH_E2E_REGISTRY   host:port of the registry under test (plain HTTP); required, as in tests/e2e
BERTH_BIN, BERTH_TEST_DATABASE_URL, BERTH_TEST_STORAGE_URL
                     for the tests marked `own_server`, which start, restart and kill a berth of
                     their own (see berth_api/server.py)

Every /api/v2.0 response a test (or its fixtures) receives through Registry.request is checked
against Harbor's swagger (berth_api/schema.py); the test fails at teardown if one breaks it.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest
import requests

from berth_api import schema
from berth_api.harbor import API, Harbor, admin_password
from berth_api.registry import RESPONSE_OBSERVERS, Registry, describe, unique_repo
from berth_api.quota_check import quota_drift
from berth_api.server import BerthServer


def pytest_configure(config):
    config.addinivalue_line("markers", "own_server: starts its own berth (BERTH_BIN); deselect with -m 'not own_server'")


@pytest.fixture(scope="session")
def registry_host() -> str:
    host = os.environ.get("BERTH_E2E_REGISTRY", "").strip()
    if not host:
        pytest.fail("set BERTH_E2E_REGISTRY to the registry's host:port (plain HTTP)", pytrace=False)
    if "://" in host or "/" in host:
        pytest.fail(f"BERTH_E2E_REGISTRY must be host:port, not {host!r}", pytrace=False)
    return host


@pytest.fixture(scope="session")
def reg(registry_host) -> Registry:
    """The registry under test, checked to answer GET /v2/ with 200 before any test uses it."""
    client = Registry(registry_host)
    try:
        resp = client.get("/v2/", timeout=10)
    except requests.RequestException as exc:
        pytest.fail(f"registry at {registry_host} is not reachable: {exc}", pytrace=False)
    if resp.status_code != 200:
        pytest.fail(f"registry at {registry_host} did not answer GET /v2/: {describe(resp)}", pytrace=False)
    return client


@pytest.fixture(scope="module")
def admin(registry_host) -> Harbor:
    """The system administrator's API client (modules may define their own)."""
    return Harbor(registry_host, "admin", admin_password())


@pytest.fixture(scope="module")
def user(admin, registry_host) -> Harbor:
    """A new user without any role: one per module."""
    name, password = admin.create_user()
    return Harbor(registry_host, name, password)


@pytest.fixture
def repo() -> str:
    return unique_repo()


@pytest.fixture
def new_repo():
    return unique_repo


SWAGGER_VIOLATIONS: list[str] = []


def _check_against_swagger(resp: requests.Response) -> None:
    """Records how an /api/v2.0 response breaks Harbor's swagger (see berth_api/schema.py)."""
    path = urlsplit(resp.request.url).path
    if path != API and not path.startswith(API + "/"):
        return
    method = resp.request.method
    for problem in schema.check_response(method, path, resp.status_code, resp.headers, resp.content):
        SWAGGER_VIOLATIONS.append(f"{method} {path} -> {resp.status_code}: {problem}")


@pytest.fixture(scope="session", autouse=True)
def _swagger_observer():
    RESPONSE_OBSERVERS.append(_check_against_swagger)
    yield
    RESPONSE_OBSERVERS.remove(_check_against_swagger)


@pytest.fixture(autouse=True)
def _conforms_to_swagger(_swagger_observer):
    """Fails the test at teardown if any /api/v2.0 response since the previous test's teardown
    (this test's and its fixtures') broke Harbor's swagger."""
    yield
    found = list(dict.fromkeys(SWAGGER_VIOLATIONS))
    SWAGGER_VIOLATIONS.clear()
    if found:
        pytest.fail(
            f"{len(found)} response(s) break tests/api/spec/harbor-swagger.yaml:\n  " + "\n  ".join(found),
            pytrace=False,
        )


@pytest.fixture(autouse=True)
def _quotas_stay_exact():
    """After every test: each project's quota usage on the shared registry equals what its
    rows add up to (scripts/test.sh names the shared registry's database)."""
    yield
    database = os.environ.get("BERTH_TEST_SHARED_DATABASE_URL")
    if database:
        problems = quota_drift(database)
        if problems:
            pytest.fail("quota usage drifted:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.fixture(autouse=True)
def _registry_still_serves(request):
    """After every test that used the shared registry: it must still answer GET /v2/."""
    yield
    if "reg" in request.fixturenames:
        client: Registry = request.getfixturevalue("reg")
        try:
            resp = client.get("/v2/", timeout=10)
        except requests.RequestException as exc:
            pytest.fail(f"registry stopped answering after this test: {exc}", pytrace=False)
        assert resp.status_code == 200, f"registry unhealthy after this test: {describe(resp)}"


KEEPALIVE_HINT = (
    "The registry closed a reused keep-alive connection without answering. berth does this after "
    "an error it sent before reading the previous request's body (without `Connection: close`); "
    "see test_early_error_leaves_the_connection_usable_or_says_close in test_bad_input.py."
)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
    if report.failed and "Remote end closed connection without response" in report.longreprtext:
        report.sections.append(("hint", KEEPALIVE_HINT))


@pytest.fixture
def berth_server(request, tmp_path):
    """A berth of the test's own (not started yet), on a fresh data dir, database and storage.
    Its log is printed when the test fails; it is killed and its backend removed afterwards."""
    server = BerthServer(tmp_path / "own-berth")
    try:
        yield server
    finally:
        failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
        if failed:
            print(f"--- log of the test's own berth ({server.log_path}) ---\n{server.log_tail(20000)}")
        # The quota invariant holds on the test's own server too (while its database exists).
        drift = [] if failed else quota_drift(server.backend.database_url)
        problems = server.close()
        if drift:
            pytest.fail("quota usage drifted:\n  " + "\n  ".join(drift), pytrace=False)
        if problems:
            print(f"cleanup problems: {problems}")
