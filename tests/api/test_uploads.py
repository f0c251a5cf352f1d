"""Blob uploads: monolithic, POST then PUT, chunked, streamed, status, cancel, digest checks."""

from __future__ import annotations

import re
import threading

import pytest

from berth_api.registry import (
    Registry,
    assert_error,
    assert_status,
    describe,
    random_bytes,
    sha256,
    sha512,
    unique_repo,
)
from berth_api.server import BerthServer

OCTET = {"Content-Type": "application/octet-stream"}
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def with_digest(location: str, digest: str) -> str:
    return f"{location}{'&' if '?' in location else '?'}digest={digest}"


def assert_created(resp, repo: str, digest: str) -> None:
    assert_status(resp, 201)
    assert resp.headers.get("Location") == f"/v2/{repo}/blobs/{digest}", describe(resp)
    assert resp.headers.get("Docker-Content-Digest") == digest, describe(resp)


def assert_progress(resp, status: int, location: str, end: int) -> None:
    """An upload-progress answer: status, same Location, `Range: 0-<end>`, Docker-Upload-UUID."""
    assert_status(resp, status)
    assert resp.headers.get("Location") == location, describe(resp)
    assert resp.headers.get("Range") == f"0-{end}", describe(resp)
    assert resp.headers.get("Docker-Upload-UUID") == location.rsplit("/", 1)[1], describe(resp)


def patch_chunk(reg, location: str, data: bytes, start: int):
    headers = {**OCTET, "Content-Range": f"{start}-{start + len(data) - 1}"}
    return reg.patch(location, data=data, headers=headers)


def test_monolithic_post(reg, repo):
    data = random_bytes(70_000)
    digest = sha256(data)
    resp = reg.post(f"/v2/{repo}/blobs/uploads/", params={"digest": digest}, data=data, headers=OCTET)
    assert_created(resp, repo, digest)
    got = assert_status(reg.get(resp.headers["Location"]), 200)
    assert got.content == data


def test_post_then_put(reg, repo):
    data = random_bytes(5000)
    digest = sha256(data)
    start = reg.start_upload(repo)
    location = start.headers["Location"]
    assert re.fullmatch(rf"/v2/{repo}/blobs/uploads/[^/?]+", location), location
    assert UUID_RE.match(start.headers.get("Docker-Upload-UUID", "")), describe(start)
    assert_progress(start, 202, location, 0)
    done = reg.put(with_digest(location, digest), data=data, headers=OCTET)
    assert_created(done, repo, digest)
    assert reg.blob_content(repo, digest) == data
    # The session is over.
    assert_error(reg.get(location), 404, "BLOB_UPLOAD_UNKNOWN")


def test_chunked_patch_with_status(reg, repo):
    data = random_bytes(3 * 1024 + 77)
    digest = sha256(data)
    location = reg.start_upload(repo).headers["Location"]
    offsets = [0, 1024, 2048, len(data)]
    for a, b in zip(offsets, offsets[1:]):
        resp = patch_chunk(reg, location, data[a:b], a)
        assert_progress(resp, 202, location, b - 1)
        status = reg.get(location)
        assert_progress(status, 204, location, b - 1)
        assert status.content == b""
    done = reg.put(with_digest(location, digest), headers={"Content-Length": "0"})
    assert_created(done, repo, digest)
    assert reg.blob_content(repo, digest) == data


def test_last_chunk_in_put(reg, repo):
    data = random_bytes(3000)
    digest = sha256(data)
    location = reg.start_upload(repo).headers["Location"]
    assert_progress(patch_chunk(reg, location, data[:1000], 0), 202, location, 999)
    done = reg.put(
        with_digest(location, digest), data=data[1000:], headers={**OCTET, "Content-Range": f"1000-{len(data) - 1}"}
    )
    assert_created(done, repo, digest)
    assert reg.blob_content(repo, digest) == data
    # The last chunk in the PUT without a Content-Range: it goes at the end of the session.
    other = random_bytes(2500)
    location = reg.start_upload(repo).headers["Location"]
    assert_progress(patch_chunk(reg, location, other[:700], 0), 202, location, 699)
    done = reg.put(with_digest(location, sha256(other)), data=other[700:], headers=OCTET)
    assert_created(done, repo, sha256(other))
    assert reg.blob_content(repo, sha256(other)) == other


