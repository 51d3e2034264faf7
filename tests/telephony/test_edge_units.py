"""The SIP edge's configuration, status reading and trunk options, without Kamailio."""

import hashlib
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from aicall.telephony.edge import EdgeMode, UnknownEdgeMode, edge_mode
from aicall.telephony.edge.config import (
    EdgeSettings,
    EdgeTrunk,
    render_cfg,
    render_dispatcher,
    render_uacreg,
    write_files,
)
from aicall.telephony.edge.status import TrunkStatus, read_status, registration_of
from aicall.telephony.models import RegistrationState, Trunk
from aicall.telephony.services import do_record_edge_status
from tests.telephony.passwords import password_from_env

EDGE = EdgeSettings(address="10.0.0.5", port=5060, advertise="203.0.113.7", local_port=5090)


def aicall(*args) -> object:
    out = io.StringIO()
    with redirect_stdout(out):
        with password_from_env(args) as argv:
            call_command(*argv)
    return json.loads(out.getvalue())


def test_cfg_listens_on_the_edge_address_advertises_the_public_one_and_loopback_for_workers():
    cfg = render_cfg(EDGE)
    assert "listen=udp:10.0.0.5:5060 advertise 203.0.113.7:5060" in cfg
    assert "listen=tcp:10.0.0.5:5060 advertise 203.0.113.7:5060" in cfg
    assert "listen=udp:127.0.0.1:5090" in cfg
    assert "$Rp == 5090" in cfg and '$si == "127.0.0.1"' in cfg
    assert "@@" not in cfg  # every placeholder filled
    assert 'modparam("uac", "reg_contact_addr", "203.0.113.7:5060")' in cfg


def test_a_trunk_is_a_dispatcher_set_proxy_first_then_failover_targets():
    trunk = EdgeTrunk(id=7, proxy="sip:a.example:5060", failover_proxies=("sip:b.example:5080",))
    tcp = EdgeTrunk(id=8, proxy="sip:c.example:5060", transport="tcp")
    lines = render_dispatcher([tcp, trunk], EDGE).splitlines()[1:]
    assert lines == [
        "7 sip:a.example:5060 0 2 socket=udp:10.0.0.5:5060;duid=trunk7-0",
        "7 sip:b.example:5080 0 1 socket=udp:10.0.0.5:5060;duid=trunk7-1",
        "8 sip:c.example:5060;transport=tcp 0 1 socket=tcp:10.0.0.5:5060;duid=trunk8-0",
    ]
    assert EDGE.route_for(7) == "sip:127.0.0.1:5090;lr;aicall-trunk=7"


def test_registrations_escape_colons_and_with_a_realm_keep_only_the_ha1():
    anyrealm = EdgeTrunk(id=1, proxy="sip:pbx.example:5060", register=True,
                         username="0281", password="p:w\\x")  # fmt: skip
    realm = EdgeTrunk(id=2, proxy="sip:pbx.example", register=True, username="0282",
                      auth_username="auth2", password="secret", realm="pbx")  # fmt: skip
    not_registering = EdgeTrunk(id=3, proxy="sip:x.example", password="zzz")
    rows = render_uacreg([anyrealm, realm, not_registering], EDGE).splitlines()
    assert len(rows) == 3
    assert "p\\:w\\\\x" in rows[1] and ":0281:pbx.example\\:5060:" in rows[1]
    ha1 = hashlib.md5(b"auth2:pbx:secret").hexdigest()  # noqa: S324
    assert ha1 in rows[2] and "secret" not in rows[2]
    assert "zzz" not in "\n".join(rows)


def test_files_are_private_and_rewritten_only_when_they_change(tmp_path):
    edge = EdgeSettings(address="127.0.0.1", run_dir=tmp_path / "edge")
    trunks = [EdgeTrunk(id=1, proxy="sip:127.0.0.1:5999", register=True, username="u",
                        password="pw")]  # fmt: skip
    assert write_files(edge, trunks) == {"cfg": True, "dispatcher": True, "uacreg": True}
    assert write_files(edge, trunks) == {"cfg": False, "dispatcher": False, "uacreg": False}
    assert (Path(edge.run_dir) / "db" / "uacreg").stat().st_mode & 0o077 == 0
    assert Path(edge.run_dir).stat().st_mode & 0o077 == 0
    changed = write_files(edge, [EdgeTrunk(id=1, proxy="sip:127.0.0.1:5998")])
    assert changed == {"cfg": False, "dispatcher": True, "uacreg": True}


