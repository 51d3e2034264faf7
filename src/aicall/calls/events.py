"""A call's webhook events: what `call.started` and `call.finished` say about it."""

from collections.abc import Iterable
from typing import NamedTuple

from aicall.calls.models import Call, CallState
from aicall.calls.queries import ExportRow, call_object
from aicall.campaigns.models import Campaign
from aicall.webhooks import outbox
from aicall.webhooks.outbox import CALL_STARTED, wants_event


class CallEvent(NamedTuple):
    """What one event says about a call: the export's call object, and which attempt."""

    row: ExportRow
    attempt: int
    # Placed by the sandbox: the payload says "sandbox": true (an extension field), so a
    # simulated call is never mistaken for a real one.
    sandbox: bool = False


def event_payload(call: CallEvent, event: str, campaign_id: int) -> dict:
    """`{"event", "data": {<export call object>, campaign_id, attempt}}` (see api.md)."""
    data = call_object(call.row)
    data["campaign_id"] = campaign_id
    data["attempt"] = call.attempt
    if call.sandbox:
        data["sandbox"] = True
    return {"event": event, "data": data}


def event_of(call: Call, event: str) -> CallEvent:
    """A stored call's event; call.started always says state 20 (calling)."""
    row = ExportRow(
        call.pk,
        call.caller_id,
        call.phone_e164,
        call.called_at,
        call.duration_seconds,
        call.key_press,
        call.hangup_cause,
        CallState.CALLING if event == CALL_STARTED else call.state,
    )
    return CallEvent(row, call.attempt_count, call.carrier == "sandbox")


def enqueue_call_events(campaign: Campaign, calls: Iterable[Call], event: str) -> int:
    """Queue one delivery per call if the campaign has a webhook; returns how many.

    Call it inside the transaction that stores the calls' new state. `call.started`
    is only sent when the campaign asked for it (`webhook_call_started`).
    """
    if not wants_event(campaign.webhook_url, campaign.webhook_call_started, event):
        return 0
    return enqueue_events(campaign.pk, event, [event_of(call, event) for call in calls])


def enqueue_events(campaign_id: int, event: str, calls: list[CallEvent]) -> int:
    """Queue `event` for each of `calls` of one campaign (whose webhook wants it)."""
    return outbox.enqueue_events(
        campaign_id, event, [(c.row.call_id, event_payload(c, event, campaign_id)) for c in calls]
    )
