"""Long tag lists are cached per node and checked against the repository's tag version.

These lists are longer than the cache's threshold (64 tags), so they are served from the cache
after the first read; every kind of tag change must still show at once, on the node that made it
and on another node sharing the same database and storage.
"""

from __future__ import annotations

import pytest

from berth_api.registry import OCI_MANIFEST, Registry, assert_status, push_image, unique_repo
from berth_api.server import BerthServer

TAGS = [f"t{i:03d}" for i in range(100)]


def tag_list(reg: Registry, repo: str, **params) -> list[str]:
    resp = assert_status(reg.get(f"/v2/{repo}/tags/list", params=params), 200)
    return resp.json()["tags"]


def tag_many(reg: Registry, repo: str) -> tuple[str, bytes]:
    image = push_image(reg, repo, TAGS[0])
    for tag in TAGS[1:]:
        reg.push_manifest(repo, tag, image.manifest, OCI_MANIFEST)
    return image.digest, image.manifest


def test_every_tag_change_shows_in_a_cached_list(reg, repo):
    digest, body = tag_many(reg, repo)
    assert tag_list(reg, repo) == TAGS
    assert tag_list(reg, repo) == TAGS  # now from the cache

    assert_status(reg.delete(f"/v2/{repo}/manifests/t050"), 202)
    assert tag_list(reg, repo) == [t for t in TAGS if t != "t050"]

    reg.push_manifest(repo, "zz-new", body, OCI_MANIFEST)
    assert tag_list(reg, repo)[-1] == "zz-new"
    assert tag_list(reg, repo, n=2, last="t098") == ["t099", "zz-new"]

    # Deleting the manifest removes every tag on it.
    assert_status(reg.delete(f"/v2/{repo}/manifests/{digest}"), 202)
    assert tag_list(reg, repo) == []


def test_moving_a_tag_keeps_the_cached_list_exact(reg, repo):
    tag_many(reg, repo)
    assert tag_list(reg, repo) == TAGS
    other = push_image(reg, repo, "t010")  # moves an existing tag to another manifest
    assert tag_list(reg, repo) == TAGS
    assert reg.manifest(repo, "t010").headers["Docker-Content-Digest"] == other.digest


@pytest.mark.own_server
def test_a_change_on_one_node_shows_on_another(berth_server: BerthServer, tmp_path):
    node_a = berth_server
    node_b = BerthServer(tmp_path / "node-b")
    node_b.backend.close()
    node_b.backend = node_a.backend  # the same database and storage
    try:
        reg_a = Registry(node_a.start())
        reg_b = Registry(node_b.start())
        repo = unique_repo("nodes")
        digest, body = tag_many(reg_a, repo)
        assert tag_list(reg_b, repo) == TAGS
        assert tag_list(reg_b, repo) == TAGS  # node B has it cached now

        assert_status(reg_a.delete(f"/v2/{repo}/manifests/t000"), 202)
        assert tag_list(reg_b, repo) == TAGS[1:]
        reg_a.push_manifest(repo, "added-on-a", body, OCI_MANIFEST)
        assert tag_list(reg_b, repo) == ["added-on-a", *TAGS[1:]]
        assert tag_list(reg_a, repo) == ["added-on-a", *TAGS[1:]]
    finally:
        node_b.backend = None
        node_b.kill()
