"""The sender's side of the outbox in the database: lease due deliveries, read what their
POSTs need, store how each attempt went.

Claiming moves a row's `next_attempt_at` forward by a lease, in a transaction that takes
the rows with SKIP LOCKED on PostgreSQL (SQLite: the IMMEDIATE transaction's write lock),
so several senders never send the same row at once. A sender that dies mid-send leaves the
row to be claimed again when the lease runs out: delivery is at least once, and receivers
deduplicate on `webhook-id`.
"""

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from aicall.webhooks.models import DeliveryStatus, WebhookDelivery, message_id


@dataclass
class Job:
    delivery_id: int
    owner_id: int
    msg_id: str
    url: str
    secret: str
    body: bytes
    attempts: int
    deadline: datetime


@dataclass
class Result:
    job: Job
    ok: bool
    status_code: int | None
    error: str
    at: datetime


def conf(name: str) -> float:
    return float(settings.AICALL[name])


def retry_delay_seconds(attempts: int) -> float:
    """Wait after the `attempts`-th failure: doubling from the first delay up to the cap,
    with half of it random ("equal jitter") so that receivers coming back up are not hit
    by every sender's retries in the same second."""
    first, cap = conf("WEBHOOK_FIRST_RETRY_SECONDS"), conf("WEBHOOK_MAX_RETRY_SECONDS")
    delay = min(cap, first * 2 ** max(attempts - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)


def _lease() -> timedelta:
    return timedelta(seconds=2 * conf("WEBHOOK_TIMEOUT_SECONDS") + 30)


# One statement takes the due rows and moves their next attempt past the lease, so the
# write lock (all of SQLite's, for the dialer too) is held for a millisecond or two. The
# status is a literal so that SQLite uses the partial index `webhook_due`.
_LEASE_DUE = (
    "UPDATE webhooks_webhookdelivery SET next_attempt_at = %s WHERE id IN ("
    "SELECT id FROM webhooks_webhookdelivery WHERE status = 'pending' "
    "AND next_attempt_at <= %s{busy} ORDER BY next_attempt_at, id LIMIT %s{skip_locked}) "
    "RETURNING id"
)
# Accounts already at their share of the sender wait for their next turn.
_NOT_BUSY = (
    " AND campaign_id NOT IN (SELECT id FROM campaigns_campaign WHERE owner_id IN ({owners}))"
)


def lease_due(limit: int, busy_owners: Iterable[int] = ()) -> list[int]:
    """Ids of up to `limit` due deliveries, now leased to this sender (module docstring).

    Deliveries of `busy_owners` (accounts with all their slots in flight) are left due.
    """
    now = timezone.now()
    adapt = connection.ops.adapt_datetimefield_value
    skip_locked = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    owners = sorted(int(o) for o in busy_owners)
    busy = _NOT_BUSY.format(owners=", ".join(["%s"] * len(owners))) if owners else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            _LEASE_DUE.format(skip_locked=skip_locked, busy=busy),
            [adapt(now + _lease()), adapt(now), *owners, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def release(jobs: list[Job]) -> None:
    """Hand leased deliveries back, due now and with no attempt counted: their account
    had no free slot in this sender."""
    if jobs:
        WebhookDelivery.objects.filter(
            pk__in=[job.delivery_id for job in jobs], status=DeliveryStatus.PENDING
        ).update(next_attempt_at=timezone.now())


def jobs_for(ids: list[int]) -> list[Job]:
    """What it takes to send the leased deliveries `ids`, read outside any write lock.

    The payload is read as the stored JSON text: it is the body, with no decoding and
    encoding again.
    """
    if not ids:
        return []
    window = timedelta(seconds=conf("WEBHOOK_RETRY_WINDOW_SECONDS"))
    rows = (
        WebhookDelivery.objects.filter(pk__in=ids)
        .annotate(body=Cast("payload", TextField()))
        .values_list(
            "id",
            "body",
            "attempts",
            "created_at",
            "retry_until",
            "campaign__webhook_url",
            "campaign__webhook_secret",
            "campaign__owner_id",
        )
        .order_by("id")
    )
    return [
        Job(
            delivery_id=pk,
            owner_id=owner_id,
            msg_id=message_id(pk),
            url=url,
            secret=secret,
            body=body.encode(),
            attempts=attempts,
            deadline=retry_until or created_at + window,
        )
        for pk, body, attempts, created_at, retry_until, url, secret, owner_id in rows
    ]


def claim_due(limit: int) -> list[Job]:
    """Take up to `limit` due deliveries for this sender (see the module docstring)."""
    return jobs_for(lease_due(limit))


def close_connection() -> None:
    """Close this thread's database connection (the sender's DB thread, when it exits)."""
    connection.close()


def record_results(results: list[Result]) -> None:
    """Store how each attempt went: delivered, retry later, or given up after the day.

    Successes are the bulk and share their fields, so they take one UPDATE per status code;
    failures are rare and each gets its own next attempt time.
    """
    delivered: dict[int, list[int]] = defaultdict(list)
    for result in results:
        if result.ok:
            delivered[result.status_code or 200].append(result.job.delivery_id)
    now = max((r.at for r in results), default=timezone.now())
    with transaction.atomic():
        for status_code, ids in delivered.items():
            # Only rows still pending are updated: a resend in between starts afresh.
            WebhookDelivery.objects.filter(pk__in=ids, status=DeliveryStatus.PENDING).update(
                status=DeliveryStatus.DELIVERED,
                delivered_at=now,
                attempts=F("attempts") + 1,
                last_status_code=status_code,
                last_error="",
                last_attempt_at=now,
            )
        for result in results:
            if result.ok:
                continue
            job = result.job
            fields: dict = {
                "attempts": F("attempts") + 1,
                "last_status_code": result.status_code,
                "last_error": result.error[:300],
                "last_attempt_at": result.at,
            }
            if result.at >= job.deadline:
                fields["status"] = DeliveryStatus.FAILED
            else:
                wait = timedelta(seconds=retry_delay_seconds(job.attempts + 1))
                fields["next_attempt_at"] = min(result.at + wait, job.deadline)
            WebhookDelivery.objects.filter(
                pk=job.delivery_id, status=DeliveryStatus.PENDING
            ).update(**fields)


def exchange(
    results: list[Result],
    limit: int,
    released: list[Job] | None = None,
    busy_owners: Iterable[int] = (),
) -> list[Job]:
    """Store `results`, hand back `released` and lease up to `limit` due rows (none of
    `busy_owners`) in one short write transaction, then read what the leased rows need."""
    with transaction.atomic():
        if results:
            record_results(results)
        if released:
            release(released)
        ids = lease_due(limit, busy_owners) if limit > 0 else []
    return jobs_for(ids)
