"""GET /v2/ and the Docker-Distribution-API-Version header on every /v2 answer."""

from __future__ import annotations

from berth_api.registry import API_VERSION_HEADER, assert_error, assert_status, sha256


def test_ping(reg):
    resp = assert_status(reg.get("/v2/"), 200)
    assert resp.headers[API_VERSION_HEADER] == "registry/2.0"
    assert resp.json() == {}


def test_ping_without_trailing_slash_and_head(reg):
    assert_status(reg.get("/v2"), 200)
    head = assert_status(reg.head("/v2/"), 200)
    assert head.content == b""


def test_api_version_header_on_errors(reg, repo):
    # Unknown endpoint, unknown repository, unknown blob, unknown manifest, bad name: all errors
    # carry the header (assert_error checks it).
    assert_error(reg.get(f"/v2/{repo}/nothing-here"), 404, "NOT_FOUND")
    assert_error(reg.get(f"/v2/{repo}/tags/list"), 404, "NAME_UNKNOWN")
    assert_error(reg.get(f"/v2/{repo}/blobs/{sha256(b'nope')}"), 404, "BLOB_UNKNOWN")
    assert_error(reg.get(f"/v2/{repo}/manifests/latest"), 404, "MANIFEST_UNKNOWN")
    assert_error(reg.get("/v2/Upper/Case/tags/list"), 400, "NAME_INVALID")
    # A method the endpoint does not have.
    resp = reg.post("/v2/")
    assert resp.status_code == 405, resp.status_code
    assert resp.headers.get(API_VERSION_HEADER) == "registry/2.0"
