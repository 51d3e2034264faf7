"""The original service's four endpoints, byte-compatible with its document."""

from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response, set_response_etag
from ninja import Router

from aicall.accounts.services import user_for_secret_key
from aicall.accounts.tokens import mint_access_token
from aicall.api import schemas
from aicall.api.auth import account_and_campaign, call_history
from aicall.api.bodies import MalformedBody, request_data
from aicall.api.csv_export import csv_download, wants_csv
from aicall.api.imports import run_import
from aicall.api.responses import (
    MSG_BAD_CONTACTS,
    MSG_BAD_SECRET,
    MSG_CAMPAIGN_STOPPED,
    fail,
    ok,
)
from aicall.calls.queries import (
    CallHistory,
    count_if_whole_history,
    export_page,
    finished_calls,
    page_from_query,
)
from aicall.calls.services import refuses_imports
from aicall.lib.gc_pause import cyclic_gc_paused

router = Router(tags=["Original API"])

_FAIL = {400: schemas.Failure, 401: schemas.Failure, 404: schemas.Failure, 409: schemas.Failure}
_TOKEN_PARAM = {
    "parameters": [
        {
            "name": "access_token",
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": "From generate-access-token; may instead travel in the JSON body or "
            "as `Authorization: Bearer`.",
        },
    ]
}
_PAGING = [
    {"name": n, "in": "query", "required": False, "schema": {"type": "integer"}, "description": d}
    for n, d in [
        ("start_time", "Epoch milliseconds; default: creation of the campaign (or account)."),
        ("end_time", "Epoch milliseconds; default: now."),
        ("limit", "Page size, default 10, capped at 1000 (the response says what applied)."),
        ("offset", "Default 0."),
    ]
] + [
    {
        "name": "format",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": ["json", "csv"]},
        "description": "Extension: `csv` streams every call of [start_time, end_time] as CSV "
        "(same columns as the JSON call objects; limit and offset are ignored).",
    }
]


@router.post(
    "/campaigns/{campaign_id}/import",
    response={200: schemas.ImportSuccess, **_FAIL},
    openapi_extra={
        **_TOKEN_PARAM,
        "requestBody": {
            "content": {"application/json": {"schema": schemas.ImportBody.model_json_schema()}}
        },
    },
    summary="Import contacts into a campaign (and call them if it runs)",
)
def import_contacts(request: HttpRequest, campaign_id: str) -> HttpResponse:
    with cyclic_gc_paused():  # 100,000 contacts are ~500,000 objects (lib/gc_pause.py)
        return _import_contacts(request, campaign_id)


def _import_contacts(request: HttpRequest, campaign_id: str) -> HttpResponse:
    try:
        body = request_data(request)  # JSON, or a PHP client's form (api/bodies.py)
    except MalformedBody:
        # Broken JSON is the body's fault whoever sent it: "400", even when the token
        # travels in the query or a header (or inside the broken body itself).
        return fail("400", MSG_BAD_CONTACTS)
    user, campaign = account_and_campaign(request, campaign_id, body)
    contacts = body.get("contacts") if isinstance(body, dict) else None
    if not isinstance(contacts, list):
        return fail("400", MSG_BAD_CONTACTS)
    if refuses_imports(campaign):
        return fail("03", MSG_CAMPAIGN_STOPPED)
    return run_import(request, user, campaign, contacts)


def _call_page(request: HttpRequest, history: CallHistory):
    if wants_csv(request.GET):  # extension: the whole range as CSV (api/csv_export.py)
        return csv_download(request, history)
    page = page_from_query(request.GET, history.started_at)
    owner_id, campaign_id = history.owner_id, history.campaign_id
    calls = finished_calls(owner_id=owner_id, campaign_id=campaign_id, page=page)
    known_total = count_if_whole_history(page, owner_id=owner_id, campaign_id=campaign_id)
    total, rows = export_page(calls, page, known_total)
    return _revalidated(request, ok(results={"limit": page.limit, "total": total, "calls": rows}))


def _revalidated(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """ETag for a page (a poller sending `If-None-Match` gets 304 while nothing changed);
    `no-store` because it holds customers' numbers, which no shared cache should keep."""
    set_response_etag(response)
    response["Cache-Control"] = "no-store"
    answer = get_conditional_response(request, etag=response["ETag"], response=response)
    return answer if answer is not None else response


@router.get(
    "/campaigns/{campaign_id}/export",
    response={200: schemas.CallPageSuccess, **_FAIL},
    openapi_extra={"parameters": _TOKEN_PARAM["parameters"] + _PAGING},
    summary="Finished calls of one campaign",
)
def export_calls(request: HttpRequest, campaign_id: str) -> HttpResponse:
    return _call_page(request, call_history(request, campaign_id))


@router.get(
    "/users/generate-access-token",
    response={200: schemas.AccessTokenSuccess, 401: schemas.Failure},
    openapi_extra={
        "parameters": [
            {
                "name": "secret_key",
                "in": "query",
                "required": True,
                "schema": {"type": "string"},
                "description": "From the website's profile page.",
            }
        ]
    },
    summary="Mint an access_token (valid 60 days, revoked when the secret_key changes)",
)
def generate_access_token(request: HttpRequest) -> HttpResponse:
    user = user_for_secret_key(request.GET.get("secret_key"))
    if user is None:
        return fail("401", MSG_BAD_SECRET)
    return ok(results={"access_token": mint_access_token(user)})


@router.get(
    "/users/call-log",
    response={200: schemas.CallPageSuccess, 401: schemas.Failure},
    openapi_extra={"parameters": _TOKEN_PARAM["parameters"] + _PAGING},
    summary="Finished calls across all of the account's campaigns",
)
def call_log(request: HttpRequest) -> HttpResponse:
    return _call_page(request, call_history(request))
