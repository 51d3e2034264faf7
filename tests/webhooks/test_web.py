from datetime import UTC, datetime

from django.test import Client

from aicall.calls.events import enqueue_call_events
from aicall.campaigns.services import do_create_campaign
from aicall.webhooks.models import DeliveryStatus, WebhookDelivery
from aicall.webhooks.outbox import CALL_FINISHED
from aicall.webhooks.signing import new_secret
from tests.factories import finished_call


def _setup(user):
    campaign = do_create_campaign(
        user.pk,
        {
            "name": "Hooked",
            "campaign_type": "ivr",
            "webhook_url": "https://example.com/hook",
            "webhook_secret": new_secret(),
        },
    )
    called_at = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
    calls = [finished_call(campaign, f"+8490123{i:04d}", called_at) for i in range(3)]
    enqueue_call_events(campaign, calls, CALL_FINISHED)
    return campaign


def test_log_lists_deliveries_and_resend_requeues(user):
    campaign = _setup(user)
    failed = WebhookDelivery.objects.filter(campaign=campaign).first()
    WebhookDelivery.objects.filter(pk=failed.pk).update(
        status=DeliveryStatus.FAILED, attempts=9, last_status_code=503
    )
    client = Client()
    client.force_login(user)
    page = client.get(f"/campaigns/{campaign.pk}/webhooks/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-status="pending"') == 2 and html.count('data-status="failed"') == 1
    assert f"msg_{failed.pk}" in html and "HTTP 503" in html and campaign.webhook_secret in html
    only_failed = client.get(f"/campaigns/{campaign.pk}/webhooks/", {"status": "failed"})
    assert only_failed.content.decode().count("<tr data-status") == 1
    response = client.post(f"/campaigns/{campaign.pk}/webhooks/{failed.pk}/resend/")
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING and failed.retry_until is not None


def test_rotate_secret_from_the_website(user):
    campaign = _setup(user)
    client = Client()
    client.force_login(user)
    old = campaign.webhook_secret
    assert client.post(f"/campaigns/{campaign.pk}/webhooks/secret/").status_code == 302
    campaign.refresh_from_db()
    assert campaign.webhook_secret.startswith("whsec_") and campaign.webhook_secret != old


def test_other_accounts_and_anonymous_get_nothing(user, other_user):
    campaign = _setup(user)
    delivery = WebhookDelivery.objects.filter(campaign=campaign).first()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    anonymous = Client()
    response = anonymous.get(f"/campaigns/{campaign.pk}/webhooks/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    intruder = Client()
    intruder.force_login(other_user)
    assert intruder.get(f"/campaigns/{campaign.pk}/webhooks/").status_code == 404
    path = f"/campaigns/{campaign.pk}/webhooks/{delivery.pk}/resend/"
    assert intruder.post(path).status_code == 404
    assert intruder.post(f"/campaigns/{campaign.pk}/webhooks/secret/").status_code == 404
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    # A delivery of another campaign cannot be resent through one's own campaign either.
    own = do_create_campaign(other_user.pk, {"name": "mine", "campaign_type": "ivr"})
    assert intruder.post(f"/campaigns/{own.pk}/webhooks/{delivery.pk}/resend/").status_code == 404
