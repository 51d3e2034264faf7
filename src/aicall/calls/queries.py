"""Reads of calls for export, call-log and the website, always scoped to one account."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone

from aicall.calls.models import FINISHED, Call, CallState, CallStatus
from aicall.lib.phones import to_national
from aicall.lib.vntime import format_called_at, from_epoch_ms

EXPORT_DEFAULT_LIMIT = 10
_EXPORT_FIELDS = (
    "id",
    "caller_id",
    "phone_e164",
    "called_at",
    "duration_seconds",
    "key_press",
    "hangup_cause",
    "state",
)


@dataclass
class Page:
    """What export and call-log were asked for, with bad numbers replaced by the defaults."""

    start: datetime
    end: datetime
    limit: int
    offset: int


def _int_or(value: object, default: int, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    return min(max(number, low), high) if number >= low else default


def page_from_query(params: Any, default_start: datetime) -> Page:
    cap = int(settings.AICALL["EXPORT_LIMIT_CAP"])
    return Page(
        start=from_epoch_ms(params.get("start_time")) or default_start,
        end=from_epoch_ms(params.get("end_time")) or timezone.now(),
        limit=_int_or(params.get("limit"), EXPORT_DEFAULT_LIMIT, 1, cap),
        offset=_int_or(params.get("offset"), 0, 0, 2**62),
    )


def finished_calls(*, owner_id: int, campaign_id: int | None, page: Page) -> QuerySet[Call]:
    """Finished calls (state 40/50) placed in [start, end], oldest first, ties by id."""
    calls = Call.objects.filter(owner_id=owner_id)
    if campaign_id is not None:
        calls = calls.filter(campaign_id=campaign_id)
    return calls.filter(FINISHED, called_at__gte=page.start, called_at__lte=page.end).order_by(
        "called_at", "id"
    )


def call_object(row: tuple) -> dict[str, Any]:
    """One call as the contract's export shows it, from a row of `_EXPORT_FIELDS`."""
    call_id, caller_id, phone, called_at, duration, key_press, note, state = row
    return {
        "call_id": call_id,
        "caller_id": caller_id,
        "callee_id": to_national(phone),
        "called_at": format_called_at(called_at),
        "duration": duration,
        "key_press": key_press,
        "note": note,
        "state": state,
    }


def export_page(calls: QuerySet[Call], page: Page) -> tuple[int, list[dict[str, Any]]]:
    """(total, call objects of this page).

    The page's ids come from the covering index first (a deep OFFSET then skips index
    entries, not table rows), and only those rows are read in full.
    """
    total = calls.count()
    if page.offset >= total:
        return total, []
    ids = list(calls.values_list("id", flat=True)[page.offset : page.offset + page.limit])
    rows = Call.objects.filter(id__in=ids).values_list(*_EXPORT_FIELDS)
    order = {call_id: n for n, call_id in enumerate(ids)}
    return total, [call_object(row) for row in sorted(rows, key=lambda r: order[r[0]])]


def iter_call_objects(calls: QuerySet[Call], chunk_size: int = 2000):
    """Every call of the query as call objects, read in chunks (for CSV downloads)."""
    for row in calls.values_list(*_EXPORT_FIELDS).iterator(chunk_size=chunk_size):
        yield call_object(row)


def campaign_progress(campaign_id: int) -> dict[str, int]:
    """Live counts of a campaign: queued, in_progress, answered, failed, total.

    One grouped query over the (campaign, status) index; cheap enough to poll while it runs.
    """
    counts = {"queued": 0, "in_progress": 0, "answered": 0, "failed": 0}
    rows = (
        Call.objects.filter(campaign_id=campaign_id)
        .values_list("status", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    for status, state, n in rows:
        if status == CallStatus.QUEUED:
            counts["queued"] += n
        elif status == CallStatus.DIALING:
            counts["in_progress"] += n
        elif state == CallState.ANSWERED:
            counts["answered"] += n
        else:
            counts["failed"] += n
    counts["total"] = sum(counts.values())
    return counts
