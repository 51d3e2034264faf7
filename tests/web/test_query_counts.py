"""The campaign list and a campaign's pages cost a fixed number of queries: the count does
not grow with the number of campaigns on the page or of calls in the campaign."""

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aicall.calls.models import Call
from aicall.calls.services import import_contacts
from aicall.campaigns.services import do_create_campaign, do_stop_campaign
from tests.web.helpers import finish


def _campaign(user, index: int, contacts: int = 1):
    campaign = do_create_campaign(
        user.pk,
        {"name": f"c{index}", "campaign_type": "ivr", "calling_hours": "00:00-24:00"},
        start=True,
    )
    import_contacts(
        campaign, [{"phone_number": f"0901{index:03d}{n:03d}"} for n in range(contacts)]
    )
    return campaign


def _queries(client, url: str) -> int:
    cache.clear()  # the dashboards' 3 s cache would hide their queries the second time
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200, url
    return len(captured)


def test_the_campaign_list_costs_the_same_for_one_campaign_or_many(
    web, user, django_assert_num_queries
):
    first = _campaign(user, 0)
    one = {url: _queries(web, url) for url in ("/campaigns/", "/campaigns/rows/")}
    # more campaigns, in other states: waiting to retry, stopped, draft, finished calls
    for index in range(1, 9):
        campaign = _campaign(user, index, contacts=3)
        if index % 3 == 0:
            do_stop_campaign(campaign)
        if index % 4 == 0:
            finish(
                Call.objects.filter(campaign=campaign).first(), state=40, cause="NORMAL CLEARING"
            )
    do_create_campaign(user.pk, {"name": "draft", "campaign_type": "voice_otp"})
    assert first.pk
    for url, count in one.items():
        cache.clear()
        with django_assert_num_queries(count):
            response = web.get(url)
        assert response.text.count('class="badge') >= 10, url  # every campaign is shown


def test_a_campaigns_pages_cost_the_same_for_one_call_or_many(web, user, django_assert_num_queries):
    campaign = _campaign(user, 0, contacts=3)
    # one call of each kind, so that the larger campaign takes the same code paths
    answered, failed, _queued = Call.objects.filter(campaign=campaign).order_by("id")
    finish(answered, state=40, cause="NORMAL CLEARING", key_press="1 (2)")
    finish(failed, state=50, cause="USER BUSY")
    pk = campaign.pk
    urls = [
        f"/campaigns/{pk}/",
        f"/campaigns/{pk}/progress/",
        f"/campaigns/{pk}/calls/",
        f"/campaigns/{pk}/charts/",
        "/calls/",
    ]
    one = {url: _queries(web, url) for url in urls}
    import_contacts(
        campaign, [{"phone_number": f"0902000{n:03d}", "ma": str(n)} for n in range(40)]
    )
    queued = Call.objects.filter(campaign=campaign, status="queued").order_by("id")
    for index, call in enumerate(queued[:20]):
        finish(call, state=40 if index % 2 else 50, cause="NO ANSWER", key_press="2 (1)")
    for url, count in one.items():
        cache.clear()
        with django_assert_num_queries(count, info=url):
            assert web.get(url).status_code == 200
