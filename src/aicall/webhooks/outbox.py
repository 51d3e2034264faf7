"""The outbox: events recorded as deliveries in the caller's own transaction.

The sender (sender.py) delivers them. What an event says is built by the package that
owns its subject: calls/events.py for call events, campaigns for `campaign.status`.
"""

from datetime import datetime

import orjson
from django.db import connection
from django.utils import timezone

from aicall.lib.vntime import format_called_at
from aicall.webhooks.models import DeliveryStatus, WebhookDelivery

CALL_STARTED = "call.started"
CALL_FINISHED = "call.finished"
CAMPAIGN_STATUS = "campaign.status"


def wants_event(webhook_url: str, call_started: bool, event: str) -> bool:
    """Whether a campaign with these webhook settings gets `event` at all."""
    return bool(webhook_url) and (event != CALL_STARTED or call_started)


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


def enqueue_events(campaign_id: int, event: str, rows: list[tuple[int, dict]]) -> int:
    """Queue `event` for one campaign: one delivery per `(call_id, payload)` of `rows`.

    The dialer calls this on its hot path, inside the transaction that stores the calls:
    no model instances and no per-row parameters, the payloads are encoded by orjson in
    one call and inserted with one statement (bench/webhooks.py measures what it costs).
    """
    if not rows:
        return 0
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    encoded = orjson.dumps(rows)
    sql = _INSERT_POSTGRESQL if connection.vendor == "postgresql" else _INSERT_SQLITE
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [campaign_id, event, DeliveryStatus.PENDING.value, now, now, encoded.decode()]
        )
    return len(rows)


def enqueue_campaign_status(campaign_id: int, status: str, previous: str, at: datetime) -> bool:
    """Queue a `campaign.status` event; True if queued (False when nothing changed).

    `{"event": "campaign.status", "data": {"campaign_id", "status", "previous_status",
    "changed_at"}}`, signed and retried like the call events. The campaign decides whether
    it wants one (campaigns/webhook_settings.py); call it in the transaction that changes
    the status.
    """
    if status == previous:
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
