"""Tag retention (`/retentions`): policies with Harbor's templates and selectors, dry runs,
real runs that delete what no rule keeps, immutable tags kept, schedules, validation, roles,
and a kill -9 during a run."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from berth_api.harbor import Harbor, admin_password, assert_api_error, assert_api_status
from berth_api.registry import describe, push_image


def selector(pattern: str, untagged: bool = False, decoration: str = "matches") -> dict:
    return {"kind": "doublestar", "decoration": decoration, "pattern": pattern,
            "extras": f'{{"untagged":{str(untagged).lower()}}}'}


def rule(template: str, value: int | None = None, tags: str = "**", repos: str = "**", untagged: bool = False) -> dict:
    return {
        "disabled": False, "action": "retain", "template": template,
        "params": {} if value is None else {template: value},
        "tag_selectors": [selector(tags, untagged)],
        "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": repos}]},
    }


def policy(project_id: int, rules: list[dict], cron: str = "") -> dict:
    return {"algorithm": "or", "rules": rules, "scope": {"level": "project", "ref": project_id},
            "trigger": {"kind": "Schedule", "settings": {"cron": cron}}}


def project_id(client: Harbor, project: str) -> int:
    return assert_api_status(client.api("GET", f"/projects/{project}"), 200).json()["project_id"]


def create(client: Harbor, body: dict) -> int:
    resp = assert_api_status(client.api("POST", "/retentions", json=body), 201)
    location = resp.headers["Location"]
    assert location.startswith("/api/v2.0/retentions/"), location
    return int(location.rsplit("/", 1)[1])


def run(client: Harbor, pid: int, dry_run: bool) -> int:
    resp = assert_api_status(client.api("POST", f"/retentions/{pid}/executions", json={"dry_run": dry_run}), 201)
    return int(resp.headers["Location"].rsplit("/", 1)[1])


def finished(client: Harbor, pid: int, eid: int, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        executions = assert_api_status(client.api("GET", f"/retentions/{pid}/executions"), 200).json()
        (mine,) = [e for e in executions if e["id"] == eid]
        if mine["status"] in ("Success", "Error", "Stopped"):
            return mine
        assert time.monotonic() < deadline, f"retention run {eid} still {mine['status']}"
        time.sleep(0.1)


def tags_of(client: Harbor, repo: str) -> set[str]:
    resp = client.get(f"/v2/{repo}/tags/list")
    return set(resp.json().get("tags") or []) if resp.status_code == 200 else set()


def test_retention_keeps_what_the_rules_keep_and_deletes_the_rest(admin):
    project = admin.create_project()
    pid_project = project_id(admin, project)
    keep_me = push_image(admin, f"{project}/app", "keep-me")
    images = [push_image(admin, f"{project}/app", f"v{i}") for i in range(1, 5)]
    untagged = push_image(admin, f"{project}/app")
    push_image(admin, f"{project}/other", "v1")
    push_image(admin, f"{project}/other", "v2")
    pid = create(admin, policy(pid_project, [rule("latestPushedK", 2, tags="v*", repos="app"),
                                             rule("always", tags="keep-*", repos="app")]))
    shown = assert_api_status(admin.api("GET", f"/retentions/{pid}"), 200).json()
    assert shown["id"] == pid and [r["template"] for r in shown["rules"]] == ["latestPushedK", "always"]
    assert admin.api("GET", f"/projects/{project}").json()["metadata"]["retention_id"] == str(pid)

    dry = finished(admin, pid, run(admin, pid, dry_run=True))
    assert (dry["status"], dry["dry_run"], dry["trigger"], dry["policy_id"]) == ("Success", True, "MANUAL", pid), dry
    tasks = assert_api_status(admin.api("GET", f"/retentions/{pid}/executions/{dry['id']}/tasks"), 200).json()
    assert [(t["repository"], t["total"], t["retained"]) for t in tasks] == [("app", 6, 3)], tasks
    log = assert_api_status(admin.api("GET", f"/retentions/{pid}/executions/{dry['id']}/tasks/{tasks[0]['id']}"), 200)
    assert log.headers["Content-Type"].startswith("text/plain")
    assert f"[DRYRUN] delete {project}/app@{images[0].digest}" in log.text, log.text
    assert tags_of(admin, f"{project}/app") == {"keep-me", "v1", "v2", "v3", "v4"}, "a dry run deleted"

    real = finished(admin, pid, run(admin, pid, dry_run=False))
    assert (real["status"], real["dry_run"]) == ("Success", False), real
    assert tags_of(admin, f"{project}/app") == {"keep-me", "v3", "v4"}
    for gone in [images[0], images[1], untagged]:
        assert admin.manifest(f"{project}/app", gone.digest).status_code == 404
    for kept in [keep_me, images[2], images[3]]:
        assert admin.manifest(f"{project}/app", kept.digest).content == kept.manifest
    assert tags_of(admin, f"{project}/other") == {"v1", "v2"}, "no rule applies to other"
    listing = admin.api("GET", f"/retentions/{pid}/executions", params={"page_size": 1})
    assert listing.headers["X-Total-Count"] == "2" and listing.json()[0]["id"] == real["id"]


def test_an_immutable_tag_outlives_retention(admin):
    project = admin.create_project()
    old = push_image(admin, f"{project}/app", "v1")
    push_image(admin, f"{project}/app", "v2")
    immutable = {"tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": "v1"}],
                 "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": "**"}]}}
    assert_api_status(admin.api("POST", f"/projects/{project}/immutabletagrules", json=immutable), 201)
    pid = create(admin, policy(project_id(admin, project), [rule("latestPushedK", 1)]))
    done = finished(admin, pid, run(admin, pid, dry_run=False))
    assert done["status"] == "Success", done
    assert tags_of(admin, f"{project}/app") == {"v1", "v2"}
    assert admin.manifest(f"{project}/app", old.digest).status_code == 200
    (task,) = admin.api("GET", f"/retentions/{pid}/executions/{done['id']}/tasks").json()
    assert task["retained"] == 2
    log = admin.api("GET", f"/retentions/{pid}/executions/{done['id']}/tasks/{task['id']}").text
    assert "immutable" in log, log


def test_policies_are_checked_scheduled_updated_and_deleted(admin):
    project = admin.create_project()
    ref = project_id(admin, project)
    bad = [
        ({**policy(ref, [rule("latestPushedK", 1)]), "algorithm": "and"}, "algorithm"),
        (policy(ref, [rule("latestPushedK", n) for n in range(16)]), "at most 15"),
        (policy(ref, [rule("latestPushedK", 3), rule("latestPushedK", 3)]), "rule 2 is conflict with rule 1"),
        (policy(ref, [rule("sometimes", 1)]), "unknown template"),
        (policy(ref, [rule("latestPushedK", 20190905)]), "too large"),
        (policy(ref, [rule("latestPushedK", -1)]), "negative"),
        (policy(ref, [rule("latestPushedK")]), "required"),
        (policy(ref, [rule("latestPushedK", 1)], cron="5 0 0 * * *"), "must be 0"),
        (policy(999999, [rule("latestPushedK", 1)]), "invalid project id 999999"),
    ]
    for body, message in bad:
        resp = admin.api("POST", "/retentions", json=body)
        error = assert_api_error(resp, 400, "BAD_REQUEST")
        assert message in error["message"], (message, error)
    assert_api_error(admin.api("POST", "/retentions", data="{"), 400, "BAD_REQUEST")

    pid = create(admin, policy(ref, [rule("latestPushedK", 1)], cron="0 0 0 * * *"))
    again = admin.api("POST", "/retentions", json=policy(ref, [rule("always")]))
    assert "already has retention policy" in assert_api_error(again, 400, "BAD_REQUEST")["message"]
    schedules = [s for s in admin.api("GET", "/schedules", params={"page_size": 100}).json()
                 if s["vendor_type"] == "RETENTION" and s["vendor_id"] == pid]
    assert [s["cron"] for s in schedules] == ["0 0 0 * * *"]

    assert_api_status(admin.api("PUT", f"/retentions/{pid}", json=policy(ref, [rule("nDaysSinceLastPull", 7)])), 200)
    assert admin.api("GET", f"/retentions/{pid}").json()["rules"][0]["template"] == "nDaysSinceLastPull"
    assert not [s for s in admin.api("GET", "/schedules", params={"page_size": 100}).json()
                if s["vendor_type"] == "RETENTION" and s["vendor_id"] == pid], "an empty cron keeps a schedule"
    moved = policy(ref + 1000, [rule("always")])
    assert_api_error(admin.api("PUT", f"/retentions/{pid}", json=moved), 400, "BAD_REQUEST")

    eid = run(admin, pid, dry_run=True)
    finished(admin, pid, eid)
    assert_api_error(admin.api("PATCH", f"/retentions/{pid}/executions/{eid}", json={"action": "go"}), 400, "BAD_REQUEST")
    assert_api_status(admin.api("PATCH", f"/retentions/{pid}/executions/{eid}", json={"action": "stop"}), 200)
    assert_api_error(admin.api("GET", f"/retentions/{pid}/executions/999999/tasks"), 404, "NOT_FOUND")

    meta = assert_api_status(admin.api("GET", "/retentions/metadatas"), 200).json()
    assert {t["rule_template"] for t in meta["templates"]} >= {"latestPushedK", "nDaysSinceLastPull", "always"}
    assert meta["tag_selectors"][0]["decorations"] == ["matches", "excludes"]

    assert_api_status(admin.api("DELETE", f"/retentions/{pid}"), 200)
    assert_api_error(admin.api("GET", f"/retentions/{pid}"), 404, "NOT_FOUND")
    assert "retention_id" not in admin.api("GET", f"/projects/{project}").json()["metadata"]
    create(admin, policy(ref, [rule("always")]))  # the project may have a new one


@pytest.mark.parametrize("role, allowed", [(1, True), (4, True), (2, True), (3, False), (None, False)])
def test_retention_follows_the_projects_roles(admin, registry_host, role, allowed):
    project = admin.create_project()
    ref = project_id(admin, project)
    name, password = admin.create_user()
    if role is not None:
        member = {"role_id": role, "member_user": {"username": name}}
        assert_api_status(admin.api("POST", f"/projects/{project}/members", json=member), 201)
    client = Harbor(registry_host, name, password)
    pid = create(admin, policy(ref, [rule("always")]))
    expected = 200 if allowed else 403
    assert client.api("GET", f"/retentions/{pid}").status_code == expected
    assert client.api("GET", f"/retentions/{pid}/executions").status_code == expected
    resp = client.api("POST", f"/retentions/{pid}/executions", json={"dry_run": True})
    assert resp.status_code == (201 if allowed else 403), describe(resp)
    resp = client.api("PUT", f"/retentions/{pid}", json=policy(ref, [rule("latestPushedK", 5)]))
    assert resp.status_code == expected, describe(resp)
    anonymous = Harbor(registry_host)
    for method, path in [("GET", f"/retentions/{pid}"), ("GET", "/retentions/metadatas"), ("DELETE", f"/retentions/{pid}"),
                         ("GET", "/retentions/999999")]:
        assert anonymous.api(method, path).status_code == 401


@pytest.mark.own_server
def test_a_retention_run_killed_midway_runs_again_and_keeps_what_it_must(berth_server):
    berth_server.settings["BERTH_JOB_LEASE_SECONDS"] = "2"
    admin = Harbor(berth_server.start(), "admin", admin_password())
    project = admin.create_project()
    repos = [f"{project}/app{i}" for i in range(60)]

    def fill(repo: str):
        old = push_image(admin, repo, "old")
        new = push_image(admin, repo, "new")
        return repo, old, new

    with ThreadPoolExecutor(8) as pool:
        pushed = list(pool.map(fill, repos))
    pid = create(admin, policy(project_id(admin, project), [rule("latestPushedK", 1)]))
    eid = run(admin, pid, dry_run=False)
    deadline = time.monotonic() + 60
    while finished_status(admin, pid, eid) != "Running":
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.02)
    time.sleep(0.2)
    berth_server.kill()

    admin = Harbor(berth_server.start(), "admin", admin_password())
    done = finished(admin, pid, eid, timeout=120)
    # Retention runs up to three times: the run taken back from the dead node runs again.
    assert done["status"] == "Success", done
    jobs_log = admin.api("GET", f"/jobservice/jobs/{job_id(admin, pid, eid)}/log").text
    assert "stopped renewing its lease" in jobs_log and "run 2 of 3" in jobs_log, jobs_log
    for repo, old, new in pushed:
        assert tags_of(admin, repo) == {"new"}, repo
        assert admin.manifest(repo, new.digest).content == new.manifest
        assert admin.manifest(repo, old.digest).status_code == 404
    tasks = admin.api("GET", f"/retentions/{pid}/executions/{eid}/tasks", params={"page_size": 100}).json()
    assert len(tasks) == 60


def finished_status(client: Harbor, pid: int, eid: int) -> str:
    executions = client.api("GET", f"/retentions/{pid}/executions").json()
    return next(e["status"] for e in executions if e["id"] == eid)


def job_id(client: Harbor, pid: int, eid: int) -> str:
    (task, *_) = client.api("GET", f"/retentions/{pid}/executions/{eid}/tasks").json()
    return task["job_id"]
