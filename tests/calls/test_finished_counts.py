from datetime import UTC, datetime, timedelta

from django.db import connection
from django.utils import timezone

from aicall.calls.models import Call, CallStatus, FinishedCallCount
from aicall.calls.queries import Page, count_if_whole_history, finished_calls


def _page(start, end):
    return Page(start=start, end=end, limit=10, offset=0)


def test_totals_stay_exact_through_inserts_updates_and_deletes(ivr_campaign, user):
    t0 = timezone.now() - timedelta(hours=1)
    common = {"campaign": ivr_campaign, "owner": user, "phone_as_sent": "x"}
    done = [
        Call.objects.create(
            **common,
            phone_e164=f"+8490123456{n}",
            status=CallStatus.DONE,
            state=40,
            called_at=t0 + timedelta(minutes=n),
        )
        for n in range(3)
    ]
    queued = Call.objects.create(**common, phone_e164="+84901234569")
    # The dialer settles a call with an UPDATE; a retry would move one back to queued.
    Call.objects.filter(pk=queued.pk).update(
        status=CallStatus.DONE, state=50, called_at=t0 + timedelta(minutes=5)
    )
    Call.objects.filter(pk=done[0].pk).update(status=CallStatus.QUEUED, state=None)
    done[1].delete()

    everything = _page(datetime(2000, 1, 1, tzinfo=UTC), timezone.now())
    expected = Call.objects.filter(campaign=ivr_campaign, status=CallStatus.DONE).count()
    assert expected == 2
    for scope in ({"campaign_id": ivr_campaign.pk}, {"campaign_id": None}):
        known = count_if_whole_history(everything, owner_id=user.pk, **scope)
        if connection.vendor == "sqlite":
            assert known == expected
        else:
            assert known is None  # PostgreSQL counts the index range
        calls = finished_calls(owner_id=user.pk, page=everything, **scope)
        assert calls.count() == expected

    # A range that leaves a finished call out must not use the counter.
    partial = _page(t0 + timedelta(minutes=3), timezone.now())
    assert count_if_whole_history(partial, owner_id=user.pk, campaign_id=ivr_campaign.pk) is None


def test_counters_exist_only_on_sqlite(ivr_campaign, user):
    Call.objects.create(
        campaign=ivr_campaign,
        owner=user,
        phone_e164="+84901234567",
        phone_as_sent="x",
        status=CallStatus.DONE,
        state=40,
        called_at=timezone.now(),
    )
    counters = dict(FinishedCallCount.objects.values_list("scope", "finished"))
    if connection.vendor == "sqlite":
        assert counters == {"campaign": 1, "owner": 1}
    else:
        assert counters == {}
