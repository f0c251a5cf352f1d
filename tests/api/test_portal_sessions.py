"""The portal's sessions and CSRF protection (api-conventions.md §6) and self-registration
(auth-config.md §3): `POST /c/login` gives the `sid` cookie, every answer gives a CSRF token,
unsafe requests with the cookie (and every `/c/` request) must send it back, and a sign-up
works from the portal's page, never as a plain API call."""

from __future__ import annotations

import contextlib
import secrets

import requests

from berth_api.harbor import Harbor, assert_api_error, assert_api_status
from berth_api.registry import describe

CSRF = "X-Harbor-CSRF-Token"


class Browser:
    """A cookie-keeping client, as the portal's page in a browser is."""

    def __init__(self, host: str):
        self.base = f"http://{host}"
        self.session = requests.Session()
        self.token = ""

    def request(self, method: str, path: str, csrf: bool = True, **kw) -> requests.Response:
        headers = kw.pop("headers", {})
        if csrf and self.token:
            headers[CSRF] = self.token
        resp = self.session.request(method, self.base + path, headers=headers, timeout=30, **kw)
        self.token = resp.headers.get(CSRF, self.token)
        return resp

    def open_page(self):
        """What loading the portal does first: any GET gives the CSRF cookie and token."""
        resp = self.request("GET", "/api/v2.0/systeminfo")
        assert resp.status_code == 200 and self.token, describe(resp)
        assert "_gorilla_csrf" in self.session.cookies

    def login(self, user: str, password: str) -> requests.Response:
        return self.request("POST", "/c/login", data={"principal": user, "password": password})


@contextlib.contextmanager
def self_registration(admin: Harbor, on: bool):
    assert_api_status(admin.api("PUT", "/configurations", json={"self_registration": on}), 200)
    try:
        yield
    finally:
        assert_api_status(admin.api("PUT", "/configurations", json={"self_registration": False}), 200)


def test_login_needs_the_csrf_token_and_gives_a_session(admin, registry_host):
    name, password = admin.create_user()
    page = Browser(registry_host)
    refused = page.request("POST", "/c/login", csrf=False, data={"principal": name, "password": password})
    assert refused.status_code == 403 and "CSRF token invalid" in refused.text, describe(refused)
    page.open_page()
    wrong = page.login(name, "Wr0ngPassword")
    assert wrong.status_code == 401 and wrong.content == b"", describe(wrong)
    ok = page.login(name, password)
    assert ok.status_code == 200, describe(ok)
    assert "sid" in page.session.cookies
    assert "HttpOnly" in ok.headers["Set-Cookie"] and "SameSite=Strict" in ok.headers["Set-Cookie"]
    me = assert_api_status(page.request("GET", "/api/v2.0/users/current"), 200).json()
    assert me["username"] == name


def test_unsafe_requests_with_a_session_need_the_token(admin, registry_host):
    name, password = admin.create_user()
    page = Browser(registry_host)
    page.open_page()
    assert page.login(name, password).status_code == 200
    body = {"project_name": f"p-{secrets.token_hex(4)}", "metadata": {"public": "false"}}
    forged = page.request("POST", "/api/v2.0/projects", csrf=False, json=body)
    assert_api_error(forged, 403, "FORBIDDEN")
    assert_api_status(page.request("POST", "/api/v2.0/projects", json=body), 201)
    bad = page.request("POST", "/api/v2.0/projects", headers={CSRF: "0" * 64}, csrf=False,
                       json={**body, "project_name": body["project_name"] + "x"})
    assert_api_error(bad, 403, "FORBIDDEN")


def test_logout_and_password_changes_end_sessions(admin, registry_host):
    name, password = admin.create_user()
    page, other = Browser(registry_host), Browser(registry_host)
    for p in (page, other):
        p.open_page()
        assert p.login(name, password).status_code == 200
    assert_api_status(page.request("GET", "/c/log_out"), 200)
    assert_api_error(page.request("GET", "/api/v2.0/users/current"), 401, "UNAUTHORIZED")
    assert_api_status(other.request("GET", "/api/v2.0/users/current"), 200)
    uid = other.request("GET", "/api/v2.0/users/current").json()["user_id"]
    assert_api_status(admin.api("PUT", f"/users/{uid}/password", json={"new_password": "An0therPass"}), 200)
    assert_api_error(other.request("GET", "/api/v2.0/users/current"), 401, "UNAUTHORIZED")


def test_robots_cannot_log_in_to_the_portal(admin, registry_host):
    project = admin.create_project()
    body = {"name": f"r{secrets.token_hex(3)}", "level": "project", "duration": -1,
            "permissions": [{"kind": "project", "namespace": project,
                             "access": [{"resource": "repository", "action": "pull"}]}]}
    robot = assert_api_status(admin.api("POST", "/robots", json=body), 201).json()
    page = Browser(registry_host)
    page.open_page()
    assert page.login(robot["name"], robot["secret"]).status_code == 401


def test_self_registration_works_from_the_portal_only(admin, registry_host):
    name = f"signup-{secrets.token_hex(4)}"
    user = {"username": name, "email": f"{name}@example.com", "realname": "Signed Up",
            "password": "Passw0rdX", "comment": ""}
    page = Browser(registry_host)
    page.open_page()
    # Off: nobody signs up, and the sign-up form may not probe names.
    assert_api_error(page.request("POST", "/api/v2.0/users", json=user), 401, "UNAUTHORIZED")
    assert page.request("POST", "/c/userExists", data={"target": "username", "value": "admin"}).status_code == 412
    with self_registration(admin, True):
        plain = Harbor(registry_host).api("POST", "/users", json=user)
        error = assert_api_error(plain, 403, "FORBIDDEN")
        assert "cannot be triggered via API" in error["message"]
        exists = page.request("POST", "/c/userExists", data={"target": "username", "value": "admin"})
        assert exists.json() is True
        free = page.request("POST", "/c/userExists", data={"target": "email", "value": f"{name}@example.com"})
        assert free.json() is False
        assert_api_status(page.request("POST", "/api/v2.0/users", json=user), 201)
    me = Harbor(registry_host, name, "Passw0rdX").api("GET", "/users/current")
    assert assert_api_status(me, 200).json()["sysadmin_flag"] is False
