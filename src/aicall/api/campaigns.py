"""Extension: campaign management over the API (create, list, read, update, start, stop).

Same token auth and envelope as the original endpoints. A campaign of another account, or
one that does not exist, is `01` like on import/export. Bad settings are `400` with the
offending input named in `field`.
"""

from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Router

from aicall.api import campaign_schemas as s
from aicall.api.auth import account_and_campaign, account_of
from aicall.api.bodies import (
    PAGING_PARAMS,
    TOKEN_PARAM,
    body_schema,
    json_body,
    json_request,
    list_window,
)
from aicall.api.responses import fail, ok
from aicall.calls.queries import campaign_progress
from aicall.campaigns.models import Campaign
from aicall.campaigns.queries import campaigns_of
from aicall.campaigns.services import (
    CampaignError,
    do_archive_campaign,
    do_create_campaign,
    do_delete_campaign,
    do_duplicate_campaign,
    do_restore_campaign,
    do_rotate_webhook_secret,
    do_schedule_campaign,
    do_start_campaign,
    do_stop_campaign,
    do_update_campaign,
    format_calling_hours,
)
from aicall.dialer.campaign_state import activity
from aicall.lib.vntime import format_called_at, parse_vietnam_time
from aicall.telephony.trunks import campaign_telephony

router = Router(tags=["Campaigns (extension)"])

SETTABLE = frozenset(s.CampaignSettingsIn.model_fields)
MSG_BAD_BODY = "the body must be a JSON object"
_FAIL = {400: s.FieldFailure, 401: s.FieldFailure, 404: s.FieldFailure, 429: s.FieldFailure}
_TOKEN = {"parameters": [TOKEN_PARAM]}


def _activity_fields(campaign: Campaign, counts: dict[str, int]) -> dict[str, Any]:
    current = activity(campaign, counts)
    return {
        "waiting_reason": current.waiting.value if current.waiting else None,
        "next_call_at": format_called_at(current.next_call_at),
    }


def campaign_object(campaign: Campaign, *, progress: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "campaign_id": campaign.pk,
        "name": campaign.name,
        "campaign_type": campaign.campaign_type,
        "status": campaign.status,
        "caller_id": campaign.caller_id,
        "script": campaign.script,
        "ivr_menu": campaign.ivr_menu,
        "calling_hours": format_calling_hours(campaign),
        "calling_weekdays": campaign.calling_weekdays,
        "max_concurrent_calls": campaign.max_concurrent_calls,
        "max_attempts": campaign.max_attempts,
        "retry_interval_seconds": campaign.retry_interval_seconds,
        "otp_expiry_seconds": campaign.otp_expiry_seconds,
        "otp_repeat_count": campaign.otp_repeat_count,
        "ring_timeout_seconds": campaign.ring_timeout_seconds,
        "record_calls": campaign.record_calls,
        "webhook_url": campaign.webhook_url,
        "webhook_secret": campaign.webhook_secret,
        "webhook_call_started": campaign.webhook_call_started,
        "webhook_campaign_events": campaign.webhook_campaign_events,
        "voice": campaign.voice,
        "speech_rate": campaign.speech_rate,
        "audio_seconds": campaign.audio_seconds if campaign.audio_file else None,
        "audio_name": campaign.audio_name,
        "otp_lead_text": campaign.otp_lead_text,
        "otp_again_text": campaign.otp_again_text,
        "otp_replay_text": campaign.otp_replay_text,
        "otp_closing_text": campaign.otp_closing_text,
        "otp_pause_ms": campaign.otp_pause_ms,
        "otp_recorded_digits": campaign.otp_recorded_digits,
        "created_at": format_called_at(campaign.created_at),
        "started_at": format_called_at(campaign.started_at),
        "scheduled_start_at": format_called_at(campaign.scheduled_start_at),
        "completed_at": format_called_at(campaign.completed_at),
        "archived_at": format_called_at(campaign.archived_at),
        # How its calls go out: simulated by the sandbox, or over which trunk, in which state.
        **campaign_telephony(campaign),
    }
    if progress:
        counts = campaign_progress(campaign.pk)
        data.update(_activity_fields(campaign, counts))
        data["progress"] = counts
    return data


