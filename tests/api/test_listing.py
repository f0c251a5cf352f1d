"""Tag lists and the catalog: order, n/last pagination and the Link header."""

from __future__ import annotations

import re
import secrets

import pytest

from berth_api.registry import OCI_MANIFEST, assert_error, assert_status, describe, push_image

# Pushed in this order; listed in byte ("ASCIIbetical") order.
TAGS = ["b", "A", "a", "1.0", "_x", "Z-2", "latest", "0"]
SORTED = sorted(TAGS)
LINK_RE = re.compile(r'^<([^>]+)>;\s*rel="next"$')


def next_link(resp) -> str | None:
    link = resp.headers.get("Link")
    if link is None:
        return None
    m = LINK_RE.match(link)
    assert m, f"malformed Link header: {describe(resp)}"
    return m.group(1)


@pytest.fixture
def tagged(reg, repo):
    image = push_image(reg, repo, TAGS[0])
    for tag in TAGS[1:]:
        reg.push_manifest(repo, tag, image.manifest, OCI_MANIFEST)
    return repo


def test_tags_in_byte_order(reg, tagged):
    resp = assert_status(reg.get(f"/v2/{tagged}/tags/list"), 200)
    assert resp.json() == {"name": tagged, "tags": SORTED}
    assert resp.headers.get("Content-Type", "").split(";")[0] == "application/json"
    assert "Link" not in resp.headers


def test_tags_pages_follow_link(reg, tagged):
    seen = []
    url = f"/v2/{tagged}/tags/list?n=3"
    pages = 0
    while url:
        resp = assert_status(reg.get(url), 200)
        page = resp.json()["tags"]
        seen += page
        pages += 1
        url = next_link(resp)
        if url:
            assert len(page) == 3, describe(resp)
            assert url == f"/v2/{tagged}/tags/list?last={page[-1]}&n=3", describe(resp)
    assert seen == SORTED
    assert pages == 3


def test_tags_n_and_last(reg, tagged):
    resp = assert_status(reg.get(f"/v2/{tagged}/tags/list", params={"n": 2}), 200)
    assert resp.json()["tags"] == SORTED[:2]
    assert next_link(resp) == f"/v2/{tagged}/tags/list?last={SORTED[1]}&n=2"
    resp = assert_status(reg.get(f"/v2/{tagged}/tags/list", params={"n": 2, "last": "A"}), 200)
    assert resp.json()["tags"] == [t for t in SORTED if t > "A"][:2]
    # last without n: everything after it.
    resp = assert_status(reg.get(f"/v2/{tagged}/tags/list", params={"last": "Z-2"}), 200)
    assert resp.json()["tags"] == [t for t in SORTED if t > "Z-2"]
    assert "Link" not in resp.headers
    # last need not be an existing tag.
    resp = assert_status(reg.get(f"/v2/{tagged}/tags/list", params={"last": "Zz"}), 200)
    assert resp.json()["tags"] == [t for t in SORTED if t > "Zz"]
    # Exactly the remaining count: no Link.
    resp = assert_status(reg.get(f"/v2/{tagged}/tags/list", params={"n": len(TAGS)}), 200)
    assert resp.json()["tags"] == SORTED
    assert "Link" not in resp.headers
    resp = assert_status(reg.get(f"/v2/{tagged}/tags/list", params={"n": 1000}), 200)
    assert resp.json()["tags"] == SORTED
    assert "Link" not in resp.headers


def test_tags_n_zero(reg, tagged):
    resp = assert_status(reg.get(f"/v2/{tagged}/tags/list", params={"n": 0}), 200)
    assert resp.json()["tags"] == []
    assert "Link" not in resp.headers


@pytest.mark.parametrize("n", ["-1", "abc", "1.5"])
def test_tags_invalid_n(reg, tagged, n):
    resp = reg.get(f"/v2/{tagged}/tags/list", params={"n": n})
    assert resp.status_code == 400, describe(resp)


def test_tags_of_unknown_repository(reg, repo):
    assert_error(reg.get(f"/v2/{repo}/tags/list"), 404, "NAME_UNKNOWN")


def test_catalog_pages(reg, new_repo):
    prefix = f"library/api-catalog-{secrets.token_hex(5)}"
    names = [f"{prefix}-{c}" for c in "abc"]
    for name in reversed(names):
        push_image(reg, name, "v1")
    # A repository holding only blobs is not listed.
    reg.push_blob(f"{prefix}-blobs-only", b"just a blob")

    resp = assert_status(reg.get("/v2/_catalog", params={"n": 2, "last": prefix}), 200)
    assert resp.json() == {"repositories": names[:2]}
    assert next_link(resp) == f"/v2/_catalog?last={names[1]}&n=2"
    resp = assert_status(reg.get(next_link(resp)), 200)
    assert resp.json()["repositories"][0] == names[2]
    assert f"{prefix}-blobs-only" not in resp.json()["repositories"]

    resp = assert_status(reg.get("/v2/_catalog", params={"n": 0}), 200)
    assert resp.json() == {"repositories": []}
    assert "Link" not in resp.headers

    full = assert_status(reg.get("/v2/_catalog"), 200).json()["repositories"]
    assert full == sorted(full)
    assert [n for n in full if n.startswith(prefix)] == names


@pytest.mark.parametrize("n", ["9223372036854775808", "18446744073709551615"])
def test_huge_page_size_means_everything(reg, repo, n):
    push_image(reg, repo, "only")
    resp = assert_status(reg.get(f"/v2/{repo}/tags/list", params={"n": n}), 200)
    assert resp.json()["tags"] == ["only"]
    resp = assert_status(reg.get("/v2/_catalog", params={"n": n}), 200)
    assert repo in resp.json()["repositories"]