def test_streamed_patch(reg, repo):
    """PATCH without Content-Range, sent with chunked transfer encoding (no Content-Length)."""
    first, second = random_bytes(300_000), random_bytes(123_457)
    digest = sha256(first + second)
    location = reg.start_upload(repo).headers["Location"]

    def pieces(data: bytes):
        for i in range(0, len(data), 65_536):
            yield data[i : i + 65_536]

    resp = reg.patch(location, data=pieces(first), headers=OCTET)
    assert resp.request.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in resp.request.headers
    assert_progress(resp, 202, location, len(first) - 1)
    # A second streamed PATCH continues where the first ended.
    resp = reg.patch(location, data=pieces(second), headers=OCTET)
    assert_progress(resp, 202, location, len(first) + len(second) - 1)
    done = reg.put(with_digest(location, digest))
    assert_created(done, repo, digest)
    assert reg.blob_content(repo, digest) == first + second


def test_out_of_order_and_replayed_chunks_get_416(reg, repo):
    data = random_bytes(3000)
    digest = sha256(data)
    location = reg.start_upload(repo).headers["Location"]

    # Skipping ahead before anything arrived.
    resp = patch_chunk(reg, location, data[1000:2000], 1000)
    assert_error(resp, 416, "BLOB_UPLOAD_INVALID")
    assert resp.headers.get("Range") == "0-0", describe(resp)
    assert resp.headers.get("Location") == location, describe(resp)
    assert_progress(reg.get(location), 204, location, 0)

    assert_progress(patch_chunk(reg, location, data[:1000], 0), 202, location, 999)
    # Skipping ahead, and replaying the first chunk (to the original Location): both 416 with
    # the current progress, and neither changes the session.
    for bad_start, bad in ((2000, data[2000:]), (0, data[:1000]), (500, data[500:1500])):
        resp = patch_chunk(reg, location, bad, bad_start)
        assert_error(resp, 416, "BLOB_UPLOAD_INVALID")
        assert resp.headers.get("Range") == "0-999", describe(resp)
        assert_progress(reg.get(location), 204, location, 999)

    assert_progress(patch_chunk(reg, location, data[1000:2000], 1000), 202, location, 1999)
    # An out-of-order last chunk in the closing PUT is refused with 416 too.
    resp = reg.put(with_digest(location, digest), data=data[1000:], headers={**OCTET, "Content-Range": "1000-2999"})
    assert_error(resp, 416, "BLOB_UPLOAD_INVALID")
    assert resp.headers.get("Range") == "0-1999", describe(resp)
    done = reg.put(with_digest(location, digest), data=data[2000:], headers={**OCTET, "Content-Range": "2000-2999"})
    assert_created(done, repo, digest)
    assert reg.blob_content(repo, digest) == data


def test_chunk_shorter_than_its_content_range(reg, repo):
    data = random_bytes(2000)
    location = reg.start_upload(repo).headers["Location"]
    assert_progress(patch_chunk(reg, location, data[:1000], 0), 202, location, 999)
    # Content-Range announces 1000 bytes, the body has 500.
    resp = reg.patch(location, data=data[1000:1500], headers={**OCTET, "Content-Range": "1000-1999"})
    assert_error(resp, 400, "SIZE_INVALID")
    # The session is where it was, and still completes.
    assert_progress(reg.get(location), 204, location, 999)
    assert_progress(patch_chunk(reg, location, data[1000:], 1000), 202, location, 1999)
    assert_created(reg.put(with_digest(location, sha256(data))), repo, sha256(data))


def test_malformed_content_range(reg, repo):
    location = reg.start_upload(repo).headers["Location"]
    resp = reg.patch(location, data=b"abc", headers={**OCTET, "Content-Range": "zero-two"})
    assert_error(resp, 416, "BLOB_UPLOAD_INVALID")
    assert_progress(reg.get(location), 204, location, 0)


