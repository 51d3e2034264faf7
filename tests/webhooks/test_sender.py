import asyncio
import time
from datetime import UTC, datetime

import pytest
from asgiref.sync import sync_to_async

from aicall.calls.events import enqueue_call_events
from aicall.campaigns.services import do_create_campaign
from aicall.webhooks.leases import claim_due, retry_delay_seconds
from aicall.webhooks.models import DeliveryStatus, WebhookDelivery
from aicall.webhooks.outbox import CALL_FINISHED, CALL_STARTED
from aicall.webhooks.sender import Sender
from aicall.webhooks.services import do_resend_delivery
from aicall.webhooks.signing import new_secret
from tests.factories import finished_call
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fast_retries(settings):
    settings.AICALL = {
        **settings.AICALL,
        "WEBHOOK_FIRST_RETRY_SECONDS": 0.05,
        "WEBHOOK_MAX_RETRY_SECONDS": 0.2,
        "WEBHOOK_TIMEOUT_SECONDS": 1.0,
    }
    return settings


def _pending() -> int:
    return WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count()


def _rows() -> list:
    return list(WebhookDelivery.objects.values_list("status", "attempts", "last_error"))


def run_sender_until_settled(timeout: float = 30.0, concurrency: int = 8) -> Sender:
    """Run a sender until no delivery is pending (or fail after `timeout` seconds)."""

    async def main() -> Sender:
        sender = Sender(concurrency=concurrency, poll_seconds=0.02)
        task = asyncio.create_task(sender.run())
        deadline = time.monotonic() + timeout
        while await sync_to_async(_pending, thread_sensitive=True)():
            if time.monotonic() > deadline:
                sender.stopping.set()
                await task
                rows = await sync_to_async(_rows, thread_sensitive=True)()
                raise AssertionError(f"deliveries still pending: {rows}")
            await asyncio.sleep(0.05)
        sender.stopping.set()
        await task
        return sender

    return asyncio.run(main())


def _campaign(user, url: str, secret: str, started: bool = True):
    return do_create_campaign(
        user.pk,
        {
            "name": "Hooks",
            "campaign_type": "ivr",
            "caller_id": "0281234567",
            "webhook_url": url,
            "webhook_secret": secret,
            "webhook_call_started": started,
        },
    )


def _calls(campaign, n: int):
    called_at = datetime(2026, 1, 5, 3, 0, tzinfo=UTC)
    return [finished_call(campaign, f"+8490123{i:04d}", called_at) for i in range(n)]


def test_failing_receiver_gets_every_event_in_the_end(user, fast_retries):
    secret = new_secret()
    with Receiver(secret, fail_first=2) as receiver:
        campaign = _campaign(user, receiver.url, secret)
        calls = _calls(campaign, 12)
        enqueue_call_events(campaign, calls, CALL_STARTED)
        enqueue_call_events(campaign, calls, CALL_FINISHED)
        run_sender_until_settled()
    deliveries = list(WebhookDelivery.objects.all())
    assert len(deliveries) == 24
    assert {d.status for d in deliveries} == {DeliveryStatus.DELIVERED}
    assert {d.attempts for d in deliveries} == {3}
    assert receiver.bad_signatures == 0
    assert set(receiver.events) == {d.message_id for d in deliveries}
    assert all(len(events) == 1 for events in receiver.events.values())
    finished = [e[0] for e in receiver.events.values() if e[0]["event"] == CALL_FINISHED]
    started = [e[0] for e in receiver.events.values() if e[0]["event"] == CALL_STARTED]
    assert len(finished) == len(started) == 12
    first = min(finished, key=lambda e: e["data"]["call_id"])
    assert first["data"] == {
        "call_id": calls[0].pk,
        "caller_id": "0281234567",
        "callee_id": "0901230000",
        "called_at": "2026-01-05 10:00:00",
        "duration": 8,
        "key_press": "1 (5)",
        "note": "NORMAL CLEARING",
        "state": 40,
        "campaign_id": campaign.pk,
        "attempt": 1,
    }
    assert {e["data"]["state"] for e in started} == {20}


def test_timeouts_are_retried(user, fast_retries):
    secret = new_secret()
    with Receiver(secret, fail_first=1, hang_seconds=2.0) as receiver:
        campaign = _campaign(user, receiver.url, secret, started=False)
        enqueue_call_events(campaign, _calls(campaign, 3), CALL_FINISHED)
        run_sender_until_settled()
    deliveries = list(WebhookDelivery.objects.all())
    assert {d.status for d in deliveries} == {DeliveryStatus.DELIVERED}
    assert {d.attempts for d in deliveries} == {2}
    assert sum(len(e) for e in receiver.events.values()) == 3


def test_gives_up_after_the_retry_window_then_resend_delivers(user, fast_retries):
    fast_retries.AICALL = {**fast_retries.AICALL, "WEBHOOK_RETRY_WINDOW_SECONDS": 2.0}
    secret = new_secret()
    with Receiver(secret, fail_first=10**6) as receiver:
        campaign = _campaign(user, receiver.url, secret, started=False)
        enqueue_call_events(campaign, _calls(campaign, 2), CALL_FINISHED)
        run_sender_until_settled()
        receiver.fail_first = 0
        deliveries = list(WebhookDelivery.objects.all())
        assert {d.status for d in deliveries} == {DeliveryStatus.FAILED}
        assert all(d.attempts >= 3 and d.last_status_code == 500 for d in deliveries), [
            (d.attempts, d.last_status_code, d.last_error) for d in deliveries
        ]
        assert not receiver.events
        do_resend_delivery(deliveries[0])
        run_sender_until_settled()
    assert WebhookDelivery.objects.get(pk=deliveries[0].pk).status == DeliveryStatus.DELIVERED
    assert list(receiver.events) == [deliveries[0].message_id]


def test_wrong_secret_on_receiver_side_is_a_failure_not_a_delivery(user, fast_retries):
    with Receiver(new_secret()) as receiver:
        campaign = _campaign(user, receiver.url, new_secret(), started=False)
        enqueue_call_events(campaign, _calls(campaign, 1), CALL_FINISHED)

        async def one_round():
            await Sender(concurrency=2, poll_seconds=0.01).run(until_idle=True)

        asyncio.run(one_round())
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.last_status_code == 401
    assert receiver.bad_signatures == 1 and not receiver.events


def test_a_claimed_delivery_is_not_claimed_again_while_leased(user):
    campaign = _campaign(user, "http://127.0.0.1:9/hook", new_secret(), started=False)
    enqueue_call_events(campaign, _calls(campaign, 5), CALL_FINISHED)
    first = claim_due(3)
    second = claim_due(10)
    assert len(first) == 3 and len(second) == 2
    assert not {j.delivery_id for j in first} & {j.delivery_id for j in second}
    assert claim_due(10) == []


def test_backoff_doubles_with_jitter(fast_retries):
    fast_retries.AICALL = {
        **fast_retries.AICALL,
        "WEBHOOK_FIRST_RETRY_SECONDS": 5,
        "WEBHOOK_MAX_RETRY_SECONDS": 3600,
    }
    for attempts, full in [(1, 5), (2, 10), (5, 80), (20, 3600)]:
        delays = [retry_delay_seconds(attempts) for _ in range(200)]
        assert all(full / 2 <= d <= full for d in delays)
        assert max(delays) - min(delays) > full / 10  # jittered, not constant
