"""Checks berth's /api/v2.0 responses against Harbor's swagger (tests/api/spec/harbor-swagger.yaml).

`check_response(method, path, status, headers, body)` returns the ways one response breaks the
contract, as readable strings (an empty list when it conforms). It checks:

- the operation: the swagger path template (basePath removed) and method the request matches. A
  path parameter matches exactly one non-empty segment (a double-encoded `a%252Fb` is one); among
  the templates that declare the method, literal segments beat parameters, segment by segment
  from the left (`/users/current` over `/users/{user_id}`); a trailing slash is ignored, as
  Harbor's router ignores it. A path or method the swagger does not
  have is berth's own (e.g. `/api/version`) and is not checked.
- the status: one the operation declares, unless it declares `default`.
- the body, where the declared response has a schema: JSON that validates against it (Draft 4
  semantics, so `type: integer` rejects 1.0; `format` is not checked; only `x-nullable: true`, or
  its go-swagger synonym `x-isnullable: true`, admits null). Error bodies are validated the same
  way, against the `Errors` schema Harbor declares for them; an undeclared 4xx/5xx is still
  checked against `Errors`. Success bodies of operations that produce something other than JSON
  (`/ping`'s text, `/systeminfo/getcert`'s file) are not parsed.
- the Content-Type: a 2xx with an empty body must not claim JSON; a JSON body must say
  `application/json`; a 2xx of a non-JSON operation must use a type it `produces`.

HEAD responses are checked for their status only. Known defects of the swagger itself are
allow-listed in SWAGGER_DEFECTS below, each with its reason.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import jsonschema
import yaml

SPEC_PATH = Path(__file__).resolve().parents[1] / "spec" / "harbor-swagger.yaml"
JSON = "application/json"

# Violations that are defects of Harbor's swagger rather than of berth: (method, path template,
# status, regular expression the violation must fully match); "*" matches any method or template.
# Each is here because Harbor itself (goharbor/harbor, src/server/v2.0/handler) answers the same
# request the same way, so the swagger, not berth, is wrong. Anything else is berth's to fix.
ARTIFACTS = "/projects/{project_name}/repositories/{repository_name}/artifacts"
UNDECLARED = r"status {} is not declared .*"
SWAGGER_DEFECTS: list[tuple[str, str, int, str]] = [
    # ExtraAttrs says `additionalProperties: {type: object}`, but go-swagger makes that a
    # map[string]interface{} and Harbor's image processor stores the config's architecture, os,
    # author and created there as strings (processor/image/manifest_v2.go).
    ("GET", "*", 200, r"\$(\[\d+\])?\.extra_attrs\.[^:]+: .* is not of type 'object'"),
    # getAddition declares `schema: {type: string}`, but Harbor's handler writes the addition
    # as it is stored, with its own Content-Type: build_history is a JSON array, readme.md is
    # markdown (handler/artifact.go GetAddition, a ResponderFunc).
    (
        "GET",
        ARTIFACTS + "/{reference}/additions/{addition}",
        200,
        r"\$: .* is not of type 'string'|body is not JSON: .*|Content-Type .*, not application/json, on a JSON body",
    ),
    # With no schedule set, Harbor's getGCSchedule and getPurgeSchedule answer 200 with no
    # body (`operation.NewGetGCScheduleOK()` without a payload), though a schema is declared.
    ("GET", "/system/gc/schedule", 200, r"empty body, but the swagger declares a schema for it"),
    ("GET", "/system/purgeaudit/schedule", 200, r"empty body, but the swagger declares a schema for it"),
    # RetentionRule.params says `additionalProperties: {type: object}`, but Harbor's templates
    # take numbers (`{"latestPushedK": 10}`, as its portal sends them), a go-swagger
    # map[string]interface{}.
    ("GET", "/retentions/{id}", 200, r"\$\.rules\[\d+\]\.params\.[^:]+: .* is not of type 'object'"),
    # Statuses Harbor's handlers send that the operation does not declare:
    # a policy that fails its checks on update, and a stop action other than "stop":
    # BadRequestError, 400 (server/v2.0/handler/retention.go);
    ("PUT", "/retentions/{id}", 400, UNDECLARED.format(400)),
    ("PATCH", "/retentions/{id}/executions/{eid}", 400, UNDECLARED.format(400)),
    # an unknown policy, execution or task: NotFoundError, 404;
    ("GET", "/retentions/{id}", 404, UNDECLARED.format(404)),
    ("PUT", "/retentions/{id}", 404, UNDECLARED.format(404)),
    ("DELETE", "/retentions/{id}", 404, UNDECLARED.format(404)),
    ("POST", "/retentions/{id}/executions", 404, UNDECLARED.format(404)),
    ("GET", "/retentions/{id}/executions", 404, UNDECLARED.format(404)),
    ("PATCH", "/retentions/{id}/executions/{eid}", 404, UNDECLARED.format(404)),
    ("GET", "/retentions/{id}/executions/{eid}/tasks", 404, UNDECLARED.format(404)),
    ("GET", "/retentions/{id}/executions/{eid}/tasks/{tid}", 404, UNDECLARED.format(404)),
    # deleting an artifact an index still references: ViolateForeignKeyConstraintCode, 412
    # (controller/artifact/controller.go, "the deleting artifact is referenced by others");
    ("DELETE", ARTIFACTS + "/{reference}", 412, UNDECLARED.format(412)),
    # project_creation_restriction=adminonly: "Only system admin can create project", 403;
    ("POST", "/projects", 403, UNDECLARED.format(403)),
    # a member_user.username that does not exist: auth.SearchAndOnBoardUser's NotFoundError, 404;
    ("POST", "/projects/{project_name_or_id}/members", 404, UNDECLARED.format(404)),
    # the (deprecated) project log for a non-member: RequireProjectAccess, 403;
    ("GET", "/projects/{project_name}/logs", 403, UNDECLARED.format(403)),
    # listing system robots without the right: requireAccess, 403;
    ("GET", "/robots", 403, UNDECLARED.format(403)),
    # a robot name taken in its project: the DAO's WrapConflictError, 409;
    ("POST", "/robots", 409, UNDECLARED.format(409)),
    # an administrator resetting the password of a user id that does not exist: getUserByID, 404.
    ("PUT", "/users/{user_id}/password", 404, UNDECLARED.format(404)),
    # a profile update with another user's email: the handler's uniqueness check, 409 Conflict
    # (handler/user.go UpdateUserProfile);
    ("PUT", "/users/{user_id}", 409, UNDECLARED.format(409)),
    # a second immutability rule selecting what one already does: "immutable rule already
    # exists", 409 (controller/immutable);
    ("POST", "/projects/{project_name_or_id}/immutabletagrules", 409, UNDECLARED.format(409)),
    # deleting an immutable tag: "the tag ... configured as immutable, cannot be deleted", 412
    # (the immutable middleware in front of the handler);
    ("DELETE", ARTIFACTS + "/{reference}/tags/{tag_name}", 412, UNDECLARED.format(412)),
    # Harbor's security middleware answers 401 to an anonymous caller on any operation that
    # needs an identity, whether or not the operation declares it (server/middleware/security).
    ("*", "*", 401, UNDECLARED.format(401)),
]


@functools.cache
def spec() -> dict:
    with open(SPEC_PATH, encoding="utf-8") as f:
        return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@functools.cache
def _definitions() -> dict:
    return {name: _to_json_schema(s) for name, s in spec().get("definitions", {}).items()}


def _to_json_schema(s):
    """A Swagger 2.0 schema as a Draft 4 JSON Schema: vendor extensions and examples dropped,
    `type: file` unconstrained, and null admitted only where `x-nullable` (`x-isnullable`) says so."""
    if not isinstance(s, dict):
        return s
    out = {}
    for key, value in s.items():
        if key.startswith("x-") or key in ("example", "discriminator", "readOnly", "xml", "externalDocs"):
            continue
        if key == "properties":
            out[key] = {name: _to_json_schema(p) for name, p in value.items()}
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            out[key] = _to_json_schema(value)
        elif key == "allOf":
            out[key] = [_to_json_schema(p) for p in value]
        elif key == "type" and value == "file":
            continue
        else:
            out[key] = value
    if s.get("x-nullable") is True or s.get("x-isnullable") is True:
        if "type" in out and "$ref" not in out:
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [{"type": "null"}, out]}
    return out


_VALIDATORS: dict[int, tuple[dict, jsonschema.Draft4Validator]] = {}
ERRORS_SCHEMA = {"$ref": "#/definitions/Errors"}


def _validator(schema: dict) -> jsonschema.Draft4Validator:
    """One compiled validator per response schema object of the (cached, never freed) swagger."""
    if id(schema) not in _VALIDATORS:
        root = {"allOf": [_to_json_schema(schema)], "definitions": _definitions()}
        _VALIDATORS[id(schema)] = (schema, jsonschema.Draft4Validator(root))
    return _VALIDATORS[id(schema)][1]


@functools.cache
def _operations() -> dict[str, list[tuple[tuple[str, ...], str, dict]]]:
    """Per lower-case method: (template segments, template, operation), most specific first."""
    ops: dict[str, list] = {}
    for template, item in spec()["paths"].items():
        segments = _segments(template)
        for method, op in item.items():
            if method in ("get", "put", "post", "delete", "patch", "head", "options"):
                ops.setdefault(method, []).append((segments, template, op))
    for entries in ops.values():
        entries.sort(key=lambda e: [not _is_param(seg) for seg in e[0]], reverse=True)
    return ops


def _is_param(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _segments(path: str) -> tuple[str, ...]:
    """A path's segments; a trailing slash does not count (Harbor's router cleans paths, so
    `/projects/{project_name_or_id}/metadatas/` serves `.../metadatas`)."""
    return tuple(path.strip("/").split("/")) if path.strip("/") else ()


def find_operation(method: str, path: str) -> tuple[str, dict] | None:
    """(template, operation) for a path relative to the basePath, or None if the swagger has none."""
    parts = _segments(path)
    for segments, template, op in _operations().get(method.lower(), []):
        if len(segments) == len(parts) and all(
            (seg == part) if not _is_param(seg) else part != "" for seg, part in zip(segments, parts)
        ):
            return template, op
    return None


def _response(op: dict, status: int) -> dict | None:
    responses = {str(k): v for k, v in op.get("responses", {}).items()}
    declared = responses.get(str(status), responses.get("default"))
    if declared is None:
        return None
    ref = declared.get("$ref", "")
    return spec()["responses"][ref.rsplit("/", 1)[-1]] if ref.startswith("#/responses/") else declared


def _media_type(headers) -> str:
    value = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return value.split(";")[0].strip().lower()


def _schema_errors(schema: dict, body: bytes) -> list[str]:
    try:
        doc = json.loads(body)
    except ValueError:
        return [f"body is not JSON: {body[:120]!r}"]
    problems = []
    for err in _validator(schema).iter_errors(doc):
        while err.context:  # anyOf (nullable $ref): report the branch that came closest
            err = jsonschema.exceptions.best_match(err.context)
        message = err.message if len(err.message) <= 200 else err.message[:200] + "..."
        problems.append(f"{err.json_path}: {message}")
    return sorted(problems)


def _violations(method: str, path: str, status: int, headers, body: bytes) -> tuple[str, list[str]] | None:
    found = find_operation(method, path)
    if found is None:
        return None
    template, op = found
    problems = []
    declared = _response(op, status)
    if declared is None:
        declared_codes = ", ".join(str(k) for k in op.get("responses", {}))
        problems.append(f"status {status} is not declared (declared: {declared_codes})")
        if status >= 400:
            declared = {"schema": ERRORS_SCHEMA}
    if method.upper() == "HEAD":  # no body
        return template, problems
    produces = op.get("produces", spec().get("produces", [JSON]))
    media_type = _media_type(headers)
    schema = (declared or {}).get("schema")
    if 200 <= status < 300 and not body:
        if media_type == JSON:
            problems.append("empty 2xx body with Content-Type application/json")
    elif 200 <= status < 300 and JSON not in produces:
        if media_type not in produces:
            problems.append(f"Content-Type {media_type!r} is not one the operation produces {produces}")
        schema = None  # text or a file, not JSON
    elif body and media_type != JSON:
        problems.append(f"Content-Type {media_type!r}, not application/json, on a JSON body")
    if schema is not None:
        problems += _schema_errors(schema, body) if body else ["empty body, but the swagger declares a schema for it"]
    return template, problems


def check_response(method: str, path: str, status: int, headers, body: bytes) -> list[str]:
    """The contract violations of one response to `method` `path` (with /api/v2.0 or without,
    query stripped); [] if it conforms or the swagger has no such operation."""
    if path.startswith("/api/v2.0/") or path == "/api/v2.0":
        path = path[len("/api/v2.0") :]
    result = _violations(method, path, status, headers or {}, body or b"")
    if result is None:
        return []
    template, problems = result
    return [p for p in problems if not _swagger_defect(method.upper(), template, status, p)]


def _swagger_defect(method: str, template: str, status: int, problem: str) -> bool:
    return any(
        m in ("*", method) and t in ("*", template) and s == status and re.fullmatch(rx, problem)
        for m, t, s, rx in SWAGGER_DEFECTS
    )
