"""Another account's ids give 404 on every page of the website, swept from the URL
resolver rather than from a list kept by hand: a new page that takes an id is visited
here the day it is added (and the sweep fails on an id it does not know how to fill)."""

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from aicall.calls.models import Call
from aicall.calls.test_calls import do_place_test_call
from aicall.campaigns.models import Campaign
from aicall.webhooks.models import WebhookDelivery
from tests.web.helpers import csv_file, upload
from tests.web.test_recordings import _recorded_call

NAMESPACES = ("web", "webhooks")
# Parameters that name an account's object; a pattern with none of them (e.g.
# digits/<digit>.wav) only ever reaches the signed-in account's own data.
IDS = {"campaign_id", "call_id", "token", "delivery_id", "audio_id"}
# Parameters that pick a variant, not an object.
VARIANTS = {"fmt": "csv", "digit": "1"}
# The owner gets 404 too: nothing stored to send (no audio uploaded).
OWNER_MAY_404 = {"web:campaign_audio", "web:campaign_menu_audio"}


def web_patterns() -> list[tuple[str, URLPattern]]:
    found = []

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, entry.namespace or namespace)
            elif namespace in NAMESPACES and entry.name:
                found.append((f"{namespace}:{entry.name}", entry))

    walk(get_resolver().url_patterns, None)
    return found


def _owners_objects(web, campaign, settings, tmp_path) -> dict[str, dict[str, object]]:
    settings.MEDIA_ROOT = tmp_path
    mapping_url = upload(web, campaign, csv_file([["phone_number"], ["0901234567"]]))
    web.post(mapping_url, {"col_0": "phone_number"})
    token = mapping_url.rstrip("/").rsplit("/", 1)[-1]
    call = _recorded_call(campaign, tmp_path)
    test_call = do_place_test_call(campaign, {"phone_number": "0901234569"})
    delivery = WebhookDelivery.objects.create(
        campaign=campaign, call=call, event="call.finished", payload={}
    )
    default = {"campaign_id": campaign.pk, "call_id": call.pk, "token": token, "audio_id": "a1"}
    return {
        "default": {**default, "delivery_id": delivery.pk},
        "web:test_call_result": {**default, "call_id": test_call.pk},
    }


def test_every_page_taking_an_id_gives_another_account_404(
    web, other_web, ivr_campaign, settings, tmp_path
):
    objects = _owners_objects(web, ivr_campaign, settings, tmp_path)
    calls_before, campaigns_before = Call.objects.count(), Campaign.objects.count()
    swept = []
    for name, entry in web_patterns():
        params = set(entry.pattern.converters)
        unknown = params - IDS - set(VARIANTS)
        assert not unknown, f"{name}: the sweep does not know how to fill {unknown}"
        if not params & IDS:
            continue
        values = {**objects["default"], **objects.get(name, {}), **VARIANTS}
        url = reverse(name, kwargs={key: values[key] for key in params})
        owner = {web.get(url).status_code, web.head(url).status_code}
        if name not in OWNER_MAY_404:
            assert owner - {404}, f"{name}: the owner gets 404 too ({url}), so it proves nothing"
        answers = {
            "GET": other_web.get(url).status_code,
            "POST": other_web.post(url, {"name": "hijacked", "confirm": "1"}).status_code,
        }
        # 405 (a POST-only page asked with GET) shows nothing; every other answer is 404
        assert set(answers.values()) <= {404, 405} and 404 in answers.values(), (name, answers)
        swept.append(name)
    # the sweep really went through the campaign, call, upload and webhook pages
    assert {"web:campaign", "web:call", "web:contacts_report", "webhooks:resend"} <= set(swept)
    assert len(swept) >= 25
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.name == "Reminders" and ivr_campaign.status == "draft"
    assert Campaign.objects.count() == campaigns_before
    assert Call.objects.count() == calls_before
