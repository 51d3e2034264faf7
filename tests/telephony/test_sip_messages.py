"""What the SIP carrier reads from the network and writes into headers, without a network."""

import pytest

from aicall.telephony import base
from aicall.telephony.base import TrunkConfig
from aicall.telephony.sip import sipmsg
from aicall.telephony.sip.carrier import outcome_from_event
from aicall.telephony.sip.identity import caller_identity, format_caller_id

RESPONSE_503 = (
    "SIP/2.0 503 Service Unavailable\r\nVia: SIP/2.0/UDP 10.0.0.1\r\n"
    "Retry-After: 300 (overloaded);duration=60\r\nContent-Length: 0\r\n\r\n"
)


def test_retry_after_is_read_from_the_headers_only_and_capped():
    assert sipmsg.retry_after_seconds(RESPONSE_503) == 300
    assert sipmsg.retry_after_seconds("SIP/2.0 486 Busy\r\nretry-after:15\r\n\r\n") == 15
    assert sipmsg.retry_after_seconds("SIP/2.0 503 X\r\nRetry-After: 99999999\r\n\r\n") == 86400
    body_only = "SIP/2.0 503 X\r\nContent-Length: 16\r\n\r\nRetry-After: 5\r\n"
    assert sipmsg.retry_after_seconds(body_only) is None
    assert sipmsg.retry_after_seconds("SIP/2.0 503 X\r\nRetry-After: soon\r\n\r\n") is None
    assert sipmsg.retry_after_seconds("") is None


def test_the_edges_own_failures_are_read_from_its_header_only():
    own = "SIP/2.0 408 No Answer\r\nX-Aicall-Edge: timeout\r\nContent-Length: 0\r\n\r\n"
    assert sipmsg.edge_generated(own)
    assert sipmsg.edge_generated("SIP/2.0 503 Trunk Down\r\nx-aicall-edge:unreachable\r\n\r\n")
    assert not sipmsg.edge_generated("SIP/2.0 408 Request Timeout\r\nVia: x\r\n\r\n")
    body_only = "SIP/2.0 408 X\r\nContent-Length: 22\r\n\r\nX-Aicall-Edge: timeout\r\n"
    assert not sipmsg.edge_generated(body_only)
    assert not sipmsg.edge_generated("SIP/2.0 408 X\r\nX-Aicall-Edge: maybe\r\n\r\n")
    assert not sipmsg.edge_generated("")


def test_status_code_and_contacts_of_a_3xx():
    message = (
        "SIP/2.0 302 Moved Temporarily\r\nContact: <sip:0901234567@10.0.0.1:5080>;q=0.5, "
        "<sip:alice@example.com>\r\nm: sip:+84901234568@10.0.0.1\r\n\r\n"
    )
    assert sipmsg.status_code(message) == 302
    assert sipmsg.status_code("INVITE sip:x SIP/2.0") is None
    assert sipmsg.contact_uris(message) == [
        "sip:0901234567@10.0.0.1:5080",
        "sip:alice@example.com",
        "sip:+84901234568@10.0.0.1",
    ]


TRUNK = {"host": "10.0.0.1:5060", "number_format": "national", "transport": "udp"}


@pytest.mark.parametrize(
    ("target", "uri"),
    [
        ("sip:0901234567@10.0.0.1:5080", "sip:0901234567@10.0.0.1:5080"),  # same host: port
        ("<sip:+84901234567@10.0.0.1;user=phone>", "sip:0901234567@10.0.0.1:5060"),
        ("sip:0901234567@other.example.com:5060", "sip:0901234567@10.0.0.1:5060"),  # trunk
        ("tel:+84-90-123-4567", "sip:0901234567@10.0.0.1:5060"),
        ("sip:alice@10.0.0.1", None),
        ("sip:0901234567%0d%0aX-A:1@10.0.0.1", None),
        ("sip:0901234567\r\nX-A: 1@10.0.0.1", None),
        ("sip:12@10.0.0.1", None),  # too short to be a number
        ("sip:0901234567@10.0.0.1:99999", None),
        ("http://example.com/", None),
    ],
)
def test_a_redirect_is_followed_only_to_a_number_through_the_trunk(target, uri):
    assert sipmsg.redirect_uri(target, TRUNK) == uri


