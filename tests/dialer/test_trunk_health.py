"""Temporary failures and trunk health, with a fake carrier and a fake trunk that answers
OPTIONS (or not) on loopback: retries by policy, Retry-After, the down/up state machine,
calls waiting (not failing) while their trunk is down, and the carrier each call records."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from aicall.calls.models import Call, CallAttempt, CallStatus
from aicall.campaigns.models import Campaign
from aicall.campaigns.services import do_create_campaign
from aicall.telephony.base import (
    NORMAL_TEMPORARY_FAILURE,
    RECOVERY_ON_TIMER_EXPIRE,
    USER_BUSY,
    AnsweredCallback,
    CallOutcome,
    CallRequest,
)
from aicall.telephony.health import TrunkTally, record_trunk_outcomes
from aicall.telephony.models import Trunk, TrunkHealth
from aicall.telephony.registry import RoutingCarrier
from aicall.telephony.sandbox import SandboxCarrier
from aicall.webhooks.models import WebhookDelivery
from tests.dialer.conftest import RecordingCarrier, numbers, queue, settled, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

ALWAYS = "00:00-24:00"
TIMEOUT = CallOutcome(answered=False, hangup_cause=RECOVERY_ON_TIMER_EXPIRE, sip_code=408)


class FakeTrunk:
    """A UDP socket on 127.0.0.1 that answers OPTIONS with 200 only while `answering`."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.answering = False
        self.options_seen = 0
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def proxy(self) -> str:
        return f"sip:127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop:
            try:
                data, addr = self.sock.recvfrom(65536)
            except TimeoutError:
                continue
            if not data.startswith(b"OPTIONS "):
                continue
            self.options_seen += 1
            if not self.answering:
                continue
            head = data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
            keep = [h for h in head[1:] if h.split(b":", 1)[0].lower() in
                    (b"via", b"from", b"to", b"call-id", b"cseq")]  # fmt: skip
            self.sock.sendto(b"\r\n".join([b"SIP/2.0 200 OK", *keep, b"Content-Length: 0"])
                             + b"\r\n\r\n", addr)  # fmt: skip

    def close(self) -> None:
        self._stop = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def fake_trunk():
    trunk = FakeTrunk()
    yield trunk
    trunk.close()


class OutageCarrier(RecordingCarrier):
    """Every call times out (408, nothing answered the INVITE) while `outage` is set."""

    name = "sip"

    def __init__(self, outcomes=None) -> None:
        super().__init__(speed=1000.0)
        self.outage = True
        self.outcomes = outcomes  # callable(request) -> CallOutcome | None, overrides

    async def place_call(
        self, request: CallRequest, on_answered: AnsweredCallback | None = None
    ) -> CallOutcome:
        if self.outcomes is not None:
            outcome = self.outcomes(request)
            if outcome is not None:
                self.requests.append(request)
                return outcome
        if self.outage:
            self.requests.append(request)
            return TIMEOUT
        return await super().place_call(request, on_answered)


@pytest.fixture(autouse=True)
def dialer_in_charge(settings):
    """The dialer's own health mechanism runs in direct mode; with the SIP edge the edge's
    probing is in charge (tests/sip/test_edge_fallback.py)."""
    settings.AICALL = {**settings.AICALL, "SIP_EDGE": "direct"}


@pytest.fixture
def fast_health(settings):
    settings.AICALL = {
        **settings.AICALL,
        "TRUNK_DOWN_AFTER_TIMEOUTS": 3,
        "TRUNK_PROBE_SECONDS": 0.3,
        "TRUNK_PROBE_TIMEOUT_SECONDS": 0.5,
        "OTP_RETRY_SECONDS": 0.2,
    }


def ivr(user, **extra):
    raw = {"name": "b", "campaign_type": "ivr", "calling_hours": ALWAYS, **extra}
    return do_create_campaign(user.pk, raw, start=True)


def retry_every(campaign, seconds: float) -> None:
    # The API's floor is 10 s; a test does not wait that long between attempts.
    Campaign.objects.filter(pk=campaign.pk).update(retry_interval_seconds=seconds)


