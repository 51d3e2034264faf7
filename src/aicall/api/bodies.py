"""Request-body and paging helpers shared by the extension endpoints."""

from typing import Any

import orjson
from django.http import HttpRequest
from ninja import Schema

TOKEN_PARAM = {
    "name": "access_token",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "Or in the JSON body, or as `Authorization: Bearer <token>`.",
}
PAGING_PARAMS = [
    {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}},
    {"name": "offset", "in": "query", "required": False, "schema": {"type": "integer"}},
]
LIST_LIMIT_DEFAULT, LIST_LIMIT_CAP = 50, 1000


def json_body(request: HttpRequest) -> Any:
    """The parsed JSON body; None when empty or not JSON."""
    try:
        return orjson.loads(request.body) if request.body.strip() else None
    except orjson.JSONDecodeError:
        return None


def list_window(params: Any) -> tuple[int, int]:
    """(limit, offset) for list endpoints: bad numbers fall back, limit is capped."""

    def number(name: str, default: int) -> int:
        try:
            return int(str(params.get(name, default)).strip())
        except ValueError:
            return default

    limit = number("limit", LIST_LIMIT_DEFAULT)
    limit = LIST_LIMIT_DEFAULT if limit < 1 else min(limit, LIST_LIMIT_CAP)
    offset = max(number("offset", 0), 0)
    return limit, offset


def body_schema(schema: type[Schema]) -> dict:
    return {"content": {"application/json": {"schema": schema.model_json_schema()}}}