def test_a_followed_redirect_keeps_the_trunks_number_format_and_transport():
    trunk = {"host": "carrier.vn", "number_format": "e164", "transport": "tcp"}
    assert sipmsg.redirect_uri("sip:0901234567@x", trunk) == (
        "sip:+84901234567@carrier.vn;transport=tcp"
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("X-Note", "a\r\nVia: evil"),
        ("X-Note", "bell\x07"),
        ("X Note", "spaces in the name"),
        ("Via", "SIP/2.0/UDP 10.0.0.9"),
        ("p-asserted-identity", "<sip:police@gov>"),
        ("X-Empty", "   "),
        ("X-Long", "x" * 2000),
    ],
)
def test_unsafe_or_reserved_headers_are_refused(name, value):
    with pytest.raises(ValueError):
        sipmsg.check_header(name, value)


def test_caller_id_formats():
    assert format_caller_id("02873001234", "e164") == "+842873001234"
    assert format_caller_id("+842873001234", "national") == "02873001234"
    assert format_caller_id("+842873001234", "as_stored") == "+842873001234"
    assert format_caller_id("", "national") == "anonymous"
    for bad in ("0281<sip:x>", "02873001234\r\nX: 1", "abc"):
        with pytest.raises(ValueError):
            format_caller_id(bad, "as_stored")
    with pytest.raises(ValueError):
        format_caller_id("02873001234", "international")


def test_caller_identity_from_pai_privacy_and_extra_headers():
    trunk = TrunkConfig(
        name="t",
        proxy="sip:10.0.0.1:5060",
        caller_id_format="e164",
        display_name='Cửa hàng "An"',
        send_pai=True,
        privacy="ID",
        extra_headers={"X-Account": "acme"},
    )
    identity = caller_identity(trunk, "02873001234", "10.0.0.1:5060")
    expected_from = '"Cửa hàng \\"An\\"" <sip:+842873001234@10.0.0.1>'
    assert identity["from"] == expected_from
    assert identity["headers"] == [
        ["P-Asserted-Identity", expected_from],
        ["Privacy", "id"],
        ["X-Account", "acme"],
    ]
    plain = caller_identity(TrunkConfig(name="t", proxy="sip:h"), "02873001234", "h")
    assert plain == {"from": "<sip:02873001234@h>", "headers": []}
    for bad in ({"display_name": "A\nB"}, {"privacy": "id\r\nX: 1"}, {"privacy": "secret"}):
        with pytest.raises(ValueError):
            caller_identity(TrunkConfig(name="t", proxy="sip:h", **bad), "0281", "h")


def test_outcomes_for_redirects_codecs_media_timeouts_and_retry_after():
    redirected = outcome_from_event(
        {"answered": False, "code": 302, "reason": "redirected", "redirect_hops": 3}
    )
    assert (redirected.hangup_cause, redirected.sip_code) == (base.REDIRECTED, 302)
    assert redirected.redirect_hops == 3
    codec = outcome_from_event({"answered": True, "code": 488, "reason": "incompatible"})
    assert not codec.answered and codec.hangup_cause == base.INCOMPATIBLE_DESTINATION
    assert codec.sip_code == 488 and codec.duration_seconds == 0
    silent = outcome_from_event(
        {"answered": True, "code": 200, "reason": "media_timeout", "duration": 20.4}
    )
    assert silent.answered and silent.hangup_cause == base.MEDIA_TIMEOUT
    assert silent.duration_seconds == 20.4
    busy = outcome_from_event({"answered": False, "code": 503, "reason": "", "retry_after": 30})
    assert busy.hangup_cause == base.NORMAL_TEMPORARY_FAILURE and busy.retry_after_seconds == 30
