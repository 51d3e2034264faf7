"""The contract's response envelope: `{"status": 1, ...}` or `{"status": 0, code, message}`."""

from typing import Any

import orjson
from django.http import HttpResponse

MSG_BAD_TOKEN = "access token không chính xác. bạn không có quyền truy cập"
MSG_BAD_SECRET = "secret_key không chính xác"
MSG_BAD_CONTACTS = "contacts không đúng định dạng"
MSG_BAD_CAMPAIGN = "campaign_id không hợp lệ"
MSG_CAMPAIGN_STOPPED = "The campaign stopped. Can not import data"

# The contract's codes and the HTTP status each one travels with.
HTTP_STATUS = {"401": 401, "400": 400, "01": 404, "03": 409}


def json_response(payload: Any, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(
        orjson.dumps(payload), status=status, content_type="application/json; charset=utf-8"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def ok(**fields: Any) -> HttpResponse:
    return json_response({"status": 1, **fields})


def fail(code: str, message: str, status: int | None = None, **extra: Any) -> HttpResponse:
    body = {"status": 0, "code": code, "message": message, **extra}
    return json_response(body, status or HTTP_STATUS.get(code, 400))


def bad_token() -> HttpResponse:
    return fail("401", MSG_BAD_TOKEN)


def bad_campaign() -> HttpResponse:
    return fail("01", MSG_BAD_CAMPAIGN)