def test_timeouts_mark_the_trunk_down_calls_wait_and_resume_when_it_answers(
    user, harness, fake_trunk, fast_health
):
    trunk = Trunk.objects.create(name="t", proxy=fake_trunk.proxy, is_default=True)
    campaign = ivr(user, max_concurrent_calls=1, max_attempts=3)
    retry_every(campaign, 1)
    ids = queue(campaign, numbers(5, "0"))
    carrier = OutageCarrier()
    h = harness(carrier)
    wait_until(lambda: Trunk.objects.get(pk=trunk.pk).health == TrunkHealth.DOWN, timeout=20)
    down = Trunk.objects.get(pk=trunk.pk)
    assert down.consecutive_timeouts >= 3 and down.down_since_at is not None
    # While it is down: no call is placed, none is failed, the probes go unanswered.
    wait_until(lambda: fake_trunk.options_seen >= 2, timeout=10)
    placed_while_down = len(carrier.requests)
    assert placed_while_down == 3
    time.sleep(1.5)  # the retries fell due meanwhile
    assert len(carrier.requests) == placed_while_down
    assert not Call.objects.filter(pk__in=ids, status=CallStatus.DONE).exists()
    assert Trunk.objects.get(pk=trunk.pk).last_probe_result == "timeout"
    # The trunk is back: the next probe brings it up and every call completes.
    carrier.outage = False
    fake_trunk.answering = True
    wait_until(settled(campaign), timeout=30)
    h.stop()
    up = Trunk.objects.get(pk=trunk.pk)
    assert up.health == TrunkHealth.UP and up.consecutive_timeouts == 0
    assert up.last_probe_result == "200 OK" and up.down_since_at is None
    calls = list(Call.objects.filter(pk__in=ids).order_by("pk"))
    assert [(c.state, c.hangup_cause) for c in calls] == [(40, "NORMAL CLEARING")] * 5
    assert sorted(c.attempt_count for c in calls) == [1, 1, 2, 2, 2]
    first_attempts = CallAttempt.objects.filter(call_id__in=ids, attempt=1, sip_code=408)
    assert first_attempts.count() == 3
    assert {a.hangup_cause for a in first_attempts} == {RECOVERY_ON_TIMER_EXPIRE}
    assert {a.trunk_name for a in first_attempts} == {"t"}


def test_a_call_out_of_attempts_during_an_outage_is_final(user, harness, fast_health):
    Trunk.objects.create(name="t", proxy="sip:127.0.0.1:9", is_default=True)
    campaign = ivr(user, max_attempts=1)
    queue(campaign, numbers(1, "0"))
    h = harness(OutageCarrier())
    wait_until(settled(campaign))
    h.stop()
    call = Call.objects.get(campaign=campaign)
    assert (call.state, call.hangup_cause, call.sip_code) == (50, RECOVERY_ON_TIMER_EXPIRE, 408)


def test_503_retry_after_delays_the_retry_and_pauses_the_trunk(user, harness, fast_health):
    trunk = Trunk.objects.create(name="t", proxy="sip:127.0.0.1:9", is_default=True)
    campaign = ivr(user, max_attempts=2, max_concurrent_calls=1)
    retry_every(campaign, 1)

    def overloaded(request):
        return CallOutcome(
            answered=False, hangup_cause=NORMAL_TEMPORARY_FAILURE, sip_code=503,
            retry_after_seconds=120,
        )  # fmt: skip

    carrier = OutageCarrier(outcomes=overloaded)
    first, second = queue(campaign, numbers(2, "0"))
    before = timezone.now()
    h = harness(carrier)
    wait_until(lambda: Call.objects.get(pk=first).attempt_count == 1 and
               Call.objects.get(pk=first).status == CallStatus.QUEUED)  # fmt: skip
    time.sleep(1.0)
    h.stop()
    call = Call.objects.get(pk=first)
    # Retry-After (120 s) wins over the campaign's 1 s interval.
    assert before + timedelta(seconds=119) <= call.due_at <= timezone.now() + timedelta(seconds=121)
    assert (call.hangup_cause, call.sip_code) == (NORMAL_TEMPORARY_FAILURE, 503)
    paused = Trunk.objects.get(pk=trunk.pk)
    assert paused.paused_until_at is not None
    assert paused.paused_until_at >= before + timedelta(seconds=119)
    assert paused.health == TrunkHealth.UP  # paused, not down: a 503 is an answer
    # The second call waits for the pause instead of hitting the overloaded trunk.
    assert len(carrier.requests) == 1
    assert Call.objects.get(pk=second).status == CallStatus.QUEUED


def test_voice_otp_retries_a_timeout_within_its_expiry(user, harness, fast_health):
    Trunk.objects.create(name="t", proxy="sip:127.0.0.1:9", is_default=True)
    otp = do_create_campaign(
        user.pk,
        {"name": "otp", "campaign_type": "voice_otp", "max_attempts": 3},
        start=True,
    )
    tries: dict[str, int] = {}

    def first_times_out(request):
        tries[request.callee_e164] = tries.get(request.callee_e164, 0) + 1
        return TIMEOUT if tries[request.callee_e164] == 1 else None

    carrier = OutageCarrier(outcomes=first_times_out)
    carrier.outage = False
    [call_id] = queue(otp, [{"phone_number": "0901234560", "otp_code": "123456"}])
    h = harness(carrier)
    wait_until(settled(otp))
    h.stop()
    call = Call.objects.get(pk=call_id)
    assert (call.state, call.hangup_cause, call.attempt_count) == (40, "NORMAL CLEARING", 2)


def test_voice_otp_is_not_retried_past_its_expiry(user, harness, fast_health, settings):
    settings.AICALL = {**settings.AICALL, "OTP_RETRY_SECONDS": 30}
    Trunk.objects.create(name="t", proxy="sip:127.0.0.1:9", is_default=True)
    otp = do_create_campaign(
        user.pk,
        {"name": "otp", "campaign_type": "voice_otp", "max_attempts": 3,
         "otp_expiry_seconds": 20},
        start=True,
    )  # fmt: skip
    [call_id] = queue(otp, [{"phone_number": "0901234560", "otp_code": "123456"}])
    h = harness(OutageCarrier())
    wait_until(settled(otp))
    h.stop()
    call = Call.objects.get(pk=call_id)
    # The retry would come after the code expired: the timeout is final.
    assert (call.state, call.hangup_cause, call.attempt_count) == (50, RECOVERY_ON_TIMER_EXPIRE, 1)


