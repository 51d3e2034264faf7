"""The query plans export, call-log and the dialer's claim depend on, on both databases.

Each test runs the code's own queries (captured as executed) under EXPLAIN. They must read
calls_call through the named index, in the index's order (no sort step), never by a scan
of the whole table: with a million calls anything else is seconds, not milliseconds.
PostgreSQL is told to avoid sequential scans (`enable_seqscan = off`) because on the few
rows of a test it would rightly prefer them; what is checked there is that the index
matches the query (a partial index only serves a query that states its condition).
"""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aicall.calls.dialing import in_flight_by_campaign, lock_due_calls
from aicall.calls.models import Call, CallStatus
from aicall.calls.queries import Page, count_if_whole_history, export_page, finished_calls
from aicall.campaigns.models import CampaignStatus

pytestmark = pytest.mark.django_db


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(row[-1] for row in cursor.fetchall())


def _plans_of_calls_queries(run) -> list[tuple[str, str]]:
    """(sql, plan) of every query on calls_call that `run()` sends."""
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        run()
    sqls = [q["sql"] for q in captured.captured_queries if '"calls_call"' in q["sql"]]
    with transaction.atomic():
        return [(sql, _plan(sql)) for sql in sqls if sql.lstrip().upper().startswith("SELECT")]


def _full_scan(plan: str) -> bool:
    if connection.vendor == "postgresql":
        return "Seq Scan on calls_call" in plan
    return any(
        line.strip().startswith("SCAN calls_call") and "USING" not in line
        for line in plan.splitlines()
    )


def _sorts(plan: str) -> bool:
    if connection.vendor == "postgresql":
        return any(line.strip().lstrip("-> ").startswith("Sort") for line in plan.splitlines())
    return "TEMP B-TREE" in plan


def _finished(campaign, count: int = 30, *, analyze: bool = True) -> None:
    start = timezone.now() - timedelta(hours=2)
    for n in range(count):
        Call.objects.create(
            campaign=campaign,
            owner_id=campaign.owner_id,
            phone_e164=f"+8490123{n:04d}",
            phone_as_sent="x",
            status=CallStatus.DONE,
            state=40 if n % 2 else 50,
            called_at=start + timedelta(minutes=n),
        )
    for _ in range(count):  # queued calls, which the partial indexes leave out
        Call.objects.create(
            campaign=campaign, owner_id=campaign.owner_id, phone_e164="+84901", phone_as_sent="x"
        )
    if analyze:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _check(plans: list[tuple[str, str]], index: str, ordered: list[str]) -> None:
    assert plans
    for sql, plan in plans:
        assert not _full_scan(plan), f"{sql}\n{plan}"
    named = [(sql, plan) for sql, plan in plans if index in plan]
    assert named, "\n\n".join(plan for _, plan in plans)
    for sql, plan in plans:
        if any(marker in sql for marker in ordered):
            assert not _sorts(plan), f"{sql}\n{plan}"


@pytest.mark.parametrize("offset", [0, 25])  # the second half is read backwards
def test_export_reads_the_campaigns_finished_calls_by_the_export_index(ivr_campaign, offset):
    _finished(ivr_campaign)
    page = Page(
        start=timezone.now() - timedelta(days=1), end=timezone.now(), limit=3, offset=offset
    )

    def run() -> None:
        calls = finished_calls(
            owner_id=ivr_campaign.owner_id, campaign_id=ivr_campaign.pk, page=page
        )
        whole = count_if_whole_history(
            page, owner_id=ivr_campaign.owner_id, campaign_id=ivr_campaign.pk
        )
        export_page(calls, page, whole)
        export_page(calls, page)  # the count over the index too

    _check(_plans_of_calls_queries(run), "call_export", ordered=["ORDER BY"])


def test_call_log_reads_the_accounts_finished_calls_by_the_call_log_index(ivr_campaign):
    _finished(ivr_campaign)
    page = Page(start=timezone.now() - timedelta(days=1), end=timezone.now(), limit=3, offset=2)

    def run() -> None:
        calls = finished_calls(owner_id=ivr_campaign.owner_id, campaign_id=None, page=page)
        whole = count_if_whole_history(page, owner_id=ivr_campaign.owner_id, campaign_id=None)
        export_page(calls, page, whole)
        export_page(calls, page)

    _check(_plans_of_calls_queries(run), "call_log", ordered=["ORDER BY"])


def test_the_claim_takes_due_calls_in_order_from_the_claim_index(ivr_campaign):
    ivr_campaign.status = CampaignStatus.RUNNING
    ivr_campaign.save(update_fields=["status"])
    _finished(ivr_campaign)

    def run() -> None:
        lock_due_calls(ivr_campaign.pk, now=timezone.now(), created_after=None, limit=10)
        lock_due_calls(
            ivr_campaign.pk,
            now=timezone.now(),
            created_after=timezone.now() - timedelta(minutes=5),
            limit=10,
        )

    _check(_plans_of_calls_queries(run), "call_claim", ordered=["ORDER BY"])


@pytest.mark.parametrize("analyzed", [False, True])
def test_the_in_flight_count_reads_only_the_calls_in_flight(ivr_campaign, analyzed):
    """Without statistics (nothing ANALYZEs the dialer's database) SQLite read the whole
    claim index, every queued and finished call, for its campaign order; with them it
    seeks to the in-flight calls of each campaign in it (a skip-scan)."""
    _finished(ivr_campaign, analyze=analyzed)
    queued = Call.objects.filter(status=CallStatus.QUEUED).values("pk")[:3]
    Call.objects.filter(pk__in=queued).update(status=CallStatus.DIALING, claimed_by="d1")

    plans = _plans_of_calls_queries(in_flight_by_campaign)
    assert plans
    for sql, plan in plans:
        assert not _full_scan(plan), f"{sql}\n{plan}"
        if connection.vendor == "postgresql":
            assert "call_in_flight" in plan, plan
        else:
            assert "call_in_flight" in plan or plan.startswith("SEARCH"), plan
