"""What the OpenAPI document says beyond what django-ninja infers from the views.

The views answer with plain `HttpResponse`s (the original endpoints' bytes are pinned), so
ninja cannot see their headers, the CSV variant, the security schemes or the failures the
middleware and exception handlers produce. A client generated from /api/openapi.json must
know all of them, so they are added here, in one pass over the generated document.
"""

import copy
from typing import Any

from ninja import NinjaAPI

from aicall.api.idempotency import HEADER, KEY_MAX_CHARS, KEY_PATTERN

FAILURE_REF = {"$ref": "#/components/schemas/Failure"}
FAILURE_SCHEMA = {
    "title": "Failure",
    "type": "object",
    "properties": {
        "status": {"type": "integer", "default": 0},
        "code": {"type": "string"},
        "message": {"type": "string"},
        "field": {"type": "string", "description": "Extension: the input that was refused."},
    },
    "required": ["code", "message"],
}

SECURITY_SCHEMES = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "The access_token from generate-access-token (extension).",
    },
    "accessTokenQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "access_token",
        "description": "The access_token from generate-access-token in the query string "
        "(it may also travel in the JSON body).",
    },
}
SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"accessTokenQuery": []}]

_INT_HEADER = {"schema": {"type": "integer"}}
RATE_HEADERS = {
    "RateLimit-Limit": {**_INT_HEADER, "description": "Requests allowed per window."},
    "RateLimit-Remaining": {**_INT_HEADER, "description": "Requests left in the window."},
    "RateLimit-Reset": {**_INT_HEADER, "description": "Seconds until the window refills."},
}
RETRY_AFTER = {"Retry-After": {**_INT_HEADER, "description": "Seconds to wait before retrying."}}
REPLAYED = {
    "Idempotent-Replayed": {
        "schema": {"type": "string", "enum": ["true"]},
        "description": "Present when the answer repeats the first one for this Idempotency-Key.",
    }
}
IDEMPOTENCY_KEY = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {
        "type": "string",
        "minLength": 1,
        "maxLength": KEY_MAX_CHARS,
        "pattern": KEY_PATTERN,
    },
    "description": "Extension: a repeat with the same key and the same contacts within 24 "
    "hours returns the first answer and calls nobody again; other contacts are code 409.",
}

ETAG = {
    "ETag": {
        "schema": {"type": "string"},
        "description": "Send it back in `If-None-Match`: 304 while the answer is unchanged.",
    },
    "Cache-Control": {"schema": {"type": "string", "enum": ["no-store"]}},
}
IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "An `ETag` of an earlier answer to the same request: 304 if still current.",
}
NOT_MODIFIED = {
    "description": "Not modified: the `If-None-Match` tag is still current (no body).",
    "headers": ETAG,
}

FAILURES = {
    "400": "Bad input (code `400`, `field` names it).",
    "401": "Missing or wrong access_token (code `401`).",
    "404": "Unknown campaign or one of another account (code `01`).",
    "409": "Stopped voice-OTP campaign (`03`) or Idempotency-Key reused (`409`).",
    "413": "Request body too large (code `413`).",
    "429": "Over the rate limit (code `429`); wait `Retry-After` seconds.",
    "503": "The database is busy (code `503`); wait `Retry-After` seconds.",
}
# Failures every authenticated operation can answer, whatever its own ones are.
COMMON_FAILURES = ("400", "401", "413", "429", "503")
ORIGINAL_FAILURES = ("400", "401", "404", "409", "413", "429", "503")
CSV_OPERATIONS = {"/api/campaigns/{campaign_id}/export", "/api/users/call-log"}
CSV_ONLY_OPERATIONS = {"/api/campaigns/{campaign_id}/export.csv", "/api/users/call-log.csv"}
IMPORT_PATH = "/api/campaigns/{campaign_id}/import"
TOKEN_PATH = "/api/users/generate-access-token"
METHODS = ("get", "put", "post", "delete", "patch")


def _failure(status: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": FAILURES[status],
        "content": {"application/json": {"schema": FAILURE_REF}},
    }
    if status in ("429", "503"):
        response["headers"] = {**RETRY_AFTER, **(RATE_HEADERS if status == "429" else {})}
    return response


def _enrich_operation(path: str, operation: dict[str, Any]) -> None:
    # ninja keys responses by int status; JSON makes them strings anyway, so do it now.
    responses = {str(k): v for k, v in operation.get("responses", {}).items()}
    operation["responses"] = responses
    is_original = "Original API" in operation.get("tags", [])
    if path == TOKEN_PATH:
        wanted: tuple[str, ...] = ("401", "429")
    else:
        operation["security"] = SECURITY
        wanted = ORIGINAL_FAILURES if is_original else COMMON_FAILURES
    for status in wanted:
        failure = _failure(status)
        existing = responses.get(status)
        if existing is None:
            responses[status] = failure
        else:
            existing.setdefault("headers", {}).update(failure.get("headers", {}))
            existing.setdefault("content", failure["content"])
    for status, response in responses.items():
        if status.startswith("2"):
            response.setdefault("headers", {}).update(RATE_HEADERS)
    if path in CSV_OPERATIONS and "200" in responses:
        responses["200"].setdefault("content", {})["text/csv"] = {
            "schema": {"type": "string"},
        }
    if path in CSV_OPERATIONS | CSV_ONLY_OPERATIONS and "200" in responses:
        responses["200"]["headers"].update(ETAG)
        responses["304"] = NOT_MODIFIED
        operation.setdefault("parameters", []).append(IF_NONE_MATCH)
    if path == IMPORT_PATH:
        params = operation.setdefault("parameters", [])
        if not any(p.get("name") == IDEMPOTENCY_KEY["name"] for p in params):
            params.append(IDEMPOTENCY_KEY)
        if "200" in responses:
            responses["200"]["headers"].update(REPLAYED)
    if "requestBody" in operation:
        operation["requestBody"]["required"] = True


def _local_refs_to_components(node: Any) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            node = {**node, "$ref": "#/components/schemas/" + ref.removeprefix("#/$defs/")}
        return {key: _local_refs_to_components(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_local_refs_to_components(value) for value in node]
    return node


def _named_request_body(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """A request body schema (built by hand from a pydantic model, with its own `$defs`)
    becomes a named component, its `$defs` too: generators resolve `#/components/...`
    references, not references into an inline schema."""
    content = operation.get("requestBody", {}).get("content", {})
    for media in content.values():
        schema = media.get("schema", {})
        if "$ref" in schema:
            continue
        defs = schema.pop("$defs", {})
        for name, definition in defs.items():
            schemas.setdefault(name, _local_refs_to_components(definition))
        schema = _local_refs_to_components(schema)
        title = schema.get("title")
        if title and schemas.get(title, schema) == schema:
            schemas[title] = schema
            media["schema"] = {"$ref": f"#/components/schemas/{title}"}
        else:
            media["schema"] = schema


def enrich(schema: dict[str, Any]) -> dict[str, Any]:
    """Add security schemes, failures, headers and the CSV variant to ninja's document."""
    # The views' openapi_extra dicts are in it by reference: edit a copy, so that every
    # build of the document starts from the same parts.
    schema = copy.deepcopy(schema)
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.setdefault("Failure", FAILURE_SCHEMA)
    components["securitySchemes"] = SECURITY_SCHEMES
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                _enrich_operation(path, item[method])
                _named_request_body(item[method], schemas)
    return schema


class DocumentedAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document also states what the views do by hand."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return enrich(super().get_openapi_schema(*args, **kwargs))
