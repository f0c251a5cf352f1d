"""Harbor API v2.0 users: passwords, the administrator flag, search, lookups; the operator's
`berth admin reset-password`; a berth started without BERTH_ADMIN_PASSWORD."""

from __future__ import annotations

import os
import re
import subprocess
import time

import pytest

from berth_api.harbor import Harbor, admin_password, assert_api_error, assert_api_status
from berth_api.registry import Registry
from berth_api.server import BerthServer, berth_binary


@pytest.fixture(scope="module")
def admin(registry_host) -> Harbor:
    return Harbor(registry_host, "admin", admin_password())


def new_user(admin: Harbor, password: str = "Passw0rdX") -> tuple[Harbor, int]:
    name, password = admin.create_user(password=password)
    client = Harbor(admin.host, name, password)
    me = assert_api_status(client.api("GET", "/users/current"), 200).json()
    return client, me["user_id"]


def test_users_change_their_own_password(admin):
    user, uid = new_user(admin)
    name = user.session.auth[0]
    body = {"old_password": "Wr0ngOldOne", "new_password": "NewPassw0rd"}
    assert_api_error(user.api("PUT", f"/users/{uid}/password", json=body), 403, "FORBIDDEN")
    same = {"old_password": "Passw0rdX", "new_password": "Passw0rdX"}
    assert_api_error(user.api("PUT", f"/users/{uid}/password", json=same), 400, "BAD_REQUEST")
    weak = {"old_password": "Passw0rdX", "new_password": "weak"}
    assert "1 uppercase letter" in assert_api_error(user.api("PUT", f"/users/{uid}/password", json=weak), 400, "BAD_REQUEST")["message"]
    ok = {"old_password": "Passw0rdX", "new_password": "NewPassw0rd"}
    resp = assert_api_status(user.api("PUT", f"/users/{uid}/password", json=ok), 200)
    assert resp.content == b""
    # The old password stops working at once (a remembered login is tied to the old hash).
    assert_api_error(user.api("GET", "/users/current"), 401, "UNAUTHORIZED")
    assert user.get("/v2/").status_code == 401
    again = Harbor(admin.host, name, "NewPassw0rd")
    assert_api_status(again.api("GET", "/users/current"), 200)


def test_administrators_reset_passwords_and_others_may_not(admin):
    user, uid = new_user(admin)
    other, other_id = new_user(admin)
    assert_api_error(other.api("PUT", f"/users/{uid}/password", json={"new_password": "Hijack3dPw"}), 403, "FORBIDDEN")
    assert_api_status(admin.api("PUT", f"/users/{uid}/password", json={"new_password": "ResetByAdm1n"}), 200)
    assert_api_status(Harbor(admin.host, user.session.auth[0], "ResetByAdm1n").api("GET", "/users/current"), 200)
    assert_api_error(Harbor(admin.host).api("PUT", f"/users/{uid}/password", json={"new_password": "Anon1mousPw"}), 401, "UNAUTHORIZED")
    assert_api_error(admin.api("PUT", "/users/999999/password", json={"new_password": "Passw0rdXY"}), 404, "NOT_FOUND")


def test_the_administrator_flag(admin):
    user, uid = new_user(admin)
    assert_api_error(user.api("GET", "/users"), 403, "FORBIDDEN")
    assert_api_error(user.api("PUT", f"/users/{uid}/sysadmin", json={"sysadmin_flag": True}), 403, "FORBIDDEN")
    assert_api_status(admin.api("PUT", f"/users/{uid}/sysadmin", json={"sysadmin_flag": True}), 200)
    assert assert_api_status(user.api("GET", "/users/current"), 200).json()["sysadmin_flag"] is True
    assert_api_status(user.api("GET", "/users"), 200)
    assert user.get("/v2/_catalog").status_code == 200
    assert_api_status(admin.api("PUT", f"/users/{uid}/sysadmin", json={"sysadmin_flag": False}), 200)
    assert_api_error(user.api("GET", "/users"), 403, "FORBIDDEN")
    # The first administrator keeps the flag.
    assert_api_error(admin.api("PUT", "/users/1/sysadmin", json={"sysadmin_flag": False}), 403, "FORBIDDEN")


def test_search_and_lookup(admin):
    user, uid = new_user(admin)
    other, other_id = new_user(admin)
    name = user.session.auth[0]
    found = assert_api_status(other.api("GET", "/users/search", params={"username": name[-6:]}), 200).json()
    assert found == [{"user_id": uid, "username": name}]
    assert_api_error(Harbor(admin.host).api("GET", "/users/search", params={"username": "a"}), 401, "UNAUTHORIZED")
    assert assert_api_status(user.api("GET", f"/users/{uid}"), 200).json()["username"] == name
    assert_api_error(other.api("GET", f"/users/{uid}"), 403, "FORBIDDEN")
    assert assert_api_status(admin.api("GET", f"/users/{uid}"), 200).json()["user_id"] == uid
    assert_api_error(admin.api("GET", "/users/99999999"), 404, "NOT_FOUND")
    assert_api_error(admin.api("GET", "/users/abc"), 404, "NOT_FOUND")


