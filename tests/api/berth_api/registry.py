"""A thin raw-HTTP client for one registry, and the assertions every test file uses.

Nothing here hides a status code: helpers that push content assert the exact success status the
spec requires, and everything else returns the `requests.Response` for the test to inspect.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from urllib.parse import urljoin

import requests

API_VERSION_HEADER = "Docker-Distribution-API-Version"
TIMEOUT = 120


def admin_credentials() -> tuple[str, str]:
    """The administrator the suite's servers create at first start (scripts/test.sh sets the
    password in BERTH_ADMIN_PASSWORD)."""
    return "admin", os.environ.get("BERTH_ADMIN_PASSWORD", "Harbor12345")


def admin_authorization() -> str:
    """The administrator's `Authorization: Basic` header value."""
    import base64

    user, password = admin_credentials()
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha512(data: bytes) -> str:
    return "sha512:" + hashlib.sha512(data).hexdigest()


def digest_of(data: bytes, algorithm: str = "sha256") -> str:
    return {"sha256": sha256, "sha512": sha512}[algorithm](data)


def random_bytes(size: int) -> bytes:
    return os.urandom(size)


def describe(resp: requests.Response) -> str:
    """One line for assertion messages: method, URL, status, headers that matter, start of body."""
    shown = {
        k: v
        for k, v in resp.headers.items()
        if k.lower()
        in (
            "location",
            "range",
            "content-range",
            "content-type",
            "content-length",
            "docker-content-digest",
            "docker-upload-uuid",
            "link",
            "oci-subject",
            "oci-filters-applied",
        )
    }
    body = resp.content[:400] if resp.content else b""
    return f"{resp.request.method} {resp.url} -> {resp.status_code} {shown} {body!r}"


def error_codes(resp: requests.Response) -> list[str]:
    """The `code`s of an error body `{"errors":[{"code":...}]}`; fails the test on any other body."""
    try:
        body = resp.json()
    except ValueError:
        raise AssertionError(f"error body is not JSON: {describe(resp)}") from None
    assert isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"], (
        f"error body lacks a non-empty 'errors' list: {describe(resp)}"
    )
    codes = []
    for err in body["errors"]:
        assert isinstance(err, dict) and isinstance(err.get("code"), str), f"malformed error entry: {describe(resp)}"
        codes.append(err["code"])
    return codes


def assert_error(resp: requests.Response, status: int, code: str) -> dict:
    """The response is exactly `status` with every error entry carrying `code`. Returns the body."""
    assert resp.status_code == status, f"expected {status} {code}, got: {describe(resp)}"
    assert resp.headers.get(API_VERSION_HEADER) == "registry/2.0", f"no API version header: {describe(resp)}"
    codes = error_codes(resp)
    assert set(codes) == {code}, f"expected error code {code}, got {codes}: {describe(resp)}"
    return resp.json()


def assert_status(resp: requests.Response, status: int) -> requests.Response:
    assert resp.status_code == status, f"expected {status}, got: {describe(resp)}"
    assert resp.headers.get(API_VERSION_HEADER) == "registry/2.0", f"no API version header: {describe(resp)}"
    return resp


def unique_repo(purpose: str = "") -> str:
    """A fresh repository name, `library/api-<purpose>-<random>`."""
    parts = ["api", purpose, secrets.token_hex(5)]
    return "library/" + "-".join(p for p in parts if p)


# Called with every response Registry.request receives (conftest.py checks /api/v2.0 ones
# against Harbor's swagger).
RESPONSE_OBSERVERS: list = []