def test_cancel_upload(reg, repo):
    data = random_bytes(1000)
    location = reg.start_upload(repo).headers["Location"]
    assert_progress(patch_chunk(reg, location, data, 0), 202, location, 999)
    resp = assert_status(reg.delete(location), 204)
    assert resp.content == b""
    assert_error(reg.get(location), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(patch_chunk(reg, location, data, 1000), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(reg.put(with_digest(location, sha256(data))), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(reg.delete(location), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(reg.get(f"/v2/{repo}/blobs/{sha256(data)}"), 404, "BLOB_UNKNOWN")


def test_unknown_and_foreign_upload_ids(reg, repo, new_repo):
    assert_error(reg.get(f"/v2/{repo}/blobs/uploads/3d9a4ad5-6f0c-4a0b-9f59-4c3e2c7b1f00"), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(reg.get(f"/v2/{repo}/blobs/uploads/not-a-session"), 404, "BLOB_UPLOAD_UNKNOWN")
    # A session belongs to the repository it was opened in.
    location = reg.start_upload(repo).headers["Location"]
    session = location.rsplit("/", 1)[1]
    other = new_repo("other")
    reg.push_blob(other, b"make the other repository exist")
    foreign = f"/v2/{other}/blobs/uploads/{session}"
    assert_error(reg.get(foreign), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(reg.patch(foreign, data=b"abc", headers=OCTET), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_error(reg.delete(foreign), 404, "BLOB_UPLOAD_UNKNOWN")
    assert_progress(reg.get(location), 204, location, 0)


def test_put_with_wrong_digest(reg, repo):
    data = random_bytes(4096)
    claimed = sha256(b"something else entirely")
    location = reg.start_upload(repo).headers["Location"]
    resp = reg.put(with_digest(location, claimed), data=data, headers=OCTET)
    assert_error(resp, 400, "DIGEST_INVALID")
    for digest in (claimed, sha256(data)):
        assert_error(reg.get(f"/v2/{repo}/blobs/{digest}"), 404, "BLOB_UNKNOWN")
        assert reg.head(f"/v2/{repo}/blobs/{digest}").status_code == 404


def test_chunked_upload_with_wrong_digest(reg, repo):
    data = random_bytes(3072)
    claimed = sha256(data[:-1])
    location = reg.start_upload(repo).headers["Location"]
    assert_progress(patch_chunk(reg, location, data[:2048], 0), 202, location, 2047)
    assert_progress(patch_chunk(reg, location, data[2048:], 2048), 202, location, 3071)
    assert_error(reg.put(with_digest(location, claimed)), 400, "DIGEST_INVALID")
    for digest in (claimed, sha256(data)):
        assert_error(reg.get(f"/v2/{repo}/blobs/{digest}"), 404, "BLOB_UNKNOWN")


def test_monolithic_post_with_wrong_digest(reg, repo):
    data = random_bytes(3072)
    claimed = sha256(data + b"!")
    resp = reg.post(f"/v2/{repo}/blobs/uploads/", params={"digest": claimed}, data=data, headers=OCTET)
    assert_error(resp, 400, "DIGEST_INVALID")
    for digest in (claimed, sha256(data)):
        assert_error(reg.get(f"/v2/{repo}/blobs/{digest}"), 404, "BLOB_UNKNOWN")


def test_put_with_malformed_digest_keeps_the_session(reg, repo):
    data = random_bytes(1500)
    location = reg.start_upload(repo).headers["Location"]
    assert_progress(patch_chunk(reg, location, data, 0), 202, location, 1499)
    assert_error(reg.put(with_digest(location, "sha256:tooshort")), 400, "DIGEST_INVALID")
    assert_error(reg.put(location), 400, "DIGEST_INVALID")  # no digest at all
    assert_progress(reg.get(location), 204, location, 1499)
    assert_created(reg.put(with_digest(location, sha256(data))), repo, sha256(data))


def test_sha512_blob_monolithic_and_chunked(reg, repo):
    data = random_bytes(10_000)
    digest = sha512(data)
    resp = reg.post(f"/v2/{repo}/blobs/uploads/", params={"digest": digest}, data=data, headers=OCTET)
    assert_created(resp, repo, digest)
    got = assert_status(reg.get(f"/v2/{repo}/blobs/{digest}"), 200)
    assert got.content == data
    assert got.headers.get("Docker-Content-Digest") == digest
    head = assert_status(reg.head(f"/v2/{repo}/blobs/{digest}"), 200)
    assert head.headers.get("Content-Length") == str(len(data))
    # Only the sha512 name exists: the same bytes are not served under their sha256 digest.
    assert_error(reg.get(f"/v2/{repo}/blobs/{sha256(data)}"), 404, "BLOB_UNKNOWN")

    chunked = random_bytes(5000)
    cdigest = sha512(chunked)
    location = reg.start_upload(repo).headers["Location"]
    assert_progress(patch_chunk(reg, location, chunked[:2500], 0), 202, location, 2499)
    assert_progress(patch_chunk(reg, location, chunked[2500:], 2500), 202, location, 4999)
    assert_created(reg.put(with_digest(location, cdigest)), repo, cdigest)
    assert reg.blob_content(repo, cdigest) == chunked


def test_empty_blob(reg, repo):
    digest = sha256(b"")
    assert digest == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    resp = reg.post(f"/v2/{repo}/blobs/uploads/", params={"digest": digest}, data=b"", headers=OCTET)
    assert_created(resp, repo, digest)
    got = assert_status(reg.get(f"/v2/{repo}/blobs/{digest}"), 200)
    assert got.content == b""
    assert got.headers.get("Content-Length") == "0"
    head = assert_status(reg.head(f"/v2/{repo}/blobs/{digest}"), 200)
    assert head.headers.get("Content-Length") == "0"
    assert head.headers.get("Docker-Content-Digest") == digest

    # The same through a session with no data at all, in a second repository.
    other = repo + "-session"
    location = reg.start_upload(other).headers["Location"]
    assert_created(reg.put(with_digest(location, digest)), other, digest)
    assert assert_status(reg.get(f"/v2/{other}/blobs/{digest}"), 200).content == b""

    # And the sha512 empty blob.
    d512 = sha512(b"")
    resp = reg.post(f"/v2/{repo}/blobs/uploads/", params={"digest": d512}, data=b"", headers=OCTET)
    assert_created(resp, repo, d512)
    assert assert_status(reg.get(f"/v2/{repo}/blobs/{d512}"), 200).content == b""


def test_pushing_an_existing_blob_again(reg, repo):
    data = random_bytes(2048)
    digest = reg.push_blob(repo, data)
    assert reg.push_blob(repo, data) == digest
    location = reg.start_upload(repo).headers["Location"]
    assert_created(reg.put(with_digest(location, digest), data=data, headers=OCTET), repo, digest)
    assert reg.blob_content(repo, digest) == data


def test_racing_chunks_for_the_same_range(reg, repo):
    """Two different chunks for the same range, sent at once: exactly one is accepted, the other
    gets 416, and the blob is the winner's bytes (no interleaving, no corruption)."""
    for _ in range(5):
        head = random_bytes(1000)
        location = reg.start_upload(repo).headers["Location"]
        assert_progress(patch_chunk(reg, location, head, 0), 202, location, 999)
        candidates = [random_bytes(200_000), random_bytes(200_000)]
        results = [None, None]
        barrier = threading.Barrier(2)

        def send(i):
            client = Registry(reg.host)
            barrier.wait()
            results[i] = patch_chunk(client, location, candidates[i], 1000)

        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        statuses = sorted(r.status_code for r in results)
        assert statuses == [202, 416], [describe(r) for r in results]
        winner = candidates[[r.status_code for r in results].index(202)]
        loser = results[[r.status_code for r in results].index(416)]
        assert_error(loser, 416, "BLOB_UPLOAD_INVALID")
        assert_progress(reg.get(location), 204, location, 200_999)
        data = head + winner
        assert_created(reg.put(with_digest(location, sha256(data))), repo, sha256(data))
        assert reg.blob_content(repo, sha256(data)) == data


def test_same_blob_pushed_concurrently(reg, new_repo):
    """Several clients push the same new blob at once, by every upload method: all succeed and
    the registry serves it intact."""
    data = random_bytes(2_000_000)
    digest = sha256(data)
    repos = [new_repo(f"same{i}") for i in range(6)]
    results: dict[int, object] = {}
    barrier = threading.Barrier(len(repos))

    def push(i):
        client = Registry(reg.host)
        barrier.wait()
        repo = repos[i]
        if i % 3 == 0:
            results[i] = client.post(f"/v2/{repo}/blobs/uploads/", params={"digest": digest}, data=data, headers=OCTET)
        elif i % 3 == 1:
            location = client.start_upload(repo).headers["Location"]
            results[i] = client.put(with_digest(location, digest), data=data, headers=OCTET)
        else:
            location = client.start_upload(repo).headers["Location"]
            patch_chunk(client, location, data[:1_000_000], 0)
            patch_chunk(client, location, data[1_000_000:], 1_000_000)
            results[i] = client.put(with_digest(location, digest))

    threads = [threading.Thread(target=push, args=(i,)) for i in range(len(repos))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for i, repo in enumerate(repos):
        assert_created(results[i], repo, digest)
        assert reg.blob_content(repo, digest) == data


def test_chunk_for_a_cancelled_session_is_upload_unknown(reg, repo):
    location = reg.start_upload(repo).headers["Location"]
    assert_status(reg.delete(location), 204)
    resp = reg.patch(location, data=b"abc", headers={"Content-Type": "application/octet-stream"})
    assert_error(resp, 404, "BLOB_UPLOAD_UNKNOWN")


def test_content_range_at_the_end_of_the_number_range_is_refused(reg, repo):
    location = reg.start_upload(repo).headers["Location"]
    resp = reg.patch(
        location,
        data=b"abc",
        headers={"Content-Type": "application/octet-stream", "Content-Range": "0-18446744073709551615"},
    )
    assert_error(resp, 400, "BLOB_UPLOAD_INVALID")
    assert_status(reg.get(location), 204)  # the session is untouched and still usable


def test_bytes_of_a_refused_chunk_never_reach_the_blob(reg, repo):
    """A chunk that is refused after its bytes were stored (shorter than its Content-Range) leaves
    nothing behind, even past the session's final size: the blob is exactly the accepted bytes."""
    location = reg.start_upload(repo).headers["Location"]
    junk = random_bytes(1000)
    resp = reg.patch(location, data=junk, headers={**OCTET, "Content-Range": "0-1999"})
    assert_error(resp, 400, "SIZE_INVALID")
    assert reg.get(location).headers.get("Range") == "0-0", "an empty session reports 0-0"
    data = random_bytes(300)
    assert_progress(patch_chunk(reg, location, data, 0), 202, location, 299)
    assert_created(reg.put(with_digest(location, sha256(data))), repo, sha256(data))
    assert reg.blob_content(repo, sha256(data)) == data
    assert reg.head(f"/v2/{repo}/blobs/{sha256(data)}").headers["Content-Length"] == "300"


@pytest.mark.own_server
def test_racing_chunks_on_two_nodes_sharing_storage(berth_server: BerthServer, tmp_path):
    """Two nodes on one database and one storage: chunks for the same range of one session, sent
    to both at once, still give exactly one winner and a blob of the winner's bytes."""
    node_a = berth_server
    node_b = BerthServer(tmp_path / "node-b")
    node_b.backend.close()
    node_b.backend = node_a.backend
    try:
        regs = [Registry(node_a.start()), Registry(node_b.start())]
        repo = unique_repo("racing")
        for _ in range(4):
            head = random_bytes(1000)
            location = regs[0].start_upload(repo).headers["Location"]
            assert_progress(patch_chunk(regs[1], location, head, 0), 202, location, 999)
            candidates = [random_bytes(3_000_000), random_bytes(3_000_000)]
            results = [None, None]
            barrier = threading.Barrier(2)

            def send(i):
                barrier.wait()
                results[i] = patch_chunk(Registry(regs[i].host), location, candidates[i], 1000)

            threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            codes = [r.status_code for r in results]
            assert sorted(codes) == [202, 416], [describe(r) for r in results]
            data = head + candidates[codes.index(202)]
            # Completed on the node that did not take the winning chunk: it hashes from storage.
            finisher = regs[1 - codes.index(202)]
            assert_created(finisher.put(with_digest(location, sha256(data))), repo, sha256(data))
            for reg in regs:
                assert reg.blob_content(repo, sha256(data)) == data
    finally:
        node_b.backend = None
        node_b.kill()
