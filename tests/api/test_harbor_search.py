"""Search, statistics and icons (api-conventions.md §9): only what the caller may see."""

from __future__ import annotations

import base64
import hashlib
import secrets

from berth_api.harbor import Harbor, assert_api_error, assert_api_status
from berth_api.registry import push_image


def test_search_finds_projects_and_repositories_the_caller_may_see(admin, user, registry_host):
    word = f"srch{secrets.token_hex(3)}"
    private = admin.create_project(f"{word}-private")
    public = admin.create_project(f"{word}-public", public=True)
    push_image(admin, f"{private}/app", "v1")
    push_image(admin, f"{public}/app", "v1")
    body = assert_api_status(admin.api("GET", "/search", params={"q": word}), 200).json()
    assert {p["name"] for p in body["project"]} == {private, public}
    repos = {r["repository_name"]: r for r in body["repository"]}
    assert set(repos) == {f"{private}/app", f"{public}/app"}
    assert repos[f"{public}/app"]["project_public"] is True
    assert repos[f"{private}/app"]["project_public"] is False
    assert repos[f"{public}/app"]["artifact_count"] == 1
    for who in (user, Harbor(registry_host)):
        seen = assert_api_status(who.api("GET", "/search", params={"q": word}), 200).json()
        assert [p["name"] for p in seen["project"]] == [public]
        assert [r["repository_name"] for r in seen["repository"]] == [f"{public}/app"]
    assert assert_api_status(admin.api("GET", "/search"), 200).json() == {"project": [], "repository": []}


def test_statistics_count_what_the_caller_sees(admin, user, registry_host):
    before = assert_api_status(admin.api("GET", "/statistics"), 200).json()
    private = admin.create_project()
    push_image(admin, f"{private}/app", "v1")
    push_image(admin, f"{private}/two", "v1")
    after = assert_api_status(admin.api("GET", "/statistics"), 200).json()
    assert after["private_project_count"] == before["private_project_count"] + 1
    assert after["private_repo_count"] == before["private_repo_count"] + 2
    assert after["total_project_count"] == after["private_project_count"] + after["public_project_count"]
    assert after["total_storage_consumption"] > before["total_storage_consumption"]
    mine = assert_api_status(user.api("GET", "/statistics"), 200).json()
    assert mine["private_project_count"] == 0 and "total_storage_consumption" not in mine
    assert_api_error(Harbor(registry_host).api("GET", "/statistics"), 401, "UNAUTHORIZED")


def test_artifacts_name_icons_that_can_be_fetched(admin):
    project = admin.create_project()
    push_image(admin, f"{project}/app", "v1")
    art = admin.api("GET", f"/projects/{project}/repositories/app/artifacts/v1").json()
    icon = assert_api_status(admin.api("GET", f"/icons/{art['icon']}"), 200).json()
    content = base64.b64decode(icon["content"])
    assert icon["content-type"] == "image/svg+xml"
    assert f"sha256:{hashlib.sha256(content).hexdigest()}" == art["icon"]
    assert_api_error(admin.api("GET", "/icons/sha256:" + "0" * 64), 404, "NOT_FOUND")
    assert_api_error(admin.api("GET", "/icons/not-a-digest"), 400, "BAD_REQUEST")