def test_registration_state_from_uac_reg_flags_and_the_last_code():
    assert registration_of({"flags": 16 | 4}, 200) == ("registered", 200)
    assert registration_of({"flags": 16 | 2}, 401) == ("registering", 401)
    assert registration_of({"flags": 16 | 1}, 403) == ("failed", 403)
    assert registration_of({"flags": 16 | 1}, None) == ("failed", 408)  # never answered
    assert registration_of(None, None) == ("registering", None)
    trunk = EdgeTrunk(id=4, proxy="sip:p.example", register=True, username="u")
    status = read_status(
        [trunk, EdgeTrunk(id=5, proxy="sip:q.example")],
        [{"l_uuid": "trunk4", "flags": 17}],
        {"sip:u@p.example": 403},
        {"RECORDS": [{"SET": {"ID": 5, "TARGETS": [
            {"DEST": {"URI": "sip:q.example", "FLAGS": "AP"}},
            {"DEST": {"URI": "sip:r.example", "FLAGS": "IP"}},
        ]}}]},
    )  # fmt: skip
    assert status[4].registration == "failed" and status[4].code == 403
    assert status[5].registration == "not_needed"
    assert status[5].targets == {"sip:q.example": "up", "sip:r.example": "down"}


def test_edge_mode_setting():
    assert edge_mode({}) == EdgeMode.KAMAILIO
    assert edge_mode({"SIP_EDGE": " Direct "}) == EdgeMode.DIRECT
    with pytest.raises(UnknownEdgeMode):
        edge_mode({"SIP_EDGE": "asterisk"})


@pytest.mark.django_db
def test_trunk_add_with_registration_and_failover_and_its_errors():
    added = aicall(
        "trunk", "add", "--name", "pbx", "--proxy", "sip:pbx.example:5060",
        "--username", "0281", "--password", "pw-1", "--register", "--register-expiry", "120",
        "--auth-username", "auth-0281", "--realm", "pbx.example",
        "--failover-proxy", "sip:pbx2.example:5060", "--failover-proxy", "sip:pbx3.example",
    )  # fmt: skip
    assert added["register"] is True and added["register_expiry_seconds"] == 120
    assert added["failover_proxies"] == ["sip:pbx2.example:5060", "sip:pbx3.example"]
    assert added["registration"]["state"] == "registering"
    assert "pw-1" not in json.dumps(added)
    for bad, field in [
        (["--register"], "register"),  # no credentials
        (["--failover-proxy", "http://x"], "failover_proxies"),
        (["--username", "u", "--password", "p", "--register", "--register-expiry", "5"],
         "register_expiry_seconds"),
        (["--auth-username", "a"], "password"),
        (["--username", "u", "--password", "p\r\nX-Evil: 1"], "password"),
    ]:  # fmt: skip
        with pytest.raises(CommandError, match=field):
            with password_from_env(
                ("trunk", "add", "--name", "x", "--proxy", "sip:h.example", *bad)
            ) as argv:
                call_command(*argv)
    assert list(Trunk.objects.values_list("name", flat=True)) == ["pbx"]


@pytest.mark.django_db
def test_recorded_edge_status_is_what_trunk_list_shows():
    aicall("trunk", "add", "--name", "pbx", "--proxy", "sip:pbx.example", "--username", "u",
           "--password", "p", "--register")  # fmt: skip
    trunk = Trunk.objects.get()
    do_record_edge_status({trunk.pk: TrunkStatus("failed", 403, {"sip:pbx.example": "up"})})
    [listed] = aicall("trunk", "list")
    assert listed["registration"]["state"] == RegistrationState.FAILED
    assert listed["registration"]["code"] == 403
    assert listed["target_health"] == {"sip:pbx.example": "up"}
    checked = Trunk.objects.get().registration_checked_at
    do_record_edge_status({trunk.pk: TrunkStatus("failed", 403, {"sip:pbx.example": "up"})})
    assert Trunk.objects.get().registration_checked_at == checked  # no write when unchanged
    [status] = aicall("sip_edge", "status")
    assert status["registration"]["code"] == 403


