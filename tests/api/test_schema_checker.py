"""The swagger checker itself (berth_api/schema.py), on synthetic responses: it must be able to fail.
No server is needed."""

from __future__ import annotations

import json

from berth_api.schema import check_response, find_operation

JSON_TYPE = {"Content-Type": "application/json"}
PROJECT = {
    "project_id": 3,
    "owner_id": 1,
    "name": "demo",
    "creation_time": "2024-01-02T03:04:05Z",
    "metadata": {"public": "true", "auto_scan": None},  # auto_scan is x-nullable
}
USER = {"user_id": 1, "username": "admin", "email": "admin@example.com", "sysadmin_flag": True}


def body(doc) -> bytes:
    return json.dumps(doc).encode()


def test_templates_prefer_literal_segments_and_take_encoded_names_as_one_segment():
    assert find_operation("GET", "/users/current")[0] == "/users/current"
    assert find_operation("GET", "/users/7")[0] == "/users/{user_id}"
    assert find_operation("DELETE", "/users/current")[0] == "/users/{user_id}"  # /users/current has no DELETE
    assert (
        find_operation("GET", "/projects/p/repositories/a%252Fb/artifacts/latest/additions/vulnerabilities")[0]
        == "/projects/{project_name}/repositories/{repository_name}/artifacts/{reference}/additions/vulnerabilities"
    )
    assert find_operation("GET", "/projects/p/metadatas")[0] == "/projects/{project_name_or_id}/metadatas/"
    assert find_operation("GET", "/projects/p/repositories/a/b/artifacts") is None
    assert find_operation("GET", "/version") is None


def test_a_conforming_response_has_no_violations():
    assert check_response("GET", "/api/v2.0/projects/demo", 200, JSON_TYPE, body(PROJECT)) == []
    assert check_response("GET", "/api/v2.0/users/current", 200, JSON_TYPE, body(USER)) == []
    errors = {"errors": [{"code": "NOT_FOUND", "message": "no such project"}]}
    assert check_response("GET", "/api/v2.0/projects/nope", 404, JSON_TYPE, body(errors)) == []
    assert check_response("DELETE", "/api/v2.0/projects/demo", 200, {}, b"") == []
    assert check_response("GET", "/api/v2.0/ping", 200, {"Content-Type": "text/plain"}, b"Pong") == []


def test_paths_the_swagger_lacks_are_not_checked():
    assert check_response("GET", "/api/version", 200, {}, b"not json") == []
    assert check_response("GET", "/api/v2.0/version", 500, {}, b"") == []
    assert check_response("TRACE", "/api/v2.0/projects", 405, {}, b"") == []


def test_a_field_of_the_wrong_type_is_reported_with_its_path():
    wrong = {**PROJECT, "project_id": "3", "metadata": {"public": True}}
    problems = check_response("GET", "/api/v2.0/projects/demo", 200, JSON_TYPE, body(wrong))
    assert len(problems) == 2, problems
    assert problems[0].startswith("$.metadata.public: True is not of type 'string'"), problems
    assert problems[1].startswith("$.project_id: '3' is not of type 'integer'"), problems


def test_null_and_floats_are_rejected_where_the_swagger_does_not_allow_them():
    problems = check_response("GET", "/api/v2.0/projects/demo", 200, JSON_TYPE, body({**PROJECT, "owner_id": 1.0}))
    assert [p.split(":")[0] for p in problems] == ["$.owner_id"], problems
    problems = check_response("GET", "/api/v2.0/projects/demo", 200, JSON_TYPE, body({**PROJECT, "name": None}))
    assert [p.split(":")[0] for p in problems] == ["$.name"], problems


def test_an_undeclared_status_is_reported():
    problems = check_response("GET", "/api/v2.0/users/current", 404, JSON_TYPE, body({"errors": []}))
    assert len(problems) == 1 and "status 404 is not declared" in problems[0], problems


def test_an_error_body_that_is_not_the_errors_schema_is_reported():
    problems = check_response("GET", "/api/v2.0/projects/nope", 404, JSON_TYPE, body({"errors": "not found"}))
    assert problems and problems[0].startswith("$.errors: 'not found' is not of type 'array'"), problems
    problems = check_response("GET", "/api/v2.0/projects/nope", 404, {}, b"")
    assert problems == ["empty body, but the swagger declares a schema for it"], problems


def test_a_json_2xx_body_without_a_json_content_type_is_reported():
    for headers in ({}, {"Content-Type": "text/plain; charset=utf-8"}):
        problems = check_response("GET", "/api/v2.0/projects/demo", 200, headers, body(PROJECT))
        assert len(problems) == 1 and "not application/json" in problems[0], (headers, problems)


def test_an_empty_2xx_body_with_a_json_content_type_is_reported():
    problems = check_response("DELETE", "/api/v2.0/projects/demo", 200, JSON_TYPE, b"")
    assert problems == ["empty 2xx body with Content-Type application/json"], problems


def test_a_2xx_without_the_declared_body_is_reported():
    problems = check_response("GET", "/api/v2.0/projects/demo", 200, {}, b"")
    assert problems == ["empty body, but the swagger declares a schema for it"], problems
    problems = check_response("GET", "/api/v2.0/projects/demo", 200, JSON_TYPE, b"{not json")
    assert len(problems) == 1 and problems[0].startswith("body is not JSON"), problems


def test_swagger_defects_are_allowed_and_nothing_else():
    artifact = {"id": 1, "digest": "sha256:" + "0" * 64, "extra_attrs": {"os": "linux"}, "tags": "latest"}
    path = "/api/v2.0/projects/p/repositories/r/artifacts/latest"
    problems = check_response("GET", path, 200, JSON_TYPE, body(artifact))
    assert [p.split(":")[0] for p in problems] == ["$.tags"], problems