def invalid(field: str, message: str) -> HttpResponse:
    return fail("400", message, 400, field=field)


def _settings_from(body: Any) -> dict[str, Any]:
    """The settings in the body; CampaignError for a non-object or an unknown field."""
    if not isinstance(body, dict):
        raise CampaignError("body", MSG_BAD_BODY)
    raw = {k: v for k, v in body.items() if k != "access_token"}
    for name in raw:
        if name not in SETTABLE:
            raise CampaignError(name, f"unknown field {name}")
    return raw


@router.get(
    "/campaigns",
    response={200: s.CampaignListSuccess, **_FAIL},
    openapi_extra={"parameters": [TOKEN_PARAM, *PAGING_PARAMS]},
    summary="List the account's campaigns, newest first (limit default 50, cap 1000)",
)
def list_campaigns(request: HttpRequest) -> HttpResponse:
    user = account_of(request)
    limit, offset = list_window(request.GET)
    campaigns = campaigns_of(user.pk)
    page = [campaign_object(c) for c in campaigns[offset : offset + limit]]
    return ok(results={"limit": limit, "total": campaigns.count(), "campaigns": page})


@router.post(
    "/campaigns",
    response={200: s.CampaignSuccess, **_FAIL},
    openapi_extra={**_TOKEN, "requestBody": json_request(s.settings_schema(create=True))},
    summary="Create a campaign (stopped; `name` and `campaign_type` required)",
)
def create_campaign(request: HttpRequest) -> HttpResponse:
    body = json_body(request)
    user = account_of(request, body)
    try:
        raw = _settings_from(body)
        campaign = do_create_campaign(user.pk, raw)
    except CampaignError as exc:
        return invalid(exc.field, exc.message)
    return ok(results=campaign_object(campaign, progress=True))


@router.get(
    "/campaigns/{campaign_id}",
    response={200: s.CampaignSuccess, **_FAIL},
    openapi_extra=_TOKEN,
    summary="A campaign's settings, status and progress counts",
)
def read_campaign(request: HttpRequest, campaign_id: str) -> HttpResponse:
    _, campaign = account_and_campaign(request, campaign_id)
    return ok(results=campaign_object(campaign, progress=True))


@router.patch(
    "/campaigns/{campaign_id}",
    response={200: s.CampaignSuccess, **_FAIL},
    openapi_extra={**_TOKEN, "requestBody": json_request(s.settings_schema(create=False))},
    summary="Change some settings (fields left out keep their value)",
)
def update_campaign(request: HttpRequest, campaign_id: str) -> HttpResponse:
    body = json_body(request)
    _, campaign = account_and_campaign(request, campaign_id, body)
    try:
        raw = _settings_from(body)
        if raw.get("campaign_type") not in (None, campaign.campaign_type):
            raise CampaignError("campaign_type", "campaign_type cannot change after creation")
        # Validate everything before writing anything: bad input changes nothing.
        with transaction.atomic():
            campaign = do_update_campaign(campaign, raw)
    except CampaignError as exc:
        return invalid(exc.field, exc.message)
    return ok(results=campaign_object(campaign, progress=True))


def _transition(request: HttpRequest, campaign_id: str, action) -> HttpResponse:
    body = json_body(request)
    _, campaign = account_and_campaign(request, campaign_id, body)
    return ok(results=campaign_object(action(campaign), progress=True))


@router.post(
    "/campaigns/{campaign_id}/start",
    response={200: s.CampaignSuccess, **_FAIL},
    openapi_extra=_TOKEN,
    summary="Start (or resume) dialling the campaign's queued contacts",
)
def start_campaign(request: HttpRequest, campaign_id: str) -> HttpResponse:
    return _transition(request, campaign_id, do_start_campaign)


@router.post(
    "/campaigns/{campaign_id}/stop",
    response={200: s.CampaignSuccess, **_FAIL},
    openapi_extra=_TOKEN,
    summary="Stop placing new calls (calls in progress finish normally)",
)
def stop_campaign(request: HttpRequest, campaign_id: str) -> HttpResponse:
    return _transition(request, campaign_id, do_stop_campaign)


