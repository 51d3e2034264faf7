"""Extension: the CSV downloads as operations of their own.

`format=csv` on export and call-log answers CSV from an operation whose usual answer is
JSON; a client generated from the OpenAPI description parses one media type per answer,
so these two paths answer only `text/csv` (the same bytes, `ETag` and 304 as `format=csv`,
api/csv_export.py) and a generated client gets the text instead of failing to read JSON.
"""

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Router

from aicall.api import schemas
from aicall.api.auth import call_history
from aicall.api.csv_export import csv_download

router = Router(tags=["CSV downloads (extension)"])

_FAIL = {400: schemas.Failure, 401: schemas.Failure, 404: schemas.Failure}
_RANGE = [
    {
        "name": "access_token",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "Or as `Authorization: Bearer <token>`.",
    },
    *(
        {"name": name, "in": "query", "required": False, "schema": {"type": "integer"}}
        for name in ("start_time", "end_time")
    ),
]


def _csv_only(what: str) -> dict:
    return {
        "parameters": _RANGE,
        "responses": {
            "200": {
                "description": f"Every finished call of {what} placed in [start_time, "
                "end_time] (milliseconds; defaults as on export), oldest first: the columns "
                "of the call objects, CRLF line ends, RFC 4180 quoting.",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        },
    }


@router.get(
    "/campaigns/{campaign_id}/export.csv",
    response=_FAIL,
    openapi_extra=_csv_only("the campaign"),
    summary="Download a campaign's finished calls as CSV (the whole time range)",
)
def export_csv(request: HttpRequest, campaign_id: str) -> HttpResponse | StreamingHttpResponse:
    return csv_download(request, call_history(request, campaign_id))


@router.get(
    "/users/call-log.csv",
    response=_FAIL,
    openapi_extra=_csv_only("the account"),
    summary="Download the account's finished calls as CSV (the whole time range)",
)
def call_log_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    return csv_download(request, call_history(request))
