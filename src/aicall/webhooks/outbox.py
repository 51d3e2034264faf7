"""The dialer's side of webhooks: record events in the outbox, in the caller's transaction."""

from collections.abc import Iterable

import orjson
from django.db import connection
from django.utils import timezone

from aicall.calls.models import Call
from aicall.calls.queries import call_object
from aicall.campaigns.models import Campaign
from aicall.webhooks.models import DeliveryStatus, WebhookDelivery

CALL_STARTED = "call.started"
CALL_FINISHED = "call.finished"


def event_payload(call: Call, event: str, state: int | None = None) -> dict:
    """`{"event", "data": {<export call object>, campaign_id, attempt}}` (see api.md)."""
    data = call_object(
        (
            call.pk,
            call.caller_id,
            call.phone_e164,
            call.called_at,
            call.duration_seconds,
            call.key_press,
            call.hangup_cause,
            state if state is not None else call.state,
        )
    )
    data["campaign_id"] = call.campaign_id
    data["attempt"] = call.attempt_count
    return {"event": event, "data": data}


def enqueue_call_events(campaign: Campaign, calls: Iterable[Call], event: str) -> int:
    """Queue one delivery per call if the campaign has a webhook; returns how many.

    Call it inside the transaction that stores the calls' new state. `call.started`
    is only sent when the campaign asked for it (`webhook_call_started`).

    This runs on the dialer's hot path, so the rows go in with one executemany of
    orjson-encoded payloads rather than through model instances (~8x cheaper a row).
    """
    if not campaign.webhook_url:
        return 0
    if event == CALL_STARTED and not campaign.webhook_call_started:
        return 0
    state = 20 if event == CALL_STARTED else None
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    pending = DeliveryStatus.PENDING.value
    rows = [
        (
            campaign.pk,
            call.pk,
            event,
            orjson.dumps(event_payload(call, event, state)).decode(),
            pending,
            now,
            now,
        )
        for call in calls
    ]
    if not rows:
        return 0
    payload = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {WebhookDelivery._meta.db_table} "  # noqa: S608
            "(campaign_id, call_id, event, payload, status, attempts, next_attempt_at, "
            f"last_error, created_at) VALUES (%s, %s, %s, {payload}, %s, 0, %s, '', %s)",
            rows,
        )
    return len(rows)
