"""The webhook sender connects to public addresses only (webhooks/destinations.py)."""

import asyncio
import socket
import time

import httpcore
import pytest
from asgiref.sync import sync_to_async
from httpcore._backends.auto import AutoBackend

from aicall.accounts.callerids import do_verify_caller_id
from aicall.accounts.services import do_create_user
from aicall.calls.events import enqueue_call_events
from aicall.campaigns.models import Campaign
from aicall.webhooks.destinations import BLOCKED_REASON, CREDENTIALS_REASON, is_public_address
from aicall.webhooks.models import DeliveryStatus, WebhookDelivery
from aicall.webhooks.outbox import CALL_FINISHED
from aicall.webhooks.sender import Sender
from aicall.webhooks.signing import new_secret
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_sender import _calls, _campaign, run_sender_until_settled

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def one_try(settings):
    """One attempt, then the delivery is given up (the retry window is over at once)."""
    settings.AICALL = {
        **settings.AICALL,
        "WEBHOOK_RETRY_WINDOW_SECONDS": 0,
        "WEBHOOK_TIMEOUT_SECONDS": 2.0,
        "WEBHOOK_ALLOW_PRIVATE": False,
    }
    return settings


@pytest.fixture
def connects(monkeypatch):
    """Every address the sender's network backend really connected to."""
    seen: list[str] = []
    real = AutoBackend.connect_tcp

    async def spy(self, host, port, *args, **kwargs):
        seen.append(host)
        return await real(self, host, port, *args, **kwargs)

    monkeypatch.setattr(AutoBackend, "connect_tcp", spy)
    return seen


def _fake_dns(monkeypatch, names: dict[str, str]) -> None:
    real = socket.getaddrinfo

    def resolve(host, port, *args, **kwargs):
        if host in names:
            family = socket.AF_INET6 if ":" in names[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (names[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


def _deliver_to(user, url: str, receiver_secret: str) -> WebhookDelivery:
    campaign = _campaign(user, "https://example.com/hook", receiver_secret, started=False)
    # As a URL stored before the rule, or a name whose address changed since it was set.
    Campaign.objects.filter(pk=campaign.pk).update(webhook_url=url)
    campaign.refresh_from_db()
    enqueue_call_events(campaign, _calls(campaign, 1), CALL_FINISHED)
    run_sender_until_settled()
    return WebhookDelivery.objects.get(campaign=campaign)


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "localhost", "rebind.example.test", "127.1"],
)
def test_a_listener_on_loopback_gets_nothing(user, one_try, monkeypatch, host):
    _fake_dns(monkeypatch, {"rebind.example.test": "127.0.0.1"})
    secret = new_secret()
    with Receiver(secret) as receiver:
        port = receiver.server.server_address[1]
        delivery = _deliver_to(user, f"http://{host}:{port}/hook", secret)
    assert not receiver.attempts  # nothing reached the listener
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_error == BLOCKED_REASON


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8080/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://224.0.0.1/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
        "https://metadata.example.test/hook",  # resolves to the metadata address
    ],
)
def test_private_link_local_and_reserved_addresses_are_never_connected(
    user, one_try, connects, monkeypatch, url
):
    _fake_dns(monkeypatch, {"metadata.example.test": "169.254.169.254"})
    delivery = _deliver_to(user, url, new_secret())
    assert connects == []
    assert delivery.status == DeliveryStatus.FAILED and delivery.last_error == BLOCKED_REASON


def test_the_connection_goes_to_the_address_that_was_checked(user, one_try, monkeypatch):
    """No second lookup: a name answering public then 127.0.0.1 (DNS rebinding) is
    connected at the public address it was checked with."""
    answers = iter(["8.8.8.8", "127.0.0.1", "127.0.0.1"])
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    seen = []

    async def no_network(self, host, port, *args, **kwargs):
        seen.append(host)  # loopback-only machine: record, then fail like an unreachable host
        raise httpcore.ConnectError("unreachable")

    monkeypatch.setattr(AutoBackend, "connect_tcp", no_network)
    delivery = _deliver_to(user, "http://rebind.example.test/hook", new_secret())
    assert seen == ["8.8.8.8"]
    assert delivery.last_error == "ConnectError: could not connect to the webhook host"


