"""Manifests recorded before berth kept artifact facts (type, size, config facts, accessory
kind) get them at the next start: the database is put back in the old state by hand, then
berth is restarted and the Harbor API must show the same artifacts as before."""

from __future__ import annotations

import secrets
import sqlite3
import time

import pytest

from berth_api.harbor import Harbor, admin_password, assert_api_status
from berth_api.registry import EMPTY_JSON, OCI_EMPTY, OCI_INDEX, descriptor, image_manifest, index_manifest, push_image, sha256
from berth_api.server import _psql

OLD_STATE = ("UPDATE manifests SET config_media_type = NULL, total_size = 0, extra_attrs = NULL, "
             "accessory_type = NULL")


def forget_artifact_facts(database_url: str) -> None:
    if database_url.startswith(("postgres://", "postgresql://")):
        _psql(database_url, OLD_STATE)
    else:
        with sqlite3.connect(database_url) as db:
            db.execute(OLD_STATE)


def view(admin: Harbor, project: str) -> dict:
    arts = admin.api("GET", f"/projects/{project}/repositories/app/artifacts",
                     params={"with_accessory": "true", "q": "base=*"}).json()
    return {a["digest"]: (a["type"], a["size"], a["media_type"], a["extra_attrs"],
                          sorted(x["digest"] for x in a["accessories"])) for a in arts}


@pytest.mark.own_server
def test_older_manifests_get_their_artifact_facts(berth_server):
    host = berth_server.start()
    admin = Harbor(host, "admin", admin_password())
    project = admin.create_project()
    repo = f"{project}/app"
    image = push_image(admin, repo, "v1")
    admin.push_manifest(repo, "multi", index_manifest([image.descriptor()]), OCI_INDEX)
    admin.push_blob(repo, EMPTY_JSON)
    payload = secrets.token_bytes(16)
    admin.push_blob(repo, payload)
    sig = image_manifest(descriptor(OCI_EMPTY, EMPTY_JSON), [descriptor("application/jose+json", payload)],
                         artifact_type="application/vnd.cncf.notary.signature", subject=image.descriptor())
    admin.push_manifest(repo, sha256(sig), sig, None)
    before = view(admin, project)
    assert len(before) == 2 and before[image.digest][0] == "IMAGE" and before[image.digest][4] == [sha256(sig)]

    assert berth_server.stop() == 0
    forget_artifact_facts(berth_server.backend.database_url)
    admin = Harbor(berth_server.start(), "admin", admin_password())
    deadline = time.monotonic() + 20
    while view(admin, project) != before and time.monotonic() < deadline:
        time.sleep(0.2)
    assert view(admin, project) == before
    art = assert_api_status(admin.api("GET", f"/projects/{project}/repositories/app/artifacts/v1"), 200).json()
    assert art["extra_attrs"]["architecture"] == "amd64"
