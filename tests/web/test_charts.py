from datetime import timedelta

from django.utils import timezone

from aicall.calls.models import Call
from aicall.calls.services import import_contacts
from aicall.web import charts, stats
from tests.web.helpers import finish


def test_nice_ceiling():
    assert [charts.nice_ceiling(n) for n in (0, 1, 3, 7, 11, 48, 101)] == [1, 1, 5, 10, 20, 50, 200]


def test_over_time_picks_a_readable_unit_and_fills_gaps(ivr_campaign):
    import_contacts(ivr_campaign, [{"phone_number": f"09010000{n:02d}"} for n in range(4)])
    calls = list(Call.objects.filter(campaign=ivr_campaign).order_by("id"))
    start = timezone.now().replace(minute=10, second=0, microsecond=0) - timedelta(hours=2)
    finish(calls[0], state=40, cause="NORMAL CLEARING", called_at=start)
    finish(calls[1], state=50, cause="USER BUSY", called_at=start + timedelta(seconds=20))
    finish(calls[2], state=40, cause="NORMAL CLEARING", called_at=start + timedelta(minutes=3))
    buckets, label = stats.over_time(stats.calls_of(ivr_campaign.owner_id, ivr_campaign.pk))
    assert label == "%H:%M"
    assert [(b.answered, b.failed) for b in buckets] == [(1, 1), (0, 0), (0, 0), (1, 0)]
    finish(calls[3], state=50, cause="NO ANSWER", called_at=start + timedelta(hours=2))
    buckets, label = stats.over_time(stats.calls_of(ivr_campaign.owner_id, ivr_campaign.pk))
    assert label == "%d/%m %Hh" and len(buckets) == 3
    assert sum(b.total for b in buckets) == 4
    drawing = charts.bar_chart(buckets, label)
    tallest = max(drawing["bars"], key=lambda bar: bar.answered_h + bar.failed_h)
    assert tallest.answered_h + tallest.failed_h > 0
    assert all(bar.width <= charts.MAX_BAR_WIDTH for bar in drawing["bars"])


def test_other_accounts_calls_are_not_counted(ivr_campaign, other_user):
    import_contacts(ivr_campaign, [{"phone_number": "0901234567"}])
    finish(Call.objects.get(), state=40, cause="NORMAL CLEARING")
    assert stats.progress(stats.calls_of(other_user.pk))["total"] == 0
    assert stats.progress(stats.calls_of(ivr_campaign.owner_id))["answered"] == 1
