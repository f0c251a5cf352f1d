"""A small raw HTTP client for the OCI distribution API, used to check what the clients left behind.

It speaks plain HTTP to one registry and answers auth challenges (Basic, or Bearer through the
realm's token service) when credentials are given, so the suite keeps working once berth needs login.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from urllib.parse import urljoin

import requests

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
ALL_MANIFEST_TYPES = (OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST)

TIMEOUT = 120


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Descriptor:
    media_type: str
    digest: str
    size: int

    def to_json(self) -> dict:
        return {"mediaType": self.media_type, "digest": self.digest, "size": self.size}


def describe(response: requests.Response) -> str:
    """One line for assertion messages: method, URL, status and the start of the body."""
    body = response.text[:500] if response.content else ""
    return f"{response.request.method} {response.url} -> {response.status_code} {body!r}"


class RegistryClient:
    def __init__(self, host: str, user: str | None = None, password: str | None = None):
        self.host = host
        self.base = f"http://{host}"
        self.user = user
        self.password = password
        self.session = requests.Session()

    # -- transport -------------------------------------------------------------------------

    def request(self, method: str, path_or_url: str, **kwargs) -> requests.Response:
        """Sends a request; on a 401 with a challenge and known credentials, authenticates and
        retries once (tokens are scoped, so none is reused across requests). Bodies must be bytes (not streams) so that the retry can resend them."""
        url = urljoin(self.base + "/", path_or_url)
        kwargs.setdefault("timeout", TIMEOUT)
        headers = dict(kwargs.pop("headers", None) or {})
        resp = self.session.request(method, url, headers=headers, **kwargs)
        if resp.status_code == 401 and self.user is not None:
            auth = self._answer_challenge(resp.headers.get("WWW-Authenticate", ""))
            if auth:
                headers["Authorization"] = auth
                resp = self.session.request(method, url, headers=headers, **kwargs)
        return resp

    def _answer_challenge(self, challenge: str) -> str | None:
        scheme, _, params = challenge.partition(" ")
        if scheme.lower() == "basic":
            return requests.auth._basic_auth_str(self.user, self.password or "")
        if scheme.lower() != "bearer":
            return None
        fields = dict(re.findall(r'(\w+)="([^"]*)"', params))
        query = {k: v for k, v in fields.items() if k in ("service", "scope")}
        token_resp = self.session.get(
            fields["realm"], params=query, auth=(self.user, self.password or ""), timeout=TIMEOUT
        )
        token_resp.raise_for_status()
        body = token_resp.json()
        return f"Bearer {body.get('token') or body.get('access_token')}"

    # -- API -------------------------------------------------------------------------------

    def ping(self) -> requests.Response:
        return self.request("GET", "/v2/")

    def push_blob(self, repo: str, data: bytes) -> str:
        """Uploads a blob the two-step way (POST, then PUT with the content) and returns its digest."""
        digest = sha256_digest(data)
        start = self.request("POST", f"/v2/{repo}/blobs/uploads/")
        assert start.status_code == 202, f"blob upload did not start: {describe(start)}"
        location = start.headers.get("Location")
        assert location, f"upload start has no Location header: {describe(start)}"
        sep = "&" if "?" in location else "?"
        done = self.request(
            "PUT",
            f"{location}{sep}digest={digest}",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert done.status_code == 201, f"blob upload did not complete: {describe(done)}"
        assert done.headers.get("Docker-Content-Digest", digest) == digest, (
            f"registry reports digest {done.headers.get('Docker-Content-Digest')} for blob {digest}"
        )
        return digest

    def put_manifest(self, repo: str, reference: str, body: bytes, media_type: str) -> requests.Response:
        resp = self.request(
            "PUT", f"/v2/{repo}/manifests/{reference}", data=body, headers={"Content-Type": media_type}
        )
        assert resp.status_code == 201, f"manifest PUT failed: {describe(resp)}"
        expected = sha256_digest(body)
        got = resp.headers.get("Docker-Content-Digest")
        assert got in (None, expected), f"manifest PUT answered digest {got}, body digest is {expected}"
        return resp

    def get_manifest(self, repo: str, reference: str, accept=ALL_MANIFEST_TYPES) -> requests.Response:
        return self.request(
            "GET", f"/v2/{repo}/manifests/{reference}", headers={"Accept": ", ".join(accept)}
        )

    def head_manifest(self, repo: str, reference: str, accept=ALL_MANIFEST_TYPES) -> requests.Response:
        return self.request(
            "HEAD", f"/v2/{repo}/manifests/{reference}", headers={"Accept": ", ".join(accept)}
        )

    def fetch_manifest(self, repo: str, reference: str, accept=ALL_MANIFEST_TYPES) -> tuple[bytes, str]:
        """GETs a manifest that must exist; returns its bytes and Content-Type."""
        resp = self.get_manifest(repo, reference, accept)
        assert resp.status_code == 200, f"manifest {repo}:{reference} not served: {describe(resp)}"
        return resp.content, resp.headers.get("Content-Type", "").split(";")[0].strip()

    def fetch_blob(self, repo: str, digest: str) -> bytes:
        resp = self.request("GET", f"/v2/{repo}/blobs/{digest}")
        assert resp.status_code == 200, f"blob {digest} not served from {repo}: {describe(resp)}"
        assert sha256_digest(resp.content) == digest, f"blob {digest} from {repo} has wrong content"
        return resp.content

    def blob_sha256(self, repo: str, digest: str) -> tuple[str, int]:
        """Streams a blob and returns (its sha256 digest, the byte count), for large blobs."""
        resp = self.request("GET", f"/v2/{repo}/blobs/{digest}", stream=True)
        with resp:
            assert resp.status_code == 200, f"blob {digest} not served from {repo}: {describe(resp)}"
            h = hashlib.sha256()
            count = 0
            for chunk in resp.iter_content(1 << 20):
                h.update(chunk)
                count += len(chunk)
            length = resp.headers.get("Content-Length")
            assert length is None or int(length) == count, f"Content-Length {length}, got {count} bytes"
        return "sha256:" + h.hexdigest(), count

    def tags(self, repo: str) -> list[str]:
        resp = self.request("GET", f"/v2/{repo}/tags/list")
        assert resp.status_code == 200, f"tag list of {repo} not served: {describe(resp)}"
        return resp.json().get("tags") or []

    def referrers(self, repo: str, digest: str, artifact_type: str | None = None) -> requests.Response:
        params = {"artifactType": artifact_type} if artifact_type else None
        return self.request(
            "GET", f"/v2/{repo}/referrers/{digest}", params=params, headers={"Accept": OCI_INDEX}
        )


def manifest_json(body: bytes) -> dict:
    return json.loads(body.decode())
