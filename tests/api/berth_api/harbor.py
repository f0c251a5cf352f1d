"""A client for berth's Harbor API (/api/v2.0), as a user, an administrator or nobody."""

from __future__ import annotations

import os
import secrets

from berth_api.registry import Registry, describe

API = "/api/v2.0"


def admin_password() -> str:
    """The administrator's password the suite's servers start with (scripts/test.sh sets it)."""
    return os.environ.get("BERTH_ADMIN_PASSWORD", "Harbor12345")


class Harbor(Registry):
    """Registry plus Harbor API calls, sending Basic credentials when it has them."""

    def __init__(self, host: str, user: str | None = None, password: str | None = None):
        super().__init__(host, None if user is None else (user, password or ""))

    def api(self, method: str, path: str, **kw):
        return self.request(method, API + path, **kw)

    def create_user(self, name: str | None = None, password: str = "Passw0rdX") -> tuple[str, str]:
        """Creates a user (the caller must be an administrator) and returns its name and password."""
        name = name or f"user-{secrets.token_hex(4)}"
        body = {"username": name, "email": f"{name}@example.com", "realname": name, "password": password}
        assert_api_status(self.api("POST", "/users", json=body), 201)
        return name, password

    def create_project(self, name: str | None = None, public: bool = False) -> str:
        name = name or f"proj-{secrets.token_hex(4)}"
        body = {"project_name": name, "metadata": {"public": str(public).lower()}}
        assert_api_status(self.api("POST", "/projects", json=body), 201)
        return name


def assert_api_error(resp, status: int, code: str) -> dict:
    """A Harbor error answer: exactly `status`, a JSON `errors` list whose entries carry `code`.
    Returns the first entry."""
    assert resp.status_code == status, f"expected {status} {code}, got: {describe(resp)}"
    assert resp.headers.get("Content-Type", "").startswith("application/json"), describe(resp)
    errors = resp.json().get("errors")
    assert errors and {e.get("code") for e in errors} == {code}, describe(resp)
    return errors[0]


def assert_api_status(resp, status: int):
    """A Harbor API answer with exactly `status`; returns it."""
    assert resp.status_code == status, f"expected {status}, got: {describe(resp)}"
    return resp