def test_sip_edge_config_prints_the_cfg(settings, tmp_path):
    settings.AICALL = {**settings.AICALL, "SIP_EDGE_ADDRESS": "127.0.0.1",
                       "SIP_EDGE_RUN_DIR": str(tmp_path / "edge")}  # fmt: skip
    out = io.StringIO()
    with redirect_stdout(out):
        call_command("sip_edge", "config")
    assert out.getvalue().startswith("#!KAMAILIO")
    assert "listen=udp:127.0.0.1:5060" in out.getvalue()


@pytest.mark.django_db
def test_trunk_update_turns_registration_on_and_off():
    aicall("trunk", "add", "--name", "pbx", "--proxy", "sip:pbx.example", "--username", "u",
           "--password", "p")  # fmt: skip
    assert aicall("trunk", "list")[0]["registration"]["state"] == "not_needed"
    updated = aicall("trunk", "update", "pbx", "--register", "on", "--failover-proxy",
                     "sip:pbx2.example")  # fmt: skip
    assert updated["registration"]["state"] == "registering"
    assert updated["failover_proxies"] == ["sip:pbx2.example"]
    updated = aicall("trunk", "update", "pbx", "--register", "off")
    assert updated["registration"]["state"] == "not_needed"
    assert updated["failover_proxies"] == ["sip:pbx2.example"]  # not given: kept


@pytest.mark.django_db
def test_fallback_trunks_in_priority_order_and_no_loops():
    aicall("trunk", "add", "--name", "b", "--proxy", "sip:b.example")
    aicall("trunk", "add", "--name", "c", "--proxy", "sip:c.example")
    added = aicall("trunk", "add", "--name", "a", "--proxy", "sip:a.example", "--fallback", "b")
    assert added["fallback"] == "b"
    assert aicall("trunk", "update", "b", "--fallback", "c")["fallback"] == "c"
    from aicall.telephony.trunks import trunk_config

    chain = trunk_config(Trunk.objects.get(name="a"))
    assert (chain.fallback.name, chain.fallback.fallback.name) == ("b", "c")
    assert chain.fallback.fallback.fallback is None
    with pytest.raises(CommandError, match="leads back"):
        call_command("trunk", "update", "c", "--fallback", "a")
    with pytest.raises(CommandError, match="no trunk named"):
        call_command("trunk", "add", "--name", "d", "--proxy", "sip:d.example", "--fallback", "x")
    assert not Trunk.objects.filter(name="d").exists()
    assert aicall("trunk", "update", "a", "--fallback", "-")["fallback"] is None


def test_which_outcomes_move_a_call_to_the_fallback_trunk():
    from aicall.telephony import base
    from aicall.telephony.sip.carrier import trunk_could_not_carry

    def outcome(cause, code, answered=False):
        return base.CallOutcome(answered=answered, hangup_cause=cause, sip_code=code)

    assert trunk_could_not_carry(outcome(base.NORMAL_TEMPORARY_FAILURE, 503))
    assert trunk_could_not_carry(outcome(base.RECOVERY_ON_TIMER_EXPIRE, 408))
    assert trunk_could_not_carry(outcome(base.REGISTRATION_FAILED, 403))
    assert not trunk_could_not_carry(outcome(base.USER_BUSY, 486))
    assert not trunk_could_not_carry(outcome(base.NO_ANSWER, 487))
    assert not trunk_could_not_carry(outcome(base.NORMAL_CLEARING, 200, answered=True))


