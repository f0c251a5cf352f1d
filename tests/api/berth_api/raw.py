"""Requests that `requests` will not send: paths kept byte for byte (no dot-segment removal, no
re-quoting), and bodies cut short on a raw socket."""

from __future__ import annotations

import http.client
import json
import socket
import time
from dataclasses import dataclass

from berth_api.registry import admin_authorization


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self):
        return json.loads(self.body)

    def error_codes(self) -> list[str]:
        return [e["code"] for e in self.json()["errors"]]

    def __str__(self) -> str:
        return f"{self.status} {self.headers} {self.body[:300]!r}"


def request_path(host: str, method: str, path: str, body: bytes | None = None, headers=None) -> RawResponse:
    """Sends `path` exactly as given (http.client neither normalises nor re-quotes it), as the
    administrator unless `headers` carry an `Authorization` of their own."""
    headers = {"Authorization": admin_authorization(), **(headers or {})}
    h, _, p = host.rpartition(":")
    conn = http.client.HTTPConnection(h, int(p), timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def send_truncated(host: str, method: str, path: str, announced: int, sent: bytes, headers=None) -> None:
    """Announces `Content-Length: announced`, sends only `sent`, then closes the connection
    without reading an answer: a client that dies in the middle of an upload."""
    assert len(sent) < announced
    h, _, p = host.rpartition(":")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {announced}"]
    lines += [f"{k}: {v}" for k, v in {"Authorization": admin_authorization(), **(headers or {})}.items()]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    with socket.create_connection((h, int(p)), timeout=30) as sock:
        sock.sendall(head + sent)
        sock.shutdown(socket.SHUT_RDWR)


def send_truncated_chunked(host: str, method: str, path: str, chunks: list[bytes], headers=None) -> None:
    """Sends a `Transfer-Encoding: chunked` body whose terminating zero-size chunk never comes,
    then closes the connection."""
    h, _, p = host.rpartition(":")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Transfer-Encoding: chunked"]
    lines += [f"{k}: {v}" for k, v in {"Authorization": admin_authorization(), **(headers or {})}.items()]
    out = ("\r\n".join(lines) + "\r\n\r\n").encode()
    for c in chunks:
        out += f"{len(c):x}\r\n".encode() + c + b"\r\n"
    with socket.create_connection((h, int(p)), timeout=30) as sock:
        sock.sendall(out)
        sock.shutdown(socket.SHUT_RDWR)


@dataclass
class KeepAliveProbe:
    first: RawResponse
    told_to_close: bool  # the first response carried `Connection: close`
    second: RawResponse | None  # the answer to a GET /v2/ on the same connection, if any
    second_error: str = ""


def keepalive_probe(host: str, method: str, path: str, body: bytes, headers=None, gap: float = 0.2) -> KeepAliveProbe:
    """Sends the request head, waits `gap` seconds, then sends the body (as most clients do, in
    separate writes), reads the answer, then sends `GET /v2/` on the same connection."""
    h, _, p = host.rpartition(":")
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in {"Authorization": admin_authorization(), **(headers or {})}.items()]
    with socket.create_connection((h, int(p)), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        time.sleep(gap)
        try:
            sock.sendall(body)
        except OSError:
            pass  # the server may already have answered and stopped reading
        first_resp = http.client.HTTPResponse(sock, method=method)
        first_resp.begin()
        first = RawResponse(first_resp.status, {k.lower(): v for k, v in first_resp.getheaders()}, first_resp.read())
        told = "close" in first.headers.get("connection", "").lower()
        if told:
            return KeepAliveProbe(first, True, None)
        try:
            sock.sendall(f"GET /v2/ HTTP/1.1\r\nHost: {host}\r\nAuthorization: {admin_authorization()}\r\n\r\n".encode())
            second_resp = http.client.HTTPResponse(sock, method="GET")
            second_resp.begin()
            second = RawResponse(second_resp.status, {k.lower(): v for k, v in second_resp.getheaders()}, second_resp.read())
            return KeepAliveProbe(first, False, second)
        except (OSError, http.client.HTTPException) as exc:
            return KeepAliveProbe(first, False, None, repr(exc))
