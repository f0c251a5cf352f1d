"""The OpenAPI document berth makes from its handlers' declarations, and the Swagger UI that
reads it, served by berth itself with no internet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from berth_api.harbor import Harbor, assert_api_status

SPEC = Path(__file__).resolve().parent / "spec" / "harbor-swagger.yaml"
METHODS = ("get", "put", "post", "delete", "patch", "head")


def shape(path: str) -> str:
    """A path template with its parameter names dropped: Harbor's and berth's name them apart."""
    return re.sub(r"\{[^}]+\}", "{}", path.rstrip("/"))


@pytest.fixture(scope="module")
def doc(registry_host) -> dict:
    resp = assert_api_status(Harbor(registry_host).get("/api/v2.0/openapi.json"), 200)
    assert resp.headers["Content-Type"].startswith("application/json")
    return resp.json()


@pytest.fixture(scope="module")
def harbor_operations() -> dict[tuple[str, str], str]:
    spec = yaml.safe_load(SPEC.read_text())
    return {(m, shape("/api/v2.0" + p)): op.get("operationId", "")
            for p, item in spec["paths"].items() for m, op in item.items() if m in METHODS}


def operations(doc: dict):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method, path, op


def test_the_document_is_openapi_3_with_schemas_and_basic_auth(doc):
    assert doc["openapi"].startswith("3.")
    assert doc["components"]["securitySchemes"]["basic"]["scheme"] == "basic"
    for name in ("Project", "Artifact", "Repository", "Tag", "Label", "UserResp", "Robot", "Errors"):
        assert name in doc["components"]["schemas"], name
    assert len(list(operations(doc))) >= 60


def test_every_operation_is_harbors_own_with_harbors_operation_id(doc, harbor_operations):
    for method, path, op in operations(doc):
        key = (method, shape(path))
        assert key in harbor_operations, f"{method} {path} is not in Harbor's API"
        assert op["operationId"] == harbor_operations[key], (method, path)
        assert op.get("responses"), (method, path)


SAMPLE = {"project_name_or_id": "library", "repository_name": "none", "reference": "latest",
          "user_id": "1", "mid": "1", "robot_id": "1", "label_id": "1", "addition": "build_history",
          "tag_name": "none", "digest": "sha256:" + "0" * 64}


def test_every_documented_operation_is_routed(doc, admin, registry_host):
    """No operation of the document falls through to the API's 404 for unknown paths. Reads
    go as the administrator; writes go anonymously, so that they are refused (401) and
    change nothing."""
    anonymous = Harbor(registry_host)
    for method, path, _ in operations(doc):
        concrete = re.sub(r"\{([^}]+)\}", lambda m: SAMPLE.get(m.group(1), "1"), path)
        params = {"username": "a", "q": "x"} if method == "get" else None
        client = admin if method in ("get", "head") else anonymous
        resp = client.request(method.upper(), concrete, params=params)
        if method in ("get", "head"):
            assert "no such API path" not in resp.text, f"{method} {path} is documented but not routed"
        else:
            assert resp.status_code == 401, f"{method} {path}: {resp.status_code} {resp.text[:200]}"


def test_the_swagger_ui_is_served_offline(registry_host):
    client = Harbor(registry_host)
    page = assert_api_status(client.get("/devcenter-api-2.0/"), 200)
    assert "text/html" in page.headers["Content-Type"]
    assert not re.search(r"""src=["']https?://""", page.text), "the page loads scripts from elsewhere"
    init = assert_api_status(client.get("/devcenter-api-2.0/swagger-initializer.js"), 200)
    assert "/api/v2.0/openapi.json" in init.text
    bundle = assert_api_status(client.get("/devcenter-api-2.0/swagger-ui-bundle.js"), 200)
    assert len(bundle.content) > 100_000