def test_an_answer_from_the_trunk_resets_the_count(db):
    trunk = Trunk.objects.create(name="t", proxy="sip:127.0.0.1:9")
    now = timezone.now()
    busy = CallOutcome(answered=False, hangup_cause=USER_BUSY, sip_code=486)
    gateway_timeout = CallOutcome(
        answered=False, hangup_cause=RECOVERY_ON_TIMER_EXPIRE, sip_code=504
    )
    worker_died = CallOutcome(answered=False, hangup_cause=NORMAL_TEMPORARY_FAILURE)
    for batch in ([TIMEOUT, TIMEOUT], [busy, TIMEOUT], [gateway_timeout, TIMEOUT, worker_died]):
        tally = TrunkTally()
        for outcome in batch:
            tally.add(outcome)
        assert record_trunk_outcomes({trunk.pk: tally}, now, down_after=3) == []
    trunk.refresh_from_db()
    # 504 is the trunk answering (its own next hop timed out); a dead worker says nothing.
    assert trunk.consecutive_timeouts == 1 and trunk.health == TrunkHealth.UP
    tally = TrunkTally()
    tally.add(TIMEOUT)
    tally.add(TIMEOUT)
    assert record_trunk_outcomes({trunk.pk: tally}, now, down_after=3) == [trunk.pk]
    # A second dialer reaching the threshold at the same time does not mark it again.
    assert record_trunk_outcomes({trunk.pk: tally}, now, down_after=3) == []
    trunk.refresh_from_db()
    assert trunk.health == TrunkHealth.DOWN and trunk.down_since_at == now


class FakeSip(RecordingCarrier):
    name = "sip"
    started = 0

    async def start(self) -> None:
        FakeSip.started += 1


def test_auto_mode_picks_the_carrier_per_call_and_marks_simulated_ones(
    user, other_user, harness, api, token
):
    FakeSip.started = 0
    trunk = Trunk.objects.create(name="real", proxy="sip:127.0.0.1:9")
    simulated = ivr(user, webhook_url="https://example.com/hook", webhook_call_started=True)
    real = ivr(other_user, webhook_url="https://example.com/hook")
    Campaign.objects.filter(pk=real.pk).update(trunk=trunk)
    sip = FakeSip(speed=1000.0)
    carrier = RoutingCarrier(sandbox=SandboxCarrier(speed=1000.0), sip_factory=lambda: sip)
    queue(simulated, numbers(3, "1"))
    h = harness(carrier)
    wait_until(settled(simulated))
    assert FakeSip.started == 0 and carrier.sip is None  # no trunk call yet: no SIP pool
    queue(real, numbers(2, "0", prefix="08"))
    wait_until(settled(real))
    h.stop()
    assert FakeSip.started == 1 and len(sip.requests) == 2
    assert all(r.trunk is not None and r.trunk.name == "real" for r in sip.requests)
    assert set(Call.objects.filter(campaign=simulated).values_list("carrier", flat=True)) == {
        "sandbox"
    }
    assert set(Call.objects.filter(campaign=real).values_list("carrier", flat=True)) == {"sip"}
    assert set(
        CallAttempt.objects.filter(call__campaign=real).values_list("carrier", "trunk_name")
    ) == {("sip", "real")}
    sandboxed = WebhookDelivery.objects.filter(campaign=simulated)
    assert sandboxed.count() == 6  # call.started and call.finished for each
    assert all(d.payload["data"]["sandbox"] is True for d in sandboxed)
    real_events = WebhookDelivery.objects.filter(campaign=real)
    assert real_events.count() == 2
    assert all("sandbox" not in d.payload["data"] for d in real_events)
    # The campaign API says which campaigns' calls are simulated.
    status, body = api.get(f"/api/campaigns/{simulated.pk}", access_token=token)
    assert status == 200 and body["results"]["sandbox"] is True
    assert body["results"]["trunk"] is None


def test_forced_sandbox_ignores_trunk_health(user, harness, settings):
    settings.AICALL = {**settings.AICALL, "TELEPHONY": "sandbox"}
    Trunk.objects.create(
        name="t", proxy="sip:127.0.0.1:9", is_default=True, health=TrunkHealth.DOWN
    )
    campaign = ivr(user)
    queue(campaign, numbers(2, "0"))
    h = harness(SandboxCarrier(speed=1000.0))
    wait_until(settled(campaign))
    h.stop()
    assert set(Call.objects.filter(campaign=campaign).values_list("carrier", flat=True)) == {
        "sandbox"
    }
    assert set(Call.objects.filter(campaign=campaign).values_list("state", flat=True)) == {40}
