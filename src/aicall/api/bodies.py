"""Request bodies and paging parameters shared by the API's endpoints.

A body may come as JSON (what the documents show), as a form (`application/x-www-form-
urlencoded` or `multipart/form-data`: what PHP integrations of the original service send,
either `contacts` holding a JSON string or PHP's bracket notation
`contacts[0][phone_number]=…`), with a UTF-8 byte-order mark or whitespace around it.
"""

import json
import re
from typing import Any

import orjson
from django.core.exceptions import TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from ninja import Schema

TOKEN_PARAM = {
    "name": "access_token",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "Or in the body, or as `Authorization: Bearer <token>`.",
}
# What the server accepts for a number in the query: anything; a value that is not a whole
# number in range falls back to the default (the original service's rule).
LENIENT_INTEGER = {"type": ["integer", "string"]}
PAGING_PARAMS = [
    {"name": "limit", "in": "query", "required": False, "schema": LENIENT_INTEGER},
    {"name": "offset", "in": "query", "required": False, "schema": LENIENT_INTEGER},
]
LIST_LIMIT_DEFAULT, LIST_LIMIT_CAP = 50, 1000
# Larger offsets than this cannot address a row and would overflow a database integer.
MAX_OFFSET = 2**62

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_BOM = b"\xef\xbb\xbf"
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
MSG_BAD_JSON = "the body is not valid JSON"


class MalformedBody(Exception):
    """The body is neither valid JSON nor a form: answered `"400"`, before any token check."""


def _loads(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    # orjson refuses what the standard library reads (e.g. integers beyond 64 bits, which
    # then fail validation as out of range). Only bodies orjson refused pay for this.
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedBody(MSG_BAD_JSON) from exc


def _is_form(request: HttpRequest) -> bool:
    content_type = request.META.get("CONTENT_TYPE", "").lower()
    return content_type.startswith(FORM_TYPES)


def _set_path(target: dict, keys: list[str], value: Any) -> None:
    node = target
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    node[keys[-1]] = value


def _lists_from_indexes(value: Any) -> Any:
    """PHP's `a[0]`, `a[1]` (or `a[]`) become a list; other keys stay an object."""
    if not isinstance(value, dict):
        return value
    items = {key: _lists_from_indexes(child) for key, child in value.items()}
    if items and all(key.isdigit() and len(key) < 10 for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items


def form_data(request: HttpRequest) -> dict[str, Any]:
    """A form body as the JSON object it stands for.

    `contacts` may be a JSON string (`contacts=[{"phone_number": …}]`) or PHP's bracket
    notation (`contacts[0][phone_number]=…&contacts[0][ho_ten]=…`); `a[]=x&a[]=y` is a list.
    """
    try:
        fields = request.POST
    except (MultiPartParserError, TooManyFieldsSent, TooManyFilesSent) as exc:
        raise MalformedBody(f"the form body cannot be read: {exc}"[:200]) from exc
    data: dict[str, Any] = {}
    for name, values in fields.lists():
        head, _, tail = name.partition("[")
        if not tail:
            data[name] = values[-1]
            continue
        keys = [head, *_BRACKETS.findall("[" + tail)]
        if keys[-1] == "":  # a[]=x&a[]=y
            keys = keys[:-1]
            _set_path(data, keys, {str(n): v for n, v in enumerate(values)})
        else:
            _set_path(data, keys, values[-1])
    data = {key: _lists_from_indexes(value) for key, value in data.items()}
    for key in ("contacts", "phone_numbers", "ivr_menu"):
        value = data.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            data[key] = _loads(value.encode())
    return data


def request_data(request: HttpRequest) -> Any:
    """The body as Python data; None when empty. Raises MalformedBody for broken JSON."""
    if _is_form(request):
        return form_data(request)
    raw = request.body
    if raw.startswith(_BOM):
        raw = raw[len(_BOM) :]
    if not raw.strip():
        return None
    return _loads(raw)


def json_body(request: HttpRequest) -> Any:
    """The parsed body of an extension endpoint (MalformedBody is answered by api/main.py)."""
    return request_data(request)


def _whole_number(value: Any, default: int, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        return default
    return number if low <= number <= high else default


def list_window(params: Any) -> tuple[int, int]:
    """(limit, offset) for list endpoints: bad or out-of-range numbers fall back."""
    limit = _whole_number(params.get("limit", LIST_LIMIT_DEFAULT), LIST_LIMIT_DEFAULT, 1, 2**62)
    offset = _whole_number(params.get("offset", 0), 0, 0, MAX_OFFSET)
    return min(limit, LIST_LIMIT_CAP), offset


def json_request(schema: dict) -> dict:
    """An OpenAPI requestBody: required, JSON, of this schema."""
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def body_schema(schema: type[Schema]) -> dict:
    return json_request(schema.model_json_schema())