@router.get(
    "/campaigns/{campaign_id}/progress",
    response={200: s.ProgressSuccess, **_FAIL},
    openapi_extra=_TOKEN,
    summary="Live contact counts: queued, in_progress, answered, failed, total",
)
def progress(request: HttpRequest, campaign_id: str) -> HttpResponse:
    _, campaign = account_and_campaign(request, campaign_id)
    counts = campaign_progress(campaign.pk)
    return ok(
        results={
            "campaign_id": campaign.pk,
            "status": campaign.status,
            **_activity_fields(campaign, counts),
            **counts,
        }
    )


@router.post(
    "/campaigns/{campaign_id}/webhook-secret",
    response={200: s.WebhookSecretSuccess, **_FAIL},
    openapi_extra=_TOKEN,
    summary="Replace the campaign's webhook signing secret with a new one",
)
def rotate_webhook_secret(request: HttpRequest, campaign_id: str) -> HttpResponse:
    body = json_body(request)
    _, campaign = account_and_campaign(request, campaign_id, body)
    return ok(results={"webhook_secret": do_rotate_webhook_secret(campaign)})


@router.post(
    "/campaigns/{campaign_id}/schedule",
    response={200: s.CampaignSuccess, **_FAIL},
    openapi_extra={**_TOKEN, "requestBody": body_schema(s.ScheduleIn)},
    summary="Start the campaign later: `start_at` is Vietnam time or epoch ms",
)
def schedule_campaign(request: HttpRequest, campaign_id: str) -> HttpResponse:
    body = json_body(request)
    _, campaign = account_and_campaign(request, campaign_id, body)
    raw = body.get("start_at") if isinstance(body, dict) else None
    start_at = parse_vietnam_time(raw)
    if start_at is None:
        return invalid("start_at", "start_at must be YYYY-MM-DD HH:MM:SS or epoch milliseconds")
    try:
        do_schedule_campaign(campaign, start_at)
    except CampaignError as exc:
        return invalid(exc.field, exc.message)
    return ok(results=campaign_object(campaign, progress=True))


@router.post(
    "/campaigns/{campaign_id}/archive",
    response={200: s.CampaignSuccess, **_FAIL},
    openapi_extra=_TOKEN,
    summary="Archive the campaign (no more calls; results kept)",
)
def archive_campaign(request: HttpRequest, campaign_id: str) -> HttpResponse:
    return _transition(request, campaign_id, do_archive_campaign)


@router.post(
    "/campaigns/{campaign_id}/restore",
    response={200: s.CampaignSuccess, **_FAIL},
    openapi_extra=_TOKEN,
    summary="Bring an archived campaign back (stopped, or draft if it never ran)",
)
def restore_campaign(request: HttpRequest, campaign_id: str) -> HttpResponse:
    return _transition(request, campaign_id, do_restore_campaign)


@router.post(
    "/campaigns/{campaign_id}/duplicate",
    response={200: s.CampaignSuccess, **_FAIL},
    openapi_extra={**_TOKEN, "requestBody": body_schema(s.DuplicateIn)},
    summary="A new draft with the same settings and no contacts",
)
def duplicate_campaign(request: HttpRequest, campaign_id: str) -> HttpResponse:
    body = json_body(request)
    _, campaign = account_and_campaign(request, campaign_id, body)
    name = body.get("name") if isinstance(body, dict) else None
    if name is not None and not isinstance(name, str):
        return invalid("name", "name must be a string")
    copy = do_duplicate_campaign(campaign, name or f"{campaign.name} (copy)")
    return ok(results=campaign_object(copy, progress=True))


@router.delete(
    "/campaigns/{campaign_id}",
    response={200: s.DeletedOut, **_FAIL},
    openapi_extra=_TOKEN,
    summary="Delete a campaign that has no contacts (else 400: archive it)",
)
def delete_campaign(request: HttpRequest, campaign_id: str) -> HttpResponse:
    body = json_body(request)
    _, campaign = account_and_campaign(request, campaign_id, body)
    try:
        do_delete_campaign(campaign)
    except CampaignError as exc:
        return invalid(exc.field, exc.message)
    return ok(message="campaign deleted")