def test_credentials_in_the_url_are_refused(user, one_try, connects):
    delivery = _deliver_to(user, "https://user:pw@example.com/hook", new_secret())
    assert connects == [] and delivery.last_error == CREDENTIALS_REASON


def test_allow_private_delivers_to_loopback(user, one_try, settings):
    settings.AICALL = {**settings.AICALL, "WEBHOOK_ALLOW_PRIVATE": True}
    secret = new_secret()
    with Receiver(secret) as receiver:
        delivery = _deliver_to(user, receiver.url, secret)
    assert delivery.status == DeliveryStatus.DELIVERED and len(receiver.events) == 1


def test_addresses_classified():
    for address in ("8.8.8.8", "2001:4860:4860::8888", "1.1.1.1"):
        assert is_public_address(address), address
    for address in (
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.251",
        "239.255.255.250",
        "255.255.255.255",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1%eth0",
        "fc00::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "not an address",
    ):
        assert not is_public_address(address), address


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9000/hook",
        "http://localhost/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/",
        "http://[::1]/hook",
        "https://user:secret@example.com/hook",
    ],
)
def test_the_api_refuses_such_urls_when_set(api, token, one_try, url):
    status, body = api.post(
        "/api/campaigns",
        {"access_token": token, "name": "x", "campaign_type": "ivr", "webhook_url": url},
    )
    assert (status, body["code"], body["field"]) == (400, "400", "webhook_url")


def test_one_accounts_slow_receiver_does_not_delay_another_accounts(user, settings):
    """Account A's receiver answers after 4 s; account B's deliveries, queued after A's,
    still go out at once: A holds at most its share of the sender's slots."""
    settings.AICALL = {
        **settings.AICALL,
        "WEBHOOK_ALLOW_PRIVATE": True,
        "WEBHOOK_TIMEOUT_SECONDS": 10.0,
        "WEBHOOK_FIRST_RETRY_SECONDS": 60,
    }
    other = do_create_user("b-owner@example.com", "another horse battery")
    do_verify_caller_id(other.pk, "0281234567")
    slow_secret, fast_secret = new_secret(), new_secret()
    with (
        Receiver(slow_secret, fail_first=10**6, hang_seconds=4.0) as slow,
        Receiver(fast_secret) as fast,
    ):
        slow_campaign = _campaign(user, slow.url, slow_secret, started=False)
        enqueue_call_events(slow_campaign, _calls(slow_campaign, 20), CALL_FINISHED)
        fast_campaign = _campaign(other, fast.url, fast_secret, started=False)
        enqueue_call_events(fast_campaign, _calls(fast_campaign, 5), CALL_FINISHED)

        def fast_delivered() -> int:
            return WebhookDelivery.objects.filter(
                campaign=fast_campaign, status=DeliveryStatus.DELIVERED
            ).count()

        async def main() -> float:
            sender = Sender(concurrency=8, poll_seconds=0.02, account_concurrency=2)
            task = asyncio.create_task(sender.run())
            begin = time.monotonic()
            while await sync_to_async(fast_delivered, thread_sensitive=True)() < 5:
                assert time.monotonic() - begin < 30, "B's deliveries never went out"
                await asyncio.sleep(0.05)
            took = time.monotonic() - begin
            sender.stopping.set()
            await task
            return took

        took = asyncio.run(main())
        # A's first round alone takes 4 s; without the per-account share A's 20 rows
        # (queued first) would fill all 8 slots and B would wait for them.
        assert took < 3.0, took
        assert len(fast.events) == 5
        assert sum(slow.attempts.values()) <= 2 + 2  # A never had more than its 2 slots
