"""Hostile and broken input: bad names, path traversal, malformed and unsupported digests, and
clients that hang up in the middle of an upload. The registry answers each with the right error
and keeps serving (the autouse fixture in conftest.py pings it after every test)."""

from __future__ import annotations

import time

import pytest

from berth_api import raw
from berth_api.registry import (
    OCI_MANIFEST,
    assert_error,
    assert_status,
    describe,
    push_image,
    random_bytes,
    sha256,
    unique_repo,
)

GOOD = "sha256:" + "a" * 64


def assert_raw_error(resp: raw.RawResponse, status: int, code: str):
    assert resp.status == status, f"expected {status} {code}, got {resp}"
    assert resp.headers.get("docker-distribution-api-version") == "registry/2.0", str(resp)
    assert set(resp.error_codes()) == {code}, str(resp)


# -- names -------------------------------------------------------------------------------------

TRAVERSALS = [
    "/v2/../../etc/passwd/manifests/latest",
    "/v2/library/../secret/manifests/latest",
    "/v2/library/./x/manifests/latest",
    "/v2/%2e%2e/%2e%2e/etc/manifests/latest",
    "/v2/library%2f..%2fsecret/manifests/latest",
    "/v2/library/%2E%2E/x/tags/list",
    "/v2/..%2f..%2fetc/blobs/" + GOOD,
    "/v2/library/x/../../../etc/blobs/uploads/",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_an_invalid_name(reg, registry_host, path):
    for method in ("GET", "HEAD", "DELETE"):
        resp = raw.request_path(registry_host, method, path)
        assert resp.status == 400, f"{method} {path}: {resp}"
        if method != "HEAD":
            assert_raw_error(resp, 400, "NAME_INVALID")
    resp = raw.request_path(registry_host, "POST" if path.endswith("/uploads/") else "PUT", path, body=b"{}")
    assert_raw_error(resp, 400, "NAME_INVALID")


@pytest.mark.parametrize(
    "path",
    [
        "/v2/library/x/blobs/..%2f..%2f" + GOOD,  # the digest part smuggles a path
        "/v2/library/x/blobs/uploads/%2e%2e%2f%2e%2e%2fsecret",
    ],
)
def test_traversal_outside_the_name_is_no_endpoint(reg, registry_host, path):
    assert_raw_error(raw.request_path(registry_host, "GET", path), 404, "NOT_FOUND")


def test_dot_segments_as_reference_or_upload_id(reg, registry_host, repo):
    push_image(reg, repo, "v1")
    assert_raw_error(raw.request_path(registry_host, "GET", f"/v2/{repo}/manifests/.."), 404, "MANIFEST_UNKNOWN")
    assert_raw_error(raw.request_path(registry_host, "PUT", f"/v2/{repo}/manifests/..", body=b"{}"), 400, "TAG_INVALID")
    assert_raw_error(raw.request_path(registry_host, "GET", f"/v2/{repo}/blobs/uploads/.."), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_raw_error(
        raw.request_path(registry_host, "PATCH", f"/v2/{repo}/blobs/uploads/%2e%2e", body=b"x"), 404, "BLOB_UPLOAD_UNKNOWN"
    )


@pytest.mark.parametrize(
    "name",
    [
        "Library/upper",
        "library/Upper",
        "library//double",
        "library/trailing/",
        "-library/x",
        "library/x-",
        "library/a..b",
        "library/a___b",
        "library/a%20b",
        "library/a%00b",
        "library/a%0ab",
        "library/a%c3%a9",
        "a" * 256,
        "library/" + "b" * 248,  # 256 bytes
        "library/" + "c" * 10_000,
    ],
    ids=lambda n: n[:24] + (f"...({len(n)})" if len(n) > 24 else ""),
)
def test_invalid_names(reg, registry_host, name):
    for path, method in (
        (f"/v2/{name}/tags/list", "GET"),
        (f"/v2/{name}/manifests/latest", "GET"),
        (f"/v2/{name}/manifests/latest", "PUT"),
        (f"/v2/{name}/blobs/{GOOD}", "GET"),
        (f"/v2/{name}/blobs/uploads/", "POST"),
        (f"/v2/{name}/referrers/{GOOD}", "GET"),
    ):
        body = b"{}" if method in ("PUT", "POST") else None
        assert_raw_error(raw.request_path(registry_host, method, path, body=body), 400, "NAME_INVALID")


def test_longest_valid_name(reg):
    prefix = unique_repo("longest") + "-"
    name = prefix + "n" * (255 - len(prefix))
    assert len(name) == 255
    assert_error(reg.get(f"/v2/{name}/tags/list"), 404, "NAME_UNKNOWN")
    image = push_image(reg, name, "v1")
    assert assert_status(reg.manifest(name, "v1"), 200).content == image.manifest
    assert reg.get(f"/v2/{name}/tags/list").json() == {"name": name, "tags": ["v1"]}


def test_invalid_utf8_in_path(reg, registry_host):
    resp = raw.request_path(registry_host, "GET", "/v2/library/%ff%fe/tags/list")
    assert resp.status == 400, str(resp)


# -- digests -----------------------------------------------------------------------------------

BAD_DIGESTS = [
    "sha256:short",
    "sha256:" + "A" * 64,  # upper-case hex
    "sha256:" + "g" * 64,
    "sha256:" + "a" * 63,
    "sha256:" + "a" * 65,
    "sha512:" + "a" * 64,  # sha512 needs 128 hex digits
    "md5:" + "a" * 32,  # well-formed, unsupported algorithm
    "sha1:" + "a" * 40,
    "nodigest",
    "sha256:",
    ":" + "a" * 64,
]


@pytest.mark.parametrize("bad", BAD_DIGESTS)
def test_malformed_or_unsupported_digest_on_blobs(reg, repo, bad):
    reg.push_blob(repo, b"the repository exists")
    assert_error(reg.get(f"/v2/{repo}/blobs/{bad}"), 400, "DIGEST_INVALID")
    assert reg.head(f"/v2/{repo}/blobs/{bad}").status_code == 400
    assert_error(reg.delete(f"/v2/{repo}/blobs/{bad}"), 400, "DIGEST_INVALID")
    resp = reg.post(f"/v2/{repo}/blobs/uploads/", params={"digest": bad}, data=b"content")
    assert_error(resp, 400, "DIGEST_INVALID")
    location = reg.start_upload(repo).headers["Location"]
    assert_error(reg.put(f"{location}?digest={bad}", data=b"content"), 400, "DIGEST_INVALID")
    assert_error(reg.post(f"/v2/{repo}/blobs/uploads/", params={"mount": bad, "from": repo}), 400, "DIGEST_INVALID")
    assert_error(reg.get(f"/v2/{repo}/referrers/{bad}"), 400, "DIGEST_INVALID")


@pytest.mark.parametrize("bad", [d for d in BAD_DIGESTS if ":" in d])
def test_malformed_or_unsupported_digest_on_manifests(reg, repo, bad):
    image = push_image(reg, repo, "v1")
    assert_error(reg.manifest(repo, bad), 400, "DIGEST_INVALID")
    assert reg.head(f"/v2/{repo}/manifests/{bad}").status_code == 400
    assert_error(reg.put_manifest(repo, bad, image.manifest, OCI_MANIFEST), 400, "DIGEST_INVALID")
    assert_error(reg.delete(f"/v2/{repo}/manifests/{bad}"), 400, "DIGEST_INVALID")
    assert assert_status(reg.manifest(repo, "v1"), 200).content == image.manifest


# -- clients that hang up mid-upload ----------------------------------------------------------


def assert_never_served(reg, repo: str, *digests: str, seconds: float = 1.5):
    """The blobs stay unknown for a while: the server has had time to finish with the dead
    request, and must not have stored what it got."""
    deadline = time.monotonic() + seconds
    while True:
        for d in digests:
            resp = reg.get(f"/v2/{repo}/blobs/{d}")
            assert resp.status_code == 404, f"a truncated upload became blob {d}: {describe(resp)}"
        if time.monotonic() > deadline:
            return
        time.sleep(0.1)


def resume_or_restart(reg, repo: str, location: str, data: bytes) -> None:
    """After a broken request the session is either still usable, at an offset whose bytes are a
    prefix of what was sent, or cleanly gone (404 BLOB_UPLOAD_UNKNOWN). Either way the blob can
    then be uploaded correctly."""
    status = reg.get(location)
    if status.status_code == 404:
        assert_error(status, 404, "BLOB_UPLOAD_UNKNOWN")
        location = reg.start_upload(repo).headers["Location"]
        offset = 0
    else:
        assert_status(status, 204)
        first, _, last = status.headers["Range"].partition("-")
        assert first == "0", describe(status)
        offset = int(last) + 1 if int(last) > 0 else 0
        assert offset <= len(data)
    if offset < len(data):
        resp = reg.patch(
            location,
            data=data[offset:],
            headers={"Content-Type": "application/octet-stream", "Content-Range": f"{offset}-{len(data) - 1}"},
        )
        assert_status(resp, 202)
    done = reg.put(f"{location}?digest={sha256(data)}")
    assert_status(done, 201)
    assert reg.blob_content(repo, sha256(data)) == data


def test_truncated_monolithic_post(reg, registry_host, repo):
    data = random_bytes(1 << 20)
    sent = data[: 300 * 1024]
    # Claiming the digest of the whole blob, and (trickier) of exactly the bytes that did arrive:
    # a server that takes an early EOF for the end of the body would store the latter.
    for claimed in (sha256(data), sha256(sent)):
        raw.send_truncated(
            registry_host, "POST", f"/v2/{repo}/blobs/uploads/?digest={claimed}", len(data), sent,
            {"Content-Type": "application/octet-stream"},
        )
    assert_never_served(reg, repo, sha256(data), sha256(sent))
    assert reg.push_blob(repo, data) == sha256(data)
    assert reg.blob_content(repo, sha256(data)) == data


def test_truncated_put_with_body(reg, registry_host, repo):
    data = random_bytes(600 * 1024)
    sent = data[:200 * 1024]
    location = reg.start_upload(repo).headers["Location"]
    raw.send_truncated(
        registry_host, "PUT", f"{location}?digest={sha256(sent)}", len(data), sent,
        {"Content-Type": "application/octet-stream"},
    )
    assert_never_served(reg, repo, sha256(data), sha256(sent))
    resume_or_restart(reg, repo, location, data)


@pytest.mark.parametrize("with_range", [False, True], ids=["streamed", "content-range"])
def test_truncated_patch(reg, registry_host, repo, with_range):
    data = random_bytes(900 * 1024)
    location = reg.start_upload(repo).headers["Location"]
    first = 100 * 1024
    resp = reg.patch(location, data=data[:first], headers={"Content-Type": "application/octet-stream", "Content-Range": f"0-{first - 1}"})
    assert_status(resp, 202)
    headers = {"Content-Type": "application/octet-stream"}
    if with_range:
        headers["Content-Range"] = f"{first}-{len(data) - 1}"
    raw.send_truncated(registry_host, "PATCH", location, len(data) - first, data[first : first + 250 * 1024], headers)
    # Whatever the session holds now, the PUT that claims the whole blob must not succeed unless
    # the rest is sent: check nothing became a blob, then resume.
    assert_never_served(reg, repo, sha256(data), sha256(data[: first + 250 * 1024]))
    resume_or_restart(reg, repo, location, data)


def test_truncated_chunked_transfer_patch(reg, registry_host, repo):
    data = random_bytes(500 * 1024)
    location = reg.start_upload(repo).headers["Location"]
    raw.send_truncated_chunked(
        registry_host, "PATCH", location, [data[i : i + 64 * 1024] for i in range(0, 256 * 1024, 64 * 1024)],
        {"Content-Type": "application/octet-stream"},
    )
    assert_never_served(reg, repo, sha256(data), sha256(data[: 256 * 1024]))
    resume_or_restart(reg, repo, location, data)


def test_truncated_manifest_put(reg, registry_host, repo):
    image = push_image(reg, repo)
    body = image.manifest
    raw.send_truncated(
        registry_host, "PUT", f"/v2/{repo}/manifests/cut", len(body) + 100, body, {"Content-Type": OCI_MANIFEST}
    )
    time.sleep(0.5)
    assert_error(reg.manifest(repo, "cut"), 404, "MANIFEST_UNKNOWN")
    reg.push_manifest(repo, "cut", body, OCI_MANIFEST)


# -- errors answered before the request body was read -----------------------------------------


@pytest.mark.parametrize(
    "case",
    ["post-bad-digest", "patch-out-of-order", "put-manifest-bad-reference", "put-manifest-too-large"],
)
def test_early_error_leaves_the_connection_usable_or_says_close(reg, registry_host, repo, case):
    """When the registry answers before it read the request body, the client must either be able
    to send its next request on the same (keep-alive) connection, or be told `Connection: close`.
    A connection silently closed after the answer makes the client's next request fail with
    "connection closed without response" (requests, and Go clients for POST/PATCH/PUT)."""
    location = reg.start_upload(repo).headers["Location"]
    method, path, body, status = {
        "post-bad-digest": ("POST", f"/v2/{repo}/blobs/uploads/?digest=sha256:bad", b"x" * 1000, 400),
        "patch-out-of-order": ("PATCH", location, b"x" * 1000, 416),
        "put-manifest-bad-reference": ("PUT", f"/v2/{repo}/manifests/-bad-", b"{}", 400),
        "put-manifest-too-large": ("PUT", f"/v2/{repo}/manifests/big", b" " * (4 * 1024 * 1024 + 10), 413),
    }[case]
    headers = {"Content-Type": "application/octet-stream"}
    if case == "patch-out-of-order":
        headers["Content-Range"] = "100-1099"
    probe = raw.keepalive_probe(registry_host, method, path, body, headers)
    assert probe.first.status == status, str(probe.first)
    if not probe.told_to_close:
        assert probe.second is not None, (
            f"{method} {path} answered {probe.first.status} without `Connection: close`, then the "
            f"connection was closed: the next request failed with {probe.second_error}"
        )
        assert probe.second.status == 200, str(probe.second)
