"""Figures for the dashboards: counts, calls over time, hangup causes, keys pressed.

Every function takes the account id and, optionally, one of its campaigns: the account id
is always in the WHERE clause, so a dashboard can only ever count its own calls.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, QuerySet
from django.db.models.functions import Substr, TruncDay, TruncHour, TruncMinute, TruncSecond
from django.utils import timezone

from aicall.calls.models import FINISHED, Call, CallState
from aicall.calls.queries import progress_counts

MAX_BUCKETS = 60


def calls_of(owner_id: int, campaign_id: int | None = None) -> QuerySet[Call]:
    calls = Call.objects.filter(owner_id=owner_id)
    return calls if campaign_id is None else calls.filter(campaign_id=campaign_id)


def progress(calls: QuerySet[Call]) -> dict[str, int]:
    counts = progress_counts(calls)
    finished = counts["answered"] + counts["failed"]
    counts["finished"] = finished
    counts["answer_rate"] = round(100 * counts["answered"] / finished) if finished else 0
    return counts


@dataclass
class Bucket:
    start: datetime
    answered: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.answered + self.failed


_UNITS = [
    (timedelta(seconds=60), timedelta(seconds=1), TruncSecond, "%H:%M:%S"),
    (timedelta(hours=1), timedelta(minutes=1), TruncMinute, "%H:%M"),
    (timedelta(days=3), timedelta(hours=1), TruncHour, "%d/%m %Hh"),
    (None, timedelta(days=1), TruncDay, "%d/%m"),
]


def over_time(calls: QuerySet[Call]) -> tuple[list[Bucket], str]:
    """Finished calls per minute, hour or day (whichever gives a readable number of bars)."""
    finished = calls.filter(FINISHED, called_at__isnull=False)
    span = finished.aggregate(first=Min("called_at"), last=Max("called_at"))
    if span["first"] is None:
        return [], "%H:%M"
    first, last = span["first"], span["last"]
    _limit, step, trunc, label = next(
        unit for unit in _UNITS if unit[0] is None or last - first <= unit[0]
    )
    # Only the newest MAX_BUCKETS steps are drawn, so the query reads only those rows.
    floor = _truncate(last, step) - step * (MAX_BUCKETS - 1)
    rows = (
        finished.filter(called_at__gte=floor)
        .annotate(bucket=trunc("called_at"))
        .values_list("bucket", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    buckets: dict[datetime, Bucket] = {}
    for bucket, state, n in rows:
        entry = buckets.setdefault(bucket, Bucket(bucket))
        if state == CallState.ANSWERED:
            entry.answered += n
        else:
            entry.failed += n
    if not buckets:
        return [], label
    current, end = min(buckets), max(buckets)
    filled: list[Bucket] = []
    while current <= end and len(filled) < MAX_BUCKETS * 2:
        filled.append(buckets.get(current, Bucket(current)))
        current = _next(current, step)
    return filled[-MAX_BUCKETS:], label


def _truncate(moment: datetime, step: timedelta) -> datetime:
    local = timezone.localtime(moment)
    if step == timedelta(seconds=1):
        return local.replace(microsecond=0)
    if step == timedelta(minutes=1):
        return local.replace(second=0, microsecond=0)
    if step == timedelta(hours=1):
        return local.replace(minute=0, second=0, microsecond=0)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _next(moment: datetime, step: timedelta) -> datetime:
    # Steps are added in local wall time: Vietnam has no daylight saving, so a day is 24 h.
    return timezone.localtime(moment) + step


def hangup_causes(calls: QuerySet[Call], top: int = 8) -> list[tuple[str, int]]:
    rows = (
        calls.filter(FINISHED)
        .values_list("hangup_cause")
        .annotate(n=Count("id"))
        .order_by("-n", "hangup_cause")
    )
    return [(cause or "—", n) for cause, n in rows[:top]]


def first_keys(calls: QuerySet[Call]) -> list[tuple[str, int]]:
    """How many answered calls had each digit as the first key pressed ("" = none)."""
    rows = (
        calls.filter(state=CallState.ANSWERED)
        .annotate(first=Substr("key_press", 1, 1))
        .values_list("first")
        .annotate(n=Count("id"))
        .order_by()
    )
    order = "1234567890*#"
    found = sorted(
        ((key or "", n) for key, n in rows), key=lambda r: (r[0] == "", order.find(r[0]))
    )
    return found


def distinct_causes(calls: QuerySet[Call]) -> list[str]:
    return list(
        calls.filter(FINISHED)
        .exclude(hangup_cause="")
        .values_list("hangup_cause", flat=True)
        .distinct()
        .order_by("hangup_cause")[:50]
    )