@pytest.mark.own_server
def test_a_generated_admin_password_and_the_operators_reset(berth_server: BerthServer):
    env = {k: v for k, v in os.environ.items() if k != "BERTH_ADMIN_PASSWORD"}
    saved = os.environ.pop("BERTH_ADMIN_PASSWORD", None)
    try:
        host = berth_server.start()
    finally:
        if saved is not None:
            os.environ["BERTH_ADMIN_PASSWORD"] = saved
    log = berth_server.log_tail(20000)
    match = re.search(r'"admin" with the generated password (\S+)', log)
    assert match, log
    generated = match.group(1)
    assert_api_status(Harbor(host, "admin", generated).api("GET", "/users/current"), 200)
    # Locked out: the operator resets the password with the command line, server running.
    subprocess.run(
        [str(berth_binary()), "admin", "reset-password", "admin"],
        env={**env, "BERTH_DATABASE_URL": berth_server.backend.database_url,
             "BERTH_DATA_DIR": str(berth_server.data_dir), "BERTH_NEW_PASSWORD": "Operat0rSet"},
        check=True, capture_output=True, timeout=60,
    )
    assert_api_status(Harbor(host, "admin", "Operat0rSet").api("GET", "/users/current"), 200)
    # Changed from another process (as from another node): the running server stops taking
    # the old password once its remembered login is no longer fresh (10 seconds).
    old = Harbor(host, "admin", generated)
    deadline = time.monotonic() + 15
    while old.api("GET", "/users/current").status_code == 200:
        assert time.monotonic() < deadline, "the old password still works after 15 s"
        time.sleep(0.5)
    assert_api_error(old.api("GET", "/users/current"), 401, "UNAUTHORIZED")
    weak = subprocess.run(
        [str(berth_binary()), "admin", "reset-password", "admin"],
        env={**env, "BERTH_DATABASE_URL": berth_server.backend.database_url, "BERTH_NEW_PASSWORD": "weak"},
        capture_output=True, text=True, timeout=60,
    )
    assert weak.returncode != 0 and "1 uppercase letter" in weak.stderr
    # The generated password never reaches the structured log lines, only the console notice.
    assert sum(generated in line for line in log.splitlines()) == 1


def test_failed_logins_are_throttled_per_user(admin, registry_host):
    name, password = admin.create_user()
    wrong = Harbor(registry_host, name, "Wr0ngPassword")
    for _ in range(10):
        assert_api_error(wrong.api("GET", "/users/current"), 401, "UNAUTHORIZED")
    # Now even the right password is refused for a while, on the API and on /v2 ...
    user = Harbor(registry_host, name, password)
    assert_api_error(user.api("GET", "/users/current"), 401, "UNAUTHORIZED")
    assert user.get("/v2/").status_code == 401
    # ... while other users go on working, including one whose login is verified already,
    # whatever others try with its name (never the suite's administrator: the lockout lasts
    # five minutes).
    assert_api_status(admin.api("GET", "/users/current"), 200)
    busy, _ = new_user(admin)
    for _ in range(12):
        Harbor(registry_host, busy.session.auth[0], "Wr0ngPassword").api("GET", "/users/current")
    assert_api_status(busy.api("GET", "/users/current"), 200)


def test_implausible_user_names_are_refused_cleanly(registry_host):
    for name in ("nul\x00name", "x" * 300, "line\nbreak"):
        assert_api_error(Harbor(registry_host, name, "Passw0rdX").api("GET", "/users/current"), 401, "UNAUTHORIZED")
        assert Registry(registry_host, (name, "Passw0rdX")).get("/v2/").status_code == 401


def test_profiles_are_changed_by_their_user_or_an_administrator(admin, registry_host):
    name, password = admin.create_user()
    me = Harbor(registry_host, name, password)
    uid = me.api("GET", "/users/current").json()["user_id"]
    body = {"email": f"new-{name}@example.com", "realname": "New Name", "comment": "changed"}
    resp = assert_api_status(me.api("PUT", f"/users/{uid}", json=body), 200)
    assert "json" not in resp.headers.get("Content-Type", "")
    shown = me.api("GET", "/users/current").json()
    assert (shown["email"], shown["realname"], shown["comment"]) == (body["email"], "New Name", "changed")
    other_name, other_password = admin.create_user()
    other = Harbor(registry_host, other_name, other_password)
    assert_api_error(other.api("PUT", f"/users/{uid}", json=body), 403, "FORBIDDEN")
    assert_api_error(me.api("PUT", f"/users/{uid}", json={**body, "email": "not-an-email"}), 400, "BAD_REQUEST")
    taken = {**body, "email": f"{other_name}@example.com"}
    assert_api_error(me.api("PUT", f"/users/{uid}", json=taken), 409, "CONFLICT")
    assert_api_status(admin.api("PUT", f"/users/{uid}", json={**body, "comment": "by admin"}), 200)
    assert me.api("GET", "/users/current").json()["comment"] == "by admin"


def test_a_deleted_user_cannot_log_in_and_the_name_can_be_taken_again(admin, registry_host):
    name, password = admin.create_user()
    gone = Harbor(registry_host, name, password)
    uid = gone.api("GET", "/users/current").json()["user_id"]
    project = admin.create_project()
    member = {"role_id": 2, "member_user": {"username": name}}
    assert_api_status(admin.api("POST", f"/projects/{project}/members", json=member), 201)
    assert_api_error(gone.api("DELETE", f"/users/{uid}"), 403, "FORBIDDEN")
    assert_api_error(admin.api("DELETE", "/users/1"), 403, "FORBIDDEN")
    assert_api_status(admin.api("DELETE", f"/users/{uid}"), 200)
    assert_api_error(admin.api("GET", f"/users/{uid}"), 404, "NOT_FOUND")
    assert_api_error(gone.api("GET", "/users/current"), 401, "UNAUTHORIZED")
    assert gone.get("/v2/").status_code == 401
    members = admin.api("GET", f"/projects/{project}/members", params={"page_size": 100}).json()
    assert name not in {m["entity_name"] for m in members}
    admin.create_user(name)
    assert_api_error(admin.api("DELETE", f"/users/{uid}"), 404, "NOT_FOUND")