class Registry:
    """One registry over plain HTTP. Paths may be absolute (`/v2/...`) or a Location header value."""

    def __init__(self, host: str, credentials: tuple[str, str] | None | str = "admin"):
        """`credentials`: a user name and password sent as Basic auth, None for none, or the
        default "admin" (the administrator, with the password the suite's servers start with)."""
        self.host = host
        self.base = f"http://{host}"
        self.session = requests.Session()
        if credentials == "admin":
            credentials = admin_credentials()
        if credentials is not None:
            self.session.auth = credentials

    def url(self, path_or_url: str) -> str:
        return urljoin(self.base + "/", path_or_url)

    def request(self, method: str, path_or_url: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        resp = self.session.request(method, self.url(path_or_url), **kwargs)
        for observe in RESPONSE_OBSERVERS:
            for r in [*resp.history, resp]:
                observe(r)
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def head(self, path, **kw):
        return self.request("HEAD", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # -- blobs -----------------------------------------------------------------------------

    def start_upload(self, repo: str) -> requests.Response:
        """POST /blobs/uploads/: must be 202 with a Location."""
        resp = self.post(f"/v2/{repo}/blobs/uploads/", headers={"Content-Length": "0"})
        assert_status(resp, 202)
        assert resp.headers.get("Location"), f"upload start without Location: {describe(resp)}"
        return resp

    def push_blob(self, repo: str, data: bytes, algorithm: str = "sha256") -> str:
        """A monolithic POST ?digest= push that must answer 201; returns the digest."""
        digest = digest_of(data, algorithm)
        resp = self.post(
            f"/v2/{repo}/blobs/uploads/",
            params={"digest": digest},
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert_status(resp, 201)
        assert resp.headers.get("Docker-Content-Digest") == digest, describe(resp)
        return digest

    def blob_content(self, repo: str, digest: str) -> bytes:
        resp = self.get(f"/v2/{repo}/blobs/{digest}")
        assert_status(resp, 200)
        return resp.content

    # -- manifests -------------------------------------------------------------------------

    def put_manifest(self, repo: str, reference: str, body: bytes, content_type: str | None) -> requests.Response:
        headers = {"Content-Type": content_type} if content_type else {}
        return self.put(f"/v2/{repo}/manifests/{reference}", data=body, headers=headers)

    def push_manifest(self, repo: str, reference: str, body: bytes, content_type: str | None) -> str:
        """A manifest PUT that must answer 201; returns the digest the registry reports."""
        resp = self.put_manifest(repo, reference, body, content_type)
        assert_status(resp, 201)
        expected = reference if reference.startswith("sha") and ":" in reference else sha256(body)
        assert resp.headers.get("Docker-Content-Digest") == expected, describe(resp)
        assert resp.headers.get("Location") == f"/v2/{repo}/manifests/{expected}" or resp.headers.get(
            "Location"
        ) == self.url(f"/v2/{repo}/manifests/{expected}"), describe(resp)
        return expected

    def manifest(self, repo: str, reference: str, **kw) -> requests.Response:
        return self.get(f"/v2/{repo}/manifests/{reference}", headers={"Accept": ", ".join(ALL_MANIFEST_TYPES)}, **kw)


OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
ALL_MANIFEST_TYPES = (OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST)
EMPTY_JSON = b"{}"


def descriptor(media_type: str, data: bytes, **extra) -> dict:
    return {"mediaType": media_type, "digest": sha256(data), "size": len(data), **extra}


def encode(doc: dict) -> bytes:
    return json.dumps(doc, separators=(",", ":")).encode()


def image_manifest(
    config: dict,
    layers: list[dict],
    *,
    media_type: str | None = OCI_MANIFEST,
    subject: dict | None = None,
    artifact_type: str | None = None,
    annotations: dict | None = None,
) -> bytes:
    doc: dict = {"schemaVersion": 2}
    if media_type:
        doc["mediaType"] = media_type
    if artifact_type:
        doc["artifactType"] = artifact_type
    doc["config"] = config
    doc["layers"] = layers
    if subject:
        doc["subject"] = subject
    if annotations:
        doc["annotations"] = annotations
    return encode(doc)


def index_manifest(
    manifests: list[dict],
    *,
    media_type: str | None = OCI_INDEX,
    subject: dict | None = None,
    artifact_type: str | None = None,
    annotations: dict | None = None,
) -> bytes:
    doc: dict = {"schemaVersion": 2}
    if media_type:
        doc["mediaType"] = media_type
    if artifact_type:
        doc["artifactType"] = artifact_type
    doc["manifests"] = manifests
    if subject:
        doc["subject"] = subject
    if annotations:
        doc["annotations"] = annotations
    return encode(doc)


class Image:
    """An image pushed by `push_image`: its blobs, manifest bytes and digest."""

    def __init__(self, repo: str, config: bytes, layers: list[bytes], manifest: bytes, media_type: str):
        self.repo = repo
        self.config = config
        self.layers = layers
        self.manifest = manifest
        self.media_type = media_type
        self.digest = sha256(manifest)

    def descriptor(self, **extra) -> dict:
        return {"mediaType": self.media_type, "digest": self.digest, "size": len(self.manifest), **extra}


def push_image(
    reg: Registry,
    repo: str,
    tag: str | None = None,
    *,
    layer_count: int = 1,
    docker: bool = False,
    **manifest_fields,
) -> Image:
    """Pushes a small random image (config plus layers) and its manifest, by tag or by digest."""
    config = encode({"architecture": "amd64", "os": "linux", "nonce": secrets.token_hex(8)})
    layers = [random_bytes(256 + 97 * i) for i in range(layer_count)]
    for blob in [config, *layers]:
        reg.push_blob(repo, blob)
    config_type, layer_type, media_type = (
        (DOCKER_CONFIG, DOCKER_LAYER, DOCKER_MANIFEST) if docker else (OCI_CONFIG, OCI_LAYER, OCI_MANIFEST)
    )
    body = image_manifest(
        descriptor(config_type, config),
        [descriptor(layer_type, layer) for layer in layers],
        media_type=media_type,
        **manifest_fields,
    )
    image = Image(repo, config, layers, body, media_type)
    reg.push_manifest(repo, tag or image.digest, body, media_type)
    return image
