"""Tag immutability (jobs-gc-quota.md §6): a project's rules, who may manage them, and their
effect through /v2 and the API: an immutable tag is pushed once, then never moved or deleted,
and nor is an artifact or repository that holds one."""

from __future__ import annotations

from berth_api.harbor import Harbor, assert_api_error, assert_api_status
from berth_api.registry import assert_error, push_image


def rule(tags: str, repos: str = "**", disabled: bool = False) -> dict:
    return {"disabled": disabled, "action": "immutable", "template": "immutable_template",
            "tag_selectors": [{"kind": "doublestar", "decoration": "matches", "pattern": tags}],
            "scope_selectors": {"repository": [{"kind": "doublestar", "decoration": "repoMatches", "pattern": repos}]}}


def test_rules_are_managed_by_project_admins_and_maintainers(admin, registry_host):
    name, password = admin.create_user()
    owner = Harbor(registry_host, name, password)
    project = owner.create_project()
    dev_name, dev_password = admin.create_user()
    member = {"role_id": 2, "member_user": {"username": dev_name}}
    assert_api_status(owner.api("POST", f"/projects/{project}/members", json=member), 201)
    developer = Harbor(registry_host, dev_name, dev_password)
    base = f"/projects/{project}/immutabletagrules"
    assert_api_error(developer.api("POST", base, json=rule("v1.*")), 403, "FORBIDDEN")
    resp = assert_api_status(owner.api("POST", base, json=rule("v1.*")), 201)
    rid = int(resp.headers["Location"].rsplit("/", 1)[1])
    assert_api_error(owner.api("POST", base, json=rule("v1.*")), 409, "CONFLICT")
    bad = rule("v1.*")
    bad["tag_selectors"][0]["decoration"] = "sometimes"
    assert_api_error(owner.api("POST", base, json=bad), 400, "BAD_REQUEST")
    (listed,) = assert_api_status(owner.api("GET", base), 200).json()
    assert listed["id"] == rid and listed["tag_selectors"][0]["pattern"] == "v1.*"
    assert_api_status(owner.api("PUT", f"{base}/{rid}", json=rule("v1.*", disabled=True)), 200)
    assert owner.api("GET", base).json()[0]["disabled"] is True
    assert_api_status(owner.api("DELETE", f"{base}/{rid}"), 200)
    assert owner.api("GET", base).json() == []
    assert_api_error(owner.api("DELETE", f"{base}/{rid}"), 404, "NOT_FOUND")


def test_an_immutable_tag_is_neither_moved_nor_deleted(admin):
    project = admin.create_project()
    base = f"/projects/{project}/immutabletagrules"
    rid = int(assert_api_status(admin.api("POST", base, json=rule("v1.*", "team/**")), 201)
              .headers["Location"].rsplit("/", 1)[1])
    repo = f"{project}/team/app"
    first = push_image(admin, repo, "v1.0")  # the first push of an immutable tag is fine
    other = push_image(admin, repo, "v2.0")
    error = assert_error(admin.put_manifest(repo, "v1.0", other.manifest, other.media_type), 412, "PRECONDITION")
    assert "immutable" in error["errors"][0]["message"]
    assert admin.manifest(repo, "v1.0").content == first.manifest
    admin.push_manifest(repo, "v2.0", first.manifest, first.media_type)  # other tags move freely
    arts = f"/projects/{project}/repositories/team%252Fapp/artifacts"
    assert_api_error(admin.api("DELETE", f"{arts}/{first.digest}/tags/v1.0"), 412, "PRECONDITION")
    assert_api_error(admin.api("DELETE", f"{arts}/v1.0"), 412, "PRECONDITION")
    assert_api_error(admin.api("DELETE", f"/projects/{project}/repositories/team%252Fapp"), 412, "PRECONDITION")
    assert_error(admin.delete(f"/v2/{repo}/manifests/{first.digest}"), 412, "PRECONDITION")
    assert_error(admin.delete(f"/v2/{repo}/manifests/v1.0"), 412, "PRECONDITION")
    shown = admin.api("GET", f"{arts}/{first.digest}", params={"with_immutable_status": "true"}).json()
    assert {t["name"]: t["immutable"] for t in shown["tags"]} == {"v1.0": True, "v2.0": False}
    # Another repository of the project is outside the rule.
    push_image(admin, f"{project}/app", "v1.0")
    push_image(admin, f"{project}/app", "v1.0")
    # Disabled, the rule holds nothing.
    assert_api_status(admin.api("PUT", f"{base}/{rid}", json=rule("v1.*", "team/**", disabled=True)), 200)
    assert_api_status(admin.api("DELETE", f"{arts}/{first.digest}/tags/v1.0"), 200)
