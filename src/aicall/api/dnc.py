"""Extension: the account's do-not-call list over the API (list, add, remove)."""

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Router

from aicall.api import campaign_schemas as s
from aicall.api.auth import account_of
from aicall.api.bodies import PAGING_PARAMS, TOKEN_PARAM, json_body, json_request, list_window
from aicall.api.responses import fail, ok
from aicall.calls.models import DoNotCall
from aicall.calls.services import do_add_do_not_call, do_remove_do_not_call
from aicall.lib.phones import to_e164, to_national
from aicall.lib.vntime import format_called_at

router = Router(tags=["Do-not-call list (extension)"])

_FAIL = {400: s.FieldFailure, 401: s.FieldFailure, 429: s.FieldFailure}
MAX_NUMBERS = 10_000


def _numbers_body() -> dict:
    schema = s.DoNotCallIn.model_json_schema()
    schema["properties"]["phone_numbers"].update(minItems=1, maxItems=MAX_NUMBERS)
    return json_request(schema)


@router.get(
    "/do-not-call",
    response={200: s.DoNotCallListSuccess, **_FAIL},
    openapi_extra={"parameters": [TOKEN_PARAM, *PAGING_PARAMS]},
    summary="The numbers this account never calls, newest first",
)
def list_numbers(request: HttpRequest) -> HttpResponse:
    user = account_of(request)
    limit, offset = list_window(request.GET)
    entries = DoNotCall.objects.filter(owner_id=user.pk).order_by("-created_at", "-id")
    page = [
        {
            "phone_number": to_national(e.phone_e164),
            "note": e.note,
            "created_at": format_called_at(e.created_at),
        }
        for e in entries[offset : offset + limit]
    ]
    return ok(results={"limit": limit, "total": entries.count(), "numbers": page})


def _numbers(body: object) -> list[str] | HttpResponse:
    numbers = body.get("phone_numbers") if isinstance(body, dict) else None
    if not isinstance(numbers, list) or not 1 <= len(numbers) <= MAX_NUMBERS:
        return fail(
            "400", f"phone_numbers must be a list of 1 to {MAX_NUMBERS}", field="phone_numbers"
        )
    for number in numbers:
        if not isinstance(number, str) or to_e164(number) is None:
            return fail("400", f"not a valid phone number: {number!r}"[:200], field="phone_numbers")
    return numbers


@router.post(
    "/do-not-call",
    response={200: s.DoNotCallChange, **_FAIL},
    openapi_extra={"parameters": [TOKEN_PARAM], "requestBody": _numbers_body()},
    summary="Add numbers (all valid or none added); already listed ones are kept as they are",
)
def add_numbers(request: HttpRequest) -> HttpResponse:
    body = json_body(request)
    user = account_of(request, body)
    numbers = _numbers(body)
    if isinstance(numbers, HttpResponse):
        return numbers
    note = body.get("note") if isinstance(body, dict) else None
    with transaction.atomic():
        for number in numbers:
            do_add_do_not_call(user.pk, number, str(note or ""))
    return ok(message=f"{len(numbers)} numbers on the do-not-call list", results=numbers)


@router.post(
    "/do-not-call/remove",
    response={200: s.DoNotCallChange, **_FAIL},
    openapi_extra={"parameters": [TOKEN_PARAM], "requestBody": _numbers_body()},
    summary="Take numbers off the list; `results` lists the ones that were on it",
)
def remove_numbers(request: HttpRequest) -> HttpResponse:
    body = json_body(request)
    user = account_of(request, body)
    numbers = _numbers(body)
    if isinstance(numbers, HttpResponse):
        return numbers
    with transaction.atomic():
        removed = [n for n in numbers if do_remove_do_not_call(user.pk, n)]
    return ok(message=f"{len(removed)} numbers removed", results=removed)
