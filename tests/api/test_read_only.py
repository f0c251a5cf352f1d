"""Read-only mode (jobs-gc-quota.md §7): pushes, deletions, tagging and API changes are refused
with 403 DENIED; pulls, reads, logins, tokens and the configuration change that ends the mode
go on."""

from __future__ import annotations

import contextlib

from berth_api.harbor import Harbor, assert_api_error, assert_api_status
from berth_api.registry import assert_error, push_image, random_bytes, sha256

MESSAGE = "The system is in read only mode. Any modification is prohibited."


@contextlib.contextmanager
def read_only(admin: Harbor):
    assert_api_status(admin.api("PUT", "/configurations", json={"read_only": True}), 200)
    try:
        yield
    finally:
        assert_api_status(admin.api("PUT", "/configurations", json={"read_only": False}), 200)


def test_read_only_refuses_changes_and_serves_reads(admin, user, registry_host):
    project = admin.create_project()
    image = push_image(admin, f"{project}/app", "v1")
    art = f"/projects/{project}/repositories/app/artifacts"
    with read_only(admin):
        assert admin.api("GET", "/systeminfo").json()["read_only"] is True
        # Registry: no upload, no manifest, no deletion; pulls go on.
        error = assert_error(admin.post(f"/v2/{project}/app/blobs/uploads/"), 403, "DENIED")
        assert error["errors"][0]["message"] == MESSAGE
        assert_error(admin.put(f"/v2/{project}/app/manifests/v2", data=image.manifest,
                               headers={"Content-Type": image.media_type}), 403, "DENIED")
        assert_error(admin.delete(f"/v2/{project}/app/manifests/{image.digest}"), 403, "DENIED")
        assert admin.manifest(f"{project}/app", "v1").content == image.manifest
        assert admin.get(f"/v2/{project}/app/blobs/{sha256(image.config)}").content == image.config
        # API: no project, tag or deletion; reads go on.
        assert_api_error(user.api("POST", "/projects", json={"project_name": "ro-x", "metadata": {}}), 403, "DENIED")
        assert_api_error(admin.api("POST", f"{art}/v1/tags", json={"name": "v9"}), 403, "DENIED")
        assert_api_error(admin.api("DELETE", f"{art}/v1"), 403, "DENIED")
        assert_api_status(admin.api("GET", f"{art}/v1"), 200)
        # Tokens and logins still work.
        token = admin.get("/service/token", params={"service": "harbor-registry",
                                                    "scope": f"repository:{project}/app:pull"})
        assert token.status_code == 200
    # Out of the mode: changes work again.
    admin.push_blob(f"{project}/app", random_bytes(100))
    assert_api_status(admin.api("POST", f"{art}/v1/tags", json={"name": "v9"}), 201)
