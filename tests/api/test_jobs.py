"""The job service through Harbor's API: GC and audit-log purge runs (`/system/gc`,
`/system/purgeaudit`), their schedules (`/schedules`), the queues, pools and jobs
(`/jobservice`); a kill -9 during a GC job; a schedule shared by two nodes firing once."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from berth_api.harbor import Harbor, admin_password, assert_api_error, assert_api_status
from berth_api.registry import describe, push_image, random_bytes, sha256

pytestmark = pytest.mark.own_server


def start(server, **settings: str) -> Harbor:
    server.settings.update({"BERTH_GC_TIME_WINDOW_HOURS": "0", **settings})
    return Harbor(server.start(), "admin", admin_password())


def run(admin: Harbor, path: str, parameters: dict, status: int = 201) -> int:
    """Starts a run now (`Manual`); returns its execution id, from `Location`."""
    resp = admin.api("POST", f"{path}/schedule", json={"schedule": {"type": "Manual"}, "parameters": parameters})
    assert_api_status(resp, status)
    location = resp.headers["Location"]
    assert location.startswith(f"/api/v2.0{path}/"), location
    return int(location.rsplit("/", 1)[1])


def wait(admin: Harbor, path: str, execution: int, statuses=("Success", "Error", "Stopped"), timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        resp = assert_api_status(admin.api("GET", f"{path}/{execution}"), 200)
        body = resp.json()
        if body["job_status"] in statuses:
            return body
        assert time.monotonic() < deadline, f"execution {execution} still {body['job_status']}"
        time.sleep(0.1)


def results(history: dict) -> dict:
    return json.loads(history["job_parameters"])


def test_gc_runs_as_a_job_with_history_results_and_log(berth_server):
    admin = start(berth_server)
    project = admin.create_project()
    repo = f"{project}/app"
    kept = push_image(admin, repo, "kept", layer_count=2)
    gone = push_image(admin, repo, "gone", layer_count=2)
    assert admin.delete(f"/v2/{repo}/manifests/{gone.digest}").status_code == 202
    doomed = {sha256(b) for b in [gone.config, *gone.layers]}
    doomed_bytes = sum(len(b) for b in [gone.config, *gone.layers])

    dry = wait(admin, "/system/gc", run(admin, "/system/gc", {"dry_run": True, "workers": 2}))
    assert dry["job_status"] == "Success", dry
    assert (dry["job_name"], dry["job_kind"], dry["schedule"]["type"]) == ("GARBAGE_COLLECTION", "MANUAL", "Manual")
    figures = results(dry)
    assert (figures["purged_blobs"], figures["freed_space"]) == (len(doomed), doomed_bytes), figures
    assert (figures["dry_run"], figures["workers"], figures["delete_untagged"]) == (True, 2, True)
    assert doomed <= berth_server.stored_blobs(), "a dry run deleted something"

    # PUT takes the same body and answers 200 (no Location): the run is the newest in the history.
    resp = admin.api("PUT", "/system/gc/schedule", json={"schedule": {"type": "Manual"}, "parameters": {}})
    assert_api_status(resp, 200)
    assert "Content-Type" not in resp.headers
    history = assert_api_status(admin.api("GET", "/system/gc", params={"page_size": 1}), 200)
    assert history.headers["X-Total-Count"] == "2"
    assert 'rel="next"' in history.headers["Link"]
    real = wait(admin, "/system/gc", history.json()[0]["id"])
    assert real["job_status"] == "Success", real
    assert (results(real)["purged_blobs"], results(real)["freed_space"]) == (len(doomed), doomed_bytes)
    assert berth_server.stored_blobs() == {sha256(b) for b in [kept.config, *kept.layers]}

    log = assert_api_status(admin.api("GET", f"/system/gc/{real['id']}/log"), 200)
    assert log.headers["Content-Type"].startswith("text/plain")
    assert f"{len(doomed)} blobs and 0 manifests are actually deleted" in log.text, log.text
    assert "the job succeeded" in log.text
    dry_log = admin.api("GET", f"/system/gc/{dry['id']}/log").text
    assert "[DRYRUN]" in dry_log and "actually deleted" not in dry_log, dry_log

    # A GC execution is not a purge execution, and unknown ids are 404.
    for path in [f"/system/purgeaudit/{real['id']}", "/system/gc/999999", "/system/gc/abc", "/system/gc/999999/log"]:
        assert_api_error(admin.api("GET", path), 404, "NOT_FOUND")
    assert_api_error(admin.api("PUT", "/system/gc/999999"), 404, "NOT_FOUND")


def test_gc_schedules_are_set_shown_listed_and_removed(berth_server):
    admin = start(berth_server)
    empty = assert_api_status(admin.api("GET", "/system/gc/schedule"), 200)
    assert empty.content == b"" and "Content-Type" not in empty.headers

    body = {"schedule": {"type": "Daily", "cron": "0 0 0 * * *"}, "parameters": {"delete_untagged": False, "workers": 3}}
    assert_api_status(admin.api("PUT", "/system/gc/schedule", json=body), 200)
    shown = assert_api_status(admin.api("GET", "/system/gc/schedule"), 200).json()
    assert shown["schedule"]["type"] == "Daily" and shown["schedule"]["cron"] == "0 0 0 * * *", shown
    assert shown["schedule"]["next_scheduled_time"].endswith("T00:00:00.000Z"), shown
    assert json.loads(shown["job_parameters"])["workers"] == 3
    listed = assert_api_status(admin.api("GET", "/schedules"), 200)
    assert [(s["vendor_type"], s["cron"]) for s in listed.json()] == [("GARBAGE_COLLECTION", "0 0 0 * * *")]
    assert listed.headers["X-Total-Count"] == "1"

    # Replacing keeps one schedule; POST answers 201.
    body["schedule"] = {"type": "Custom", "cron": "0 30 2 * * 1"}
    assert_api_status(admin.api("POST", "/system/gc/schedule", json=body), 201)
    assert len(admin.api("GET", "/schedules").json()) == 1
    assert admin.api("GET", "/system/gc/schedule").json()["schedule"]["cron"] == "0 30 2 * * 1"

    assert_api_status(admin.api("PUT", "/system/gc/schedule", json={"schedule": {"type": "None"}}), 200)
    assert admin.api("GET", "/system/gc/schedule").content == b""
    assert admin.api("GET", "/schedules").json() == []


@pytest.mark.parametrize(
    "body, message",
    [
        ({"schedule": {"type": "Sometimes", "cron": "0 0 0 * * *"}}, "invalid schedule type"),
        ({"schedule": {"type": "Daily"}}, "cron"),
        ({"schedule": {"type": "Custom", "cron": "5 0 0 * * *"}}, "must be 0"),
        ({"schedule": {"type": "Custom", "cron": "every day"}}, "cron"),
        ({"schedule": {"type": "Manual"}, "parameters": {"workers": 0}}, "Invalid number of workers"),
        ({"schedule": {"type": "Manual"}, "parameters": {"workers": 11}}, "Invalid number of workers"),
        ({"schedule": {"type": "Manual"}, "parameters": {"workers": "2"}}, "workers must be an integer"),
        ({"schedule": {"type": "Manual"}, "parameters": {"dry_run": "yes"}}, "dry_run"),
        ({"parameters": {}}, "schedule is required"),
        ("not json", "invalid request body"),
    ],
)
def test_bad_gc_schedules_are_refused(berth_server, body, message):
    admin = start(berth_server)
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    for method in ("POST", "PUT"):
        error = assert_api_error(admin.api(method, "/system/gc/schedule", **kwargs), 400, "BAD_REQUEST")
        assert message in error["message"], error
    assert admin.api("GET", "/system/gc").json() == [], "a refused request started a run"


def test_paused_queues_hold_jobs_and_a_second_gc_conflicts(berth_server):
    admin = start(berth_server)
    assert_api_status(admin.api("PUT", "/jobservice/queues/GARBAGE_COLLECTION", json={"action": "pause"}), 200)
    first = run(admin, "/system/gc", {})
    time.sleep(2)
    assert admin.api("GET", f"/system/gc/{first}").json()["job_status"] == "Pending"
    queues = {q["job_type"]: q for q in admin.api("GET", "/jobservice/queues").json()}
    assert (queues["GARBAGE_COLLECTION"]["count"], queues["GARBAGE_COLLECTION"]["paused"]) == (1, True)
    assert queues["GARBAGE_COLLECTION"]["latency"] >= 1
    assert queues["PURGE_AUDIT_LOG"]["paused"] is False
    assert admin.api("GET", "/schedules/all/paused").json() == {"paused": False}
    assert admin.api("GET", "/schedules/GARBAGE_COLLECTION/paused").json() == {"paused": True}

    # Only one GC at a time: a second manual run while one waits is a conflict.
    resp = admin.api("POST", "/system/gc/schedule", json={"schedule": {"type": "Manual"}})
    assert_api_error(resp, 409, "CONFLICT")

    assert_api_status(admin.api("PUT", "/jobservice/queues/all", json={"action": "pause"}), 200)
    assert admin.api("GET", "/schedules/all/paused").json() == {"paused": True}
    assert_api_status(admin.api("PUT", "/jobservice/queues/all", json={"action": "resume"}), 200)
    assert admin.api("GET", "/schedules/all/paused").json() == {"paused": False}
    assert wait(admin, "/system/gc", first)["job_status"] == "Success"

    assert_api_error(admin.api("PUT", "/jobservice/queues/all", json={"action": "explode"}), 422, "UNPROCESSABLE_ENTITY")
    assert_api_error(admin.api("PUT", "/jobservice/queues/all", data="{"), 422, "UNPROCESSABLE_ENTITY")
    assert_api_error(admin.api("PUT", "/jobservice/queues/NO_SUCH_JOB", json={"action": "pause"}), 404, "NOT_FOUND")
    assert_api_error(admin.api("GET", "/schedules/NO_SUCH_JOB/paused"), 400, "BAD_REQUEST")


def orphans(admin: Harbor, project: str, count: int) -> None:
    blobs = [random_bytes(64) for _ in range(count)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda b: admin.push_blob(f"{project}/junk", b), blobs))


def workers_running(admin: Harbor) -> list[dict]:
    return [w for w in admin.api("GET", "/jobservice/pools/all/workers").json() if w["job_id"]]


def test_stopping_gc_runs_pending_and_running(berth_server):
    admin = start(berth_server, BERTH_JOB_LEASE_SECONDS="1")
    project = admin.create_project()
    live = push_image(admin, f"{project}/app", "v1", layer_count=2)
    orphans(admin, project, 3000)

    # Stopped while it waits in a paused queue: it never runs.
    assert_api_status(admin.api("PUT", "/jobservice/queues/GARBAGE_COLLECTION", json={"action": "pause"}), 200)
    waiting = run(admin, "/system/gc", {})
    assert_api_status(admin.api("PUT", f"/system/gc/{waiting}"), 200)
    assert admin.api("GET", f"/system/gc/{waiting}").json()["job_status"] == "Stopped"
    assert_api_status(admin.api("PUT", "/jobservice/queues/GARBAGE_COLLECTION", json={"action": "resume"}), 200)

    # Stopped while it sweeps, through the job service's own stop: it ends Stopped at a
    # batch boundary, having deleted only part of the orphans.
    running = run(admin, "/system/gc", {"workers": 1})
    deadline = time.monotonic() + 60
    while not workers_running(admin):
        assert time.monotonic() < deadline, "the GC never showed as running"
        time.sleep(0.05)
    worker = workers_running(admin)[0]
    assert worker["job_name"] == "GARBAGE_COLLECTION" and worker["start_at"], worker
    assert_api_status(admin.api("PUT", f"/jobservice/jobs/{worker['job_id']}"), 200)
    ended = wait(admin, "/system/gc", running)
    assert ended["job_status"] == "Stopped", ended
    assert results(ended)["purged_blobs"] < 3000, ended
    log = assert_api_status(admin.api("GET", f"/jobservice/jobs/{worker['job_id']}/log"), 200).text
    assert "stopped on request" in log, log
    assert_api_error(admin.api("PUT", "/jobservice/jobs/0123456789abcdef0123456789abcdef"), 404, "NOT_FOUND")
    assert_api_error(admin.api("GET", "/jobservice/jobs/nope/log"), 404, "NOT_FOUND")

    # Nothing referenced was lost, and the next run finishes the sweep.
    assert admin.manifest(f"{project}/app", "v1").content == live.manifest
    assert wait(admin, "/system/gc", run(admin, "/system/gc", {}))["job_status"] == "Success"
    assert berth_server.stored_blobs() == {sha256(b) for b in [live.config, *live.layers]}


def test_a_gc_job_killed_mid_run_fails_and_the_next_run_finishes(berth_server):
    admin = start(berth_server, BERTH_JOB_LEASE_SECONDS="2")
    project = admin.create_project()
    live = push_image(admin, f"{project}/app", "v1", layer_count=2)
    orphans(admin, project, 3000)
    doomed = run(admin, "/system/gc", {"workers": 1})
    deadline = time.monotonic() + 60
    while admin.api("GET", f"/system/gc/{doomed}").json()["job_status"] != "Running":
        assert time.monotonic() < deadline, "the GC never started"
        time.sleep(0.02)
    time.sleep(0.3)
    berth_server.kill()

    admin = Harbor(berth_server.start(), "admin", admin_password())
    # GC runs once (Harbor's rule): when the dead node's lease runs out the run ends in Error.
    ended = wait(admin, "/system/gc", doomed, timeout=60)
    assert ended["job_status"] == "Error", ended
    log = admin.api("GET", f"/system/gc/{doomed}/log").text
    assert "stopped renewing its lease" in log, log
    assert admin.manifest(f"{project}/app", "v1").content == live.manifest
    again = wait(admin, "/system/gc", run(admin, "/system/gc", {}))
    assert again["job_status"] == "Success", again
    assert berth_server.stored_blobs() == {sha256(b) for b in [live.config, *live.layers]}
    for blob in [live.config, *live.layers]:
        assert admin.get(f"/v2/{project}/app/blobs/{sha256(blob)}").content == blob


def test_audit_log_purge_deletes_old_records_of_the_chosen_events(berth_server):
    admin = start(berth_server)
    day = 24 * 3600 * 1000
    now = int(time.time() * 1000)
    rows = []
    for i, (operation, resource_type, age) in enumerate(
        [("create", "artifact", 3 * day), ("create", "artifact", 3 * day), ("delete", "artifact", 3 * day),
         ("pull", "artifact", 3 * day), ("create", "artifact", 0)]
    ):
        rows.append(f"('old', 'admin', '{operation}', '{resource_type}', 'old/app:{i}', '', 1, {now - age})")
    berth_server.backend.sql(
        "INSERT INTO audit_logs (project, username, operation, resource_type, resource, description, success, op_time) "
        f"VALUES {', '.join(rows)}"
    )

    def old_records() -> list[str]:
        logs = admin.api("GET", "/audit-logs", params={"q": "resource=~old/app", "page_size": 100}).json()
        return sorted(f"{r['operation']}:{r['resource']}" for r in logs)

    assert len(old_records()) == 5
    params = {"audit_retention_hour": 48, "include_event_types": "create_artifact,delete_artifact", "dry_run": True}
    dry = wait(admin, "/system/purgeaudit", run(admin, "/system/purgeaudit", params))
    assert (dry["job_status"], results(dry)["purged"]) == ("Success", 3), dry
    assert "[DRYRUN] Purged 3 rows of audit logs" in admin.api("GET", f"/system/purgeaudit/{dry['id']}/log").text
    assert len(old_records()) == 5

    params["dry_run"] = False
    real = wait(admin, "/system/purgeaudit", run(admin, "/system/purgeaudit", params))
    assert (real["job_status"], results(real)["purged"]) == ("Success", 3), real
    assert old_records() == ["create:old/app:4", "pull:old/app:3"]
    assert "Purged 3 rows of audit logs" in admin.api("GET", f"/system/purgeaudit/{real['id']}/log").text

    # 0 (or -1) keeps everything.
    kept = wait(admin, "/system/purgeaudit", run(admin, "/system/purgeaudit", {"audit_retention_hour": 0}))
    assert results(kept)["purged"] == 0
    history = admin.api("GET", "/system/purgeaudit").json()
    assert [h["job_name"] for h in history] == ["PURGE_AUDIT_LOG"] * 3
    bad = {"schedule": {"type": "Manual"}, "parameters": {"audit_retention_hour": "soon"}}
    assert_api_error(admin.api("POST", "/system/purgeaudit/schedule", json=bad), 400, "BAD_REQUEST")


def test_a_schedule_shared_by_two_nodes_fires_once(berth_server):
    admin = start(berth_server)
    other = berth_server.sibling()
    other.start()
    pools = assert_api_status(admin.api("GET", "/jobservice/pools"), 200).json()
    assert len({p["worker_pool_id"] for p in pools}) == 2, pools
    body = {"schedule": {"type": "Custom", "cron": "0 * * * * *"}, "parameters": {"audit_retention_hour": 1, "dry_run": True}}
    assert_api_status(admin.api("PUT", "/system/purgeaudit/schedule", json=body), 200)
    deadline = time.monotonic() + 75
    while not admin.api("GET", "/system/purgeaudit").json():
        assert time.monotonic() < deadline, "the schedule never fired"
        time.sleep(0.5)
    time.sleep(3)
    history = admin.api("GET", "/system/purgeaudit").json()
    assert [(h["job_kind"], h["schedule"]["type"]) for h in history] == [("SCHEDULE", "Schedule")], history
    assert wait(admin, "/system/purgeaudit", history[0]["id"])["job_status"] == "Success"
    assert_api_status(admin.api("PUT", "/system/purgeaudit/schedule", json={"schedule": {"type": "None"}}), 200)
    other.stop()


JOB_ENDPOINTS = [
    ("GET", "/system/gc", None, 200),
    ("GET", "/system/gc/999999", None, 404),
    ("PUT", "/system/gc/999999", None, 404),
    ("GET", "/system/gc/999999/log", None, 404),
    ("GET", "/system/gc/schedule", None, 200),
    ("PUT", "/system/gc/schedule", {"schedule": {"type": "None"}}, 200),
    ("POST", "/system/gc/schedule", {"schedule": {"type": "None"}}, 201),
    ("GET", "/system/purgeaudit", None, 200),
    ("GET", "/system/purgeaudit/999999", None, 404),
    ("PUT", "/system/purgeaudit/999999", None, 404),
    ("GET", "/system/purgeaudit/999999/log", None, 404),
    ("GET", "/system/purgeaudit/schedule", None, 200),
    ("PUT", "/system/purgeaudit/schedule", {"schedule": {"type": "None"}}, 200),
    ("POST", "/system/purgeaudit/schedule", {"schedule": {"type": "None"}}, 201),
    ("GET", "/schedules", None, 200),
    ("GET", "/schedules/all/paused", None, 200),
    ("GET", "/jobservice/pools", None, 200),
    ("GET", "/jobservice/pools/all/workers", None, 200),
    ("PUT", "/jobservice/jobs/0123456789abcdef0123456789abcdef", None, 404),
    ("GET", "/jobservice/jobs/0123456789abcdef0123456789abcdef/log", None, 404),
    ("GET", "/jobservice/queues", None, 200),
    ("PUT", "/jobservice/queues/RETENTION", {"action": "resume"}, 200),
]


@pytest.mark.parametrize("caller", ["sysadmin", "user", "anonymous"])
def test_the_job_service_is_for_system_administrators(berth_server, caller):
    admin = start(berth_server)
    clients = {"sysadmin": admin, "anonymous": Harbor(berth_server.host)}
    if caller == "user":
        clients["user"] = Harbor(berth_server.host, *admin.create_user())
    client = clients[caller]
    for method, path, body, ok in JOB_ENDPOINTS:
        resp = client.api(method, path, json=body) if body is not None else client.api(method, path)
        expected = ok if caller == "sysadmin" else (401 if caller == "anonymous" else 403)
        assert resp.status_code == expected, f"{caller} {method} {path}: {describe(resp)}"
    # A refused manual run starts nothing.
    resp = client.api("POST", "/system/gc/schedule", json={"schedule": {"type": "Manual"}})
    if caller != "sysadmin":
        assert resp.status_code in (401, 403)
        assert admin.api("GET", "/system/gc").json() == []

