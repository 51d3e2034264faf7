"""Reads of calls for export, call-log and the website, always scoped to one account."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import Count, QuerySet
from django.utils import timezone

from aicall.calls.models import (
    Call,
    CallState,
    CallStatus,
    FinishedCallCount,
    finished_only,
)
from aicall.lib.phones import to_national
from aicall.lib.vntime import format_called_at, from_epoch_ms

EXPORT_DEFAULT_LIMIT = 10
# The columns export reads, in ExportRow's order.
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


class ExportRow(NamedTuple):
    """What a call object is made of: a stored call's `_EXPORT_FIELDS`, or a webhook event's
    `CallEvent.row`."""

    call_id: int
    caller_id: str
    phone_e164: str
    called_at: datetime | None
    duration_seconds: int
    key_press: str
    note: str
    state: int | None


class CallHistory(NamedTuple):
    """Whose finished calls a read lists: an account's, or one campaign's of it, and when that
    history starts (a page's default start)."""

    owner_id: int
    campaign_id: int | None
    started_at: datetime


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
    """Finished calls (state 40/50) placed in [start, end], oldest first, ties by id.

    With a campaign, the caller has checked it belongs to `owner_id` (campaign_for_owner);
    filtering on one column only lets the database use one partial index for the range.
    """
    if campaign_id is not None:
        calls = Call.objects.filter(campaign_id=campaign_id)
    else:
        calls = Call.objects.filter(owner_id=owner_id)
    in_range = calls.filter(called_at__gte=page.start, called_at__lte=page.end)
    return finished_only(in_range).order_by("called_at", "id")


# The counter row and the first and last finished call's time (two seeks in the export or
# call-log index), in one statement: the ORM spent ~0.5 ms building the three queries this
# replaces, on every export and call-log page. SQLite only, as the counters are.
_WHOLE_HISTORY_SQL = """
SELECT finished,
  (SELECT called_at FROM {calls} WHERE {column} = %s AND status = '{done}'
   ORDER BY called_at, id LIMIT 1),
  (SELECT called_at FROM {calls} WHERE {column} = %s AND status = '{done}'
   ORDER BY called_at DESC, id DESC LIMIT 1)
FROM {counters} WHERE scope = %s AND scope_id = %s
"""
_WHOLE_HISTORY = {
    scope: _WHOLE_HISTORY_SQL.format(
        calls=f'"{Call._meta.db_table}"',
        counters=f'"{FinishedCallCount._meta.db_table}"',
        column=column,
        done=CallStatus.DONE.value,
    )
    for scope, column in (("campaign", "campaign_id"), ("owner", "owner_id"))
}


def count_if_whole_history(page: Page, *, owner_id: int, campaign_id: int | None) -> int | None:
    """The total from the trigger-kept counter when the page's range spans every finished call.

    If the range covers the first and the last finished call of the campaign (or account),
    the counter is the answer. SQLite only (migration calls/0004); None means: count the
    range.
    """
    if connection.vendor != "sqlite":
        return None
    scope, scope_id = ("campaign", campaign_id) if campaign_id is not None else ("owner", owner_id)
    with connection.cursor() as cursor:
        cursor.execute(_WHOLE_HISTORY[scope], [scope_id, scope_id, scope, scope_id])
        found = cursor.fetchone()
    if found is None or found[1] is None:
        return 0  # no finished call (the triggers add the row with the first)
    finished, first_at, last_at = found
    if page.start > _stored_utc(first_at) or page.end < _stored_utc(last_at):
        return None
    return finished


def _stored_utc(value: datetime | str) -> datetime:
    """A datetime as Django stores it in SQLite (naive UTC; the driver parses the column's
    declared type, text is the fallback) -> an aware datetime."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def call_object(row: ExportRow) -> dict[str, Any]:
    """One call as the contract's export shows it."""
    return {
        "call_id": row.call_id,
        "caller_id": row.caller_id,
        "callee_id": to_national(row.phone_e164),
        "called_at": format_called_at(row.called_at),
        "duration": row.duration_seconds,
        "key_press": row.key_press,
        "note": row.note,
        "state": row.state,
    }


def export_page(
    calls: QuerySet[Call], page: Page, whole_history: int | None = None
) -> tuple[int, list[dict[str, Any]]]:
    """(total, call objects of this page).

    The page's ids come from the covering index first (a deep OFFSET then skips index
    entries, not table rows), and only those rows are read in full. A page in the second
    half is found walking the index backwards from the end, so no page costs more than
    half a walk on top of the count. The first page, which skips nothing, is read in one
    query. `whole_history` is the total when the caller knows it already (see
    `count_if_whole_history`).
    """
    total = calls.count() if whole_history is None else whole_history
    if page.offset >= total:
        return total, []
    end = min(page.offset + page.limit, total)
    if page.offset == 0:
        first = calls.values_list(*_EXPORT_FIELDS)[:end]
        return total, [call_object(ExportRow(*row)) for row in first]
    ids_by_time = calls.values_list("id", flat=True)
    if page.offset > total // 2:
        backwards = ids_by_time.reverse()[total - end : total - page.offset]
        ids = list(backwards)[::-1]
    else:
        ids = list(ids_by_time[page.offset : end])
    rows = Call.objects.filter(id__in=ids).values_list(*_EXPORT_FIELDS)
    order = {call_id: n for n, call_id in enumerate(ids)}
    by_time = sorted((ExportRow(*row) for row in rows), key=lambda r: order[r.call_id])
    return total, [call_object(row) for row in by_time]


def iter_call_objects(calls: QuerySet[Call], chunk_size: int = 2000):
    """Every call of the query as call objects, read in chunks (for CSV downloads)."""
    for row in calls.values_list(*_EXPORT_FIELDS).iterator(chunk_size=chunk_size):
        yield call_object(ExportRow(*row))


def progress_counts(calls: QuerySet[Call]) -> dict[str, int]:
    """Counts of `calls`: queued, in_progress, answered, failed, total (one grouped query)."""
    return _tally(calls.values_list("status", "state").annotate(n=Count("id")).order_by())


def campaigns_progress(campaign_ids: list[int]) -> dict[int, dict[str, int]]:
    """`campaign_progress` of each of these campaigns, in one grouped query (a page of
    campaigns costs one query, not one per campaign)."""
    rows = (
        Call.objects.filter(campaign_id__in=campaign_ids)
        .values_list("campaign_id", "status", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    grouped: dict[int, list] = {pk: [] for pk in campaign_ids}
    for campaign_id, status, state, n in rows:
        grouped[campaign_id].append((status, state, n))
    return {pk: _tally(group) for pk, group in grouped.items()}


def _tally(rows) -> dict[str, int]:
    counts = {"queued": 0, "in_progress": 0, "answered": 0, "failed": 0}
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


def campaign_progress(campaign_id: int) -> dict[str, int]:
    """Live counts of a campaign; cheap enough to poll while it runs."""
    return progress_counts(Call.objects.filter(campaign_id=campaign_id))
