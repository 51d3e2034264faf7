"""The SIP carrier's pure parts: SIP code -> note, SDP rewriting, trunk addressing."""

import pytest

from aicall.telephony import base
from aicall.telephony.base import TrunkConfig
from aicall.telephony.sip.calls import rewrite_dtmf_payload_type
from aicall.telephony.sip.carrier import dial_number, outcome_from_event, sip_uri
from aicall.telephony.sip.causes import note_for_sip_code


@pytest.mark.parametrize(
    ("code", "note"),
    [
        (486, base.USER_BUSY),
        (600, base.USER_BUSY),
        (480, base.NO_USER_RESPONSE),
        (404, base.UNALLOCATED_NUMBER),
        (403, base.CALL_REJECTED),
        (603, base.CALL_REJECTED),
        (408, base.RECOVERY_ON_TIMER_EXPIRE),
        (504, base.RECOVERY_ON_TIMER_EXPIRE),
        (484, base.INVALID_NUMBER_FORMAT),
        (488, base.INCOMPATIBLE_DESTINATION),
        (606, base.INCOMPATIBLE_DESTINATION),
        (500, base.NORMAL_TEMPORARY_FAILURE),
        (503, base.NORMAL_TEMPORARY_FAILURE),
        (502, base.NETWORK_OUT_OF_ORDER),
    ],
)
def test_sip_codes_map_to_q850_notes(code, note):
    assert note_for_sip_code(code) == note
    outcome = outcome_from_event({"answered": False, "code": code, "reason": ""})
    assert (outcome.hangup_cause, outcome.sip_code) == (note, code)


def test_outcomes_of_answered_timed_out_and_lost_calls():
    answered = outcome_from_event(
        {"answered": True, "code": 200, "duration": 12.345, "keys": [["1", 3.2]]}
    )
    assert answered.hangup_cause == base.NORMAL_CLEARING and answered.duration_seconds == 12.35
    assert answered.key_presses == [("1", 3.2)]
    ring = outcome_from_event({"answered": False, "code": 487, "reason": "ring_timeout"})
    assert ring.hangup_cause == base.NO_ANSWER
    silent = outcome_from_event({"answered": True, "code": 200, "reason": "error"})
    assert silent.hangup_cause == base.NORMAL_TEMPORARY_FAILURE and silent.answered
    died = outcome_from_event({"worker_died": True, "answered": True, "duration": 4})
    assert died.hangup_cause == base.NORMAL_TEMPORARY_FAILURE and died.answered


SDP = (
    "v=0\r\nm=audio 4000 RTP/AVP 0 8 120\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\na=rtpmap:120 telephone-event/8000\r\na=fmtp:120 0-16\r\n"
)


def test_telephone_event_is_offered_with_the_trunks_payload_type():
    rewritten = rewrite_dtmf_payload_type(SDP, 101)
    assert "m=audio 4000 RTP/AVP 0 8 101\r\n" in rewritten
    assert "a=rtpmap:101 telephone-event/8000" in rewritten and "a=fmtp:101 0-16" in rewritten
    assert "120" not in rewritten
    assert rewrite_dtmf_payload_type(SDP, 120) == SDP


def test_numbers_and_uris_follow_the_trunk():
    national = TrunkConfig(name="a", proxy="sip:10.0.0.1:5060")
    e164 = TrunkConfig(name="b", proxy="sip:carrier.vn", number_format="e164", transport="tcp")
    assert dial_number(national, "+84912345678") == "0912345678"
    assert sip_uri(national, "+84912345678") == "sip:0912345678@10.0.0.1:5060"
    assert sip_uri(e164, "0912345678") == "sip:+84912345678@carrier.vn;transport=tcp"
    assert sip_uri(national, "sip:agent@pbx.local") == "sip:agent@pbx.local"