@pytest.mark.django_db
def test_the_edge_decides_trunk_health_and_a_chain_waits_only_when_all_are_down():
    from django.utils import timezone

    from aicall.telephony.health import do_mark_trunk, unavailable_trunks
    from aicall.telephony.models import TrunkHealth
    from aicall.telephony.trunks import trunk_config

    aicall("trunk", "add", "--name", "b", "--proxy", "sip:b.example")
    aicall("trunk", "add", "--name", "a", "--proxy", "sip:a.example", "--fallback", "b")
    a, b = Trunk.objects.get(name="a"), Trunk.objects.get(name="b")
    now = timezone.now()
    do_record_edge_status({a.pk: TrunkStatus("not_needed", None, {"sip:a.example": "down"})})
    a.refresh_from_db()
    assert (a.health, a.last_probe_result) == (TrunkHealth.DOWN, "edge: no target up")
    # Its calls go to b: the campaign is not held back, and the carrier skips a at once.
    assert unavailable_trunks([a.pk], now) == set()
    assert trunk_config(a).available is False and trunk_config(a).fallback.available
    do_mark_trunk(b, TrunkHealth.DOWN, now)
    assert unavailable_trunks([a.pk, b.pk], now) == {a.pk, b.pk}  # the whole chain down
    do_record_edge_status({a.pk: TrunkStatus("not_needed", None, {"sip:a.example": "probing"})})
    a.refresh_from_db()
    assert (a.health, a.consecutive_timeouts) == (TrunkHealth.UP, 0)
    assert unavailable_trunks([a.pk], now) == set()


@pytest.mark.django_db
def test_with_the_edge_the_dialer_neither_marks_down_nor_probes(settings):
    import asyncio

    from django.utils import timezone

    from aicall.dialer.trunkwatch import probe_down_trunks
    from aicall.telephony.base import RECOVERY_ON_TIMER_EXPIRE, CallOutcome
    from aicall.telephony.health import TrunkTally, record_trunk_outcomes
    from aicall.telephony.models import TrunkHealth

    settings.AICALL = {**settings.AICALL, "SIP_EDGE": "kamailio"}
    trunk = Trunk.objects.create(name="t", proxy="sip:127.0.0.1:9", health=TrunkHealth.DOWN)
    tally = TrunkTally()
    for _ in range(5):
        tally.add(CallOutcome(answered=False, hangup_cause=RECOVERY_ON_TIMER_EXPIRE, sip_code=408))
    other = Trunk.objects.create(name="u", proxy="sip:127.0.0.1:10")
    assert record_trunk_outcomes({other.pk: tally}, timezone.now(), down_after=3) == []
    assert Trunk.objects.get(pk=other.pk).health == TrunkHealth.UP

    async def db(fn, *args, **kwargs):
        return fn(*args, **kwargs)

    assert asyncio.run(probe_down_trunks(db, timezone.now)) == []
    assert Trunk.objects.get(pk=trunk.pk).last_probe_at is None  # nobody claimed a probe


def test_a_registration_moved_to_a_failover_target_leads_the_calls(tmp_path):
    from aicall.telephony.edge.supervisor import EdgeSupervisor

    trunk = EdgeTrunk(id=3, proxy="sip:10.0.0.1:5060", failover_proxies=("sip:10.0.0.2:5070",),
                      register=True, username="u", password="p")  # fmt: skip
    edge = EdgeSettings(address="10.0.0.5", run_dir=tmp_path / "edge")
    supervisor = EdgeSupervisor(edge, lambda: [trunk])
    calls = []
    supervisor.rpc = lambda *args: calls.append(args)  # type: ignore[method-assign]
    supervisor.start = lambda: None  # type: ignore[method-assign]
    supervisor.trunks = supervisor._load()
    write_files(edge, supervisor.trunks)
    assert not supervisor._fail_over_registration(supervisor.trunks[0], 403)  # a verdict
    assert supervisor._fail_over_registration(supervisor.trunks[0], 408)
    moved = supervisor.trunks[0]
    assert moved.registrar_target == "10.0.0.2:5070" and moved.aor == "sip:u@10.0.0.1:5060"
    assert ("uac.reg_refresh", "trunk3") in calls and ("dispatcher.reload",) in calls
    row = (edge.run_dir / "db" / "uacreg").read_text().splitlines()[1]
    assert "sip\\:10.0.0.2\\:5070" in row  # the REGISTERs' next hop
    dispatcher = (edge.run_dir / "dispatcher.list").read_text().splitlines()[1:]
    assert [line.split()[1:4:2] for line in dispatcher] == [
        ["sip:10.0.0.2:5070", "2"],
        ["sip:10.0.0.1:5060", "1"],
    ]
    assert not supervisor._fail_over_registration(moved, 408)  # the last one: back-off
