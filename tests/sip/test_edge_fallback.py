"""Trunks in priority order when the first is down, and who decides that it is down.

With the SIP edge, the edge's dispatcher probing is in charge of trunk health: a trunk
whose every target it marked down is *down* in the trunk table (its calls go to the
fallback trunk at once, none wait), and the first keepalive answered brings it back up.
The dialer sends no OPTIONS of its own. In direct mode the dialer's health is in charge,
and a trunk it marked down hands its calls to the fallback the same way.
"""

import socket

import pytest

from aicall.campaigns.services import do_start_campaign
from aicall.telephony.health import do_mark_trunk
from aicall.telephony.models import Trunk, TrunkHealth
from aicall.telephony.services import do_add_trunk, do_set_fallback_trunk
from aicall.telephony.sip.carrier import SipCarrier
from tests.dialer.conftest import settled, wait_until
from tests.sip.edge_harness import received, use_edge
from tests.sip.test_edge import campaign_of, import_numbers

pytestmark = [pytest.mark.sip, pytest.mark.django_db(transaction=True)]


def export(api, token, campaign) -> list[dict]:
    status, body = api.get(f"/api/campaigns/{campaign.pk}/export", access_token=token, limit=50)
    assert status == 200
    return body["results"]["calls"]


def health_of(trunk: Trunk) -> str:
    trunk.refresh_from_db()
    return trunk.health


def test_edge_marks_a_dead_trunk_down_its_calls_take_the_fallback_and_it_comes_back(
    settings, tmp_path, sipp, harness, api, token, user
):
    edge = use_edge(settings, tmp_path)
    backup = sipp("edge_answer.xml", calls=100000, timeout_s=180, extra=("-trace_msg",))
    hole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    hole.bind(("127.0.0.1", 0))  # the first trunk: a port that never answers
    dead_port = hole.getsockname()[1]
    first = do_add_trunk({"name": "first", "proxy": f"sip:127.0.0.1:{dead_port}",
                          "caller_id": "02873001234"})  # fmt: skip
    second = do_add_trunk({"name": "second", "proxy": backup.proxy, "caller_id": "02873001234"})
    do_set_fallback_trunk(first, second)
    campaign = campaign_of(user)  # on the default trunk: the first one
    import_numbers(api, token, campaign, 6)
    do_start_campaign(campaign)
    h = harness(SipCarrier(bind_address="127.0.0.1", min_workers=2))
    try:
        # The first call's INVITE times out at the edge (4 s), which marks the target down
        # and hands the call to the fallback; the trunk is down from then on.
        wait_until(settled(campaign), timeout=60)
        assert health_of(first) == TrunkHealth.DOWN
        first.refresh_from_db()
        assert first.last_probe_result == "edge: no target up"
        assert first.target_health == {f"sip:127.0.0.1:{dead_port}": "down"}
        calls = export(api, token, campaign)
        assert [c["note"] for c in calls] == ["NORMAL CLEARING"] * 6
        assert len(received(backup, "INVITE")) == 6
        # Everything that reached the dead trunk came from the edge's one address: the
        # dialer probed nothing itself (its OPTIONS would leave from another socket).
        hole.setblocking(False)
        sources = set()
        while True:
            try:
                data, source = hole.recvfrom(65535)
            except BlockingIOError:
                break
            sources.add((source, data.split(b" ", 1)[0]))
        assert sources and {s for s, _ in sources} == {("127.0.0.1", edge["SIP_EDGE_PORT"])}
        # The trunk answers again: the edge's keepalive brings it back up, calls return.
        hole.close()
        revived = sipp("edge_answer.xml", calls=100000, timeout_s=120, port=dead_port,
                       extra=("-trace_msg",))  # fmt: skip
        wait_until(lambda: health_of(first) == TrunkHealth.UP, timeout=40)
        import_numbers(api, token, campaign, 3, start=100)
        wait_until(settled(campaign), timeout=60)
    finally:
        h.stop()
        hole.close()
    assert len(received(revived, "INVITE")) == 3
    assert len(received(backup, "INVITE")) == 6
    assert [c["note"] for c in export(api, token, campaign)] == ["NORMAL CLEARING"] * 9


def test_direct_mode_a_trunk_marked_down_hands_its_calls_to_the_fallback(
    tmp_path, sipp, harness, api, token, user
):
    from django.utils import timezone

    backup = sipp("edge_answer.xml", calls=100000, timeout_s=120, extra=("-trace_msg",))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as hole:
        hole.bind(("127.0.0.1", 0))  # the first trunk: silent, so its OPTIONS probes fail
        first = do_add_trunk({"name": "first", "proxy": f"sip:127.0.0.1:{hole.getsockname()[1]}",
                              "caller_id": "02873001234"})  # fmt: skip
        second = do_add_trunk({"name": "second", "proxy": backup.proxy,
                               "caller_id": "02873001234"})  # fmt: skip
        do_set_fallback_trunk(first, second)
        do_mark_trunk(first, TrunkHealth.DOWN, timezone.now())  # as the dialer's timeouts do
        # Each trunk's own results count for it: the fallback's answers reset the fallback's
        # timeouts in a row, not the first trunk's (which took no call).
        Trunk.objects.filter(pk=first.pk).update(consecutive_timeouts=3)
        Trunk.objects.filter(pk=second.pk).update(consecutive_timeouts=2)
        campaign = campaign_of(user)
        import_numbers(api, token, campaign, 4)
        do_start_campaign(campaign)
        h = harness(SipCarrier(bind_address="127.0.0.1", min_workers=2))
        try:
            wait_until(settled(campaign), timeout=60)  # not held back while the first is down
        finally:
            h.stop()
        hole.setblocking(False)
        methods = set()
        while True:
            try:
                methods.add(hole.recv(65535).split(b" ", 1)[0])
            except BlockingIOError:
                break
    assert [c["note"] for c in export(api, token, campaign)] == ["NORMAL CLEARING"] * 4
    assert b"INVITE" not in methods  # only the dialer's OPTIONS probes reached it
    assert len(received(backup, "INVITE")) == 4
    assert health_of(first) == TrunkHealth.DOWN
    second.refresh_from_db()
    assert (first.consecutive_timeouts, second.consecutive_timeouts) == (3, 0)
