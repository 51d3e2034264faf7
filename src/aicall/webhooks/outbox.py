"""The dialer's side of webhooks: record events in the outbox, in the caller's transaction."""

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

import orjson
from django.db import connection
from django.utils import timezone

from aicall.calls.models import Call, CallState
from aicall.calls.queries import call_object
from aicall.campaigns.models import Campaign
from aicall.lib.vntime import format_called_at
from aicall.webhooks.models import DeliveryStatus, WebhookDelivery

CALL_STARTED = "call.started"
CALL_FINISHED = "call.finished"
CAMPAIGN_STATUS = "campaign.status"


class CallEvent(NamedTuple):
    """What one event says about a call: the export's call object, and which attempt."""

    call_id: int
    caller_id: str
    phone_e164: str
    called_at: datetime | None
    duration_seconds: int
    key_press: str
    note: str
    state: int | None
    attempt: int
    # Placed by the sandbox: the payload says "sandbox": true (an extension field), so a
    # simulated call is never mistaken for a real one.
    sandbox: bool = False


def wants_event(webhook_url: str, call_started: bool, event: str) -> bool:
    """Whether a campaign with these webhook settings gets `event` at all."""
    return bool(webhook_url) and (event != CALL_STARTED or call_started)


def event_payload(call: CallEvent, event: str, campaign_id: int) -> dict:
    """`{"event", "data": {<export call object>, campaign_id, attempt}}` (see api.md)."""
    data = call_object(call[:8])
    data["campaign_id"] = campaign_id
    data["attempt"] = call.attempt
    if call.sandbox:
        data["sandbox"] = True
    return {"event": event, "data": data}


def event_of(call: Call, event: str) -> CallEvent:
    """A stored call's event; call.started always says state 20 (calling)."""
    return CallEvent(
        call.pk,
        call.caller_id,
        call.phone_e164,
        call.called_at,
        call.duration_seconds,
        call.key_press,
        call.hangup_cause,
        CallState.CALLING if event == CALL_STARTED else call.state,
        call.attempt_count,
        call.carrier == "sandbox",
    )


def enqueue_call_events(campaign: Campaign, calls: Iterable[Call], event: str) -> int:
    """Queue one delivery per call if the campaign has a webhook; returns how many.

    Call it inside the transaction that stores the calls' new state. `call.started`
    is only sent when the campaign asked for it (`webhook_call_started`).
    """
    if not wants_event(campaign.webhook_url, campaign.webhook_call_started, event):
        return 0
    return enqueue_events(campaign.pk, event, [event_of(call, event) for call in calls])


# One statement for a whole batch: the rows come from one bound JSON array,
# [[call_id, payload], ...], which the database takes apart itself.
_INSERT = (
    "INSERT INTO webhooks_webhookdelivery "
    "(campaign_id, call_id, event, payload, status, attempts, next_attempt_at, last_error, "
    "created_at) SELECT %s, {call_id}, %s, {payload}, %s, 0, %s, '', %s FROM {rows}"
)
_INSERT_SQLITE = _INSERT.format(call_id="value ->> 0", payload="value -> 1", rows="json_each(%s)")
_INSERT_POSTGRESQL = _INSERT.format(
    call_id="(e ->> 0)::bigint", payload="e -> 1", rows="jsonb_array_elements(%s::jsonb) AS e"
)


def enqueue_events(campaign_id: int, event: str, calls: list[CallEvent]) -> int:
    """Queue `event` for each of `calls` of one campaign (whose webhook wants it).

    The dialer calls this on its hot path, inside the transaction that stores the calls:
    no model instances and no per-row parameters, the payloads are encoded by orjson in
    one call and inserted with one statement (bench/webhooks.py measures what it costs).
    """
    if not calls:
        return 0
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = orjson.dumps([(c.call_id, event_payload(c, event, campaign_id)) for c in calls])
    sql = _INSERT_POSTGRESQL if connection.vendor == "postgresql" else _INSERT_SQLITE
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [campaign_id, event, DeliveryStatus.PENDING.value, now, now, rows.decode()]
        )
    return len(calls)


def enqueue_campaign_status(campaign_id: int, status: str, previous: str, at: datetime) -> bool:
    """Queue a `campaign.status` event if the campaign asked for them; True if queued.

    `{"event": "campaign.status", "data": {"campaign_id", "status", "previous_status",
    "changed_at"}}`, signed and retried like the call events. Call it in the transaction
    that changes the status.
    """
    wanted = Campaign.objects.filter(
        pk=campaign_id, webhook_campaign_events=True, test_for__isnull=True
    ).exclude(webhook_url="")
    if status == previous or not wanted.exists():
        return False
    WebhookDelivery.objects.create(
        campaign_id=campaign_id,
        call=None,
        event=CAMPAIGN_STATUS,
        payload={
            "event": CAMPAIGN_STATUS,
            "data": {
                "campaign_id": campaign_id,
                "status": status,
                "previous_status": previous,
                "changed_at": format_called_at(at),
            },
        },
    )
    return True
