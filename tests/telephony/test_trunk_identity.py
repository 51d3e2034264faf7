"""Caller identity, media timeout and health of a trunk: validation, `aicall trunk
add|update|list`, the admin form, and what the carrier receives (TrunkConfig)."""

import io
import json
from contextlib import redirect_stdout

import pytest
from django.core.management import CommandError, call_command

from aicall.telephony.admin import TrunkForm
from aicall.telephony.models import Trunk, TrunkHealth
from aicall.telephony.services import TrunkError, clean_trunk
from aicall.telephony.trunks import trunk_config
from tests.telephony.passwords import password_from_env

BASE = {"name": "t", "proxy": "sip:10.0.0.1:5060"}


def aicall(*args) -> object:
    out = io.StringIO()
    with redirect_stdout(out):
        with password_from_env(args) as argv:
            call_command(*argv)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_identity_flags_reach_the_trunk_config_and_the_list():
    added = aicall(
        "trunk", "add", "--name", "pbx", "--proxy", "sip:10.0.0.1:5060",
        "--username", "u", "--password", "pw-very-secret", "--caller-id", "02873001234",
        "--caller-id-format", "e164", "--display-name", "Shop Hà Nội", "--pai", "on",
        "--privacy", "id", "--header", "X-Account: 42", "--header", "X-Route: vn-south",
        "--media-timeout", "30",
    )  # fmt: skip
    assert added["caller_id_format"] == "e164" and added["display_name"] == "Shop Hà Nội"
    assert added["send_pai"] is True and added["privacy"] == "id"
    assert added["extra_headers"] == {"X-Account": "42", "X-Route": "vn-south"}
    assert added["media_timeout_seconds"] == 30
    assert added["health"]["state"] == "up" and added["health"]["consecutive_timeouts"] == 0
    listed = aicall("trunk", "list")
    assert "pw-very-secret" not in json.dumps(listed) and listed[0]["has_password"] is True
    config = trunk_config(Trunk.objects.get(name="pbx"))
    assert (config.caller_id_format, config.display_name, config.send_pai) == (
        "e164",
        "Shop Hà Nội",
        True,
    )
    assert config.privacy == "id" and config.media_timeout_seconds == 30.0
    assert config.extra_headers == {"X-Account": "42", "X-Route": "vn-south"}
    assert "pw-very-secret" not in repr(config)


@pytest.mark.django_db
def test_update_changes_only_what_is_given_and_keeps_the_password():
    aicall("trunk", "add", "--name", "a", "--proxy", "sip:10.0.0.1:5060", "--username", "u",
           "--password", "pw-1", "--cps", "5")  # fmt: skip
    updated = aicall("trunk", "update", "a", "--pai", "on", "--headers-json", '{"X-A": "1"}')
    assert updated["send_pai"] is True and updated["extra_headers"] == {"X-A": "1"}
    assert updated["cps"] == 5 and updated["username"] == "u"
    trunk = Trunk.objects.get(name="a")
    assert trunk.password == "pw-1" and trunk.calls_per_second == 5
    updated = aicall("trunk", "update", "a", "--headers-json", "{}", "--rename", "b",
                     "--caller-id-format", "as_stored", "--pai", "off")  # fmt: skip
    assert updated["name"] == "b" and updated["extra_headers"] == {}
    assert updated["send_pai"] is False and updated["caller_id_format"] == "as_stored"
    with pytest.raises(CommandError, match="no trunk named a"):
        aicall("trunk", "update", "a", "--pai", "on")


@pytest.mark.django_db
def test_bad_update_changes_nothing():
    aicall("trunk", "add", "--name", "a", "--proxy", "sip:10.0.0.1:5060")
    with pytest.raises(CommandError, match="extra_headers"):
        aicall("trunk", "update", "a", "--header", "Via: SIP/2.0/UDP evil", "--pai", "on")
    trunk = Trunk.objects.get(name="a")
    assert trunk.extra_headers == {} and trunk.send_pai is False


@pytest.mark.django_db
def test_operator_marks_a_trunk_down_and_up():
    aicall("trunk", "add", "--name", "a", "--proxy", "sip:10.0.0.1:5060")
    down = aicall("trunk", "update", "a", "--health", "down")
    assert down["health"]["state"] == "down" and down["health"]["down_since"]
    up = aicall("trunk", "update", "a", "--health", "up")
    assert up["health"]["state"] == "up" and up["health"]["down_since"] is None
    assert Trunk.objects.get(name="a").health == TrunkHealth.UP


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("extra_headers", {"X-Evil": "a\r\nVia: SIP/2.0/UDP 6.6.6.6"}),
        ("extra_headers", {"X-Evil": "a\nb"}),
        ("extra_headers", {"X-Nul": "a\x00b"}),
        ("extra_headers", {"Bad Name": "1"}),
        ("extra_headers", {"X-Colon:": "1"}),
        ("extra_headers", {"": "1"}),
        ("extra_headers", {"X-Empty": ""}),
        ("extra_headers", {"X-Long": "a" * 257}),
        ("extra_headers", {"X-Obj": {"nested": 1}}),
        ("extra_headers", ["X-A: 1"]),
        ("extra_headers", {f"X-{i}": "1" for i in range(11)}),
        ("extra_headers", {"X-A": "1", "x-a": "2"}),
        ("display_name", 'Shop"<sip:evil@x>'),
        ("display_name", "Shop\r\nX: 1"),
        ("display_name", "x" * 65),
        ("privacy", "id\r\nX: 1"),
        ("privacy", "everything"),
        ("caller_id_format", "international"),
        ("media_timeout_seconds", 0),
        ("media_timeout_seconds", 4),
        ("media_timeout_seconds", 3601),
        ("media_timeout_seconds", "soon"),
    ],
)
def test_identity_settings_that_could_break_or_inject_sip_are_refused(field, value):
    with pytest.raises(TrunkError) as caught:
        clean_trunk({**BASE, field: value})
    assert caught.value.field == field


@pytest.mark.parametrize(
    "header",
    ["Via", "v", "From", "to", "Call-ID", "i", "CSeq", "Contact", "m", "Route", "Max-Forwards",
     "Content-Type", "Content-Length", "l", "content-x-anything", "P-Asserted-Identity",
     "Privacy", "Authorization", "Proxy-Authorization", "Record-Route"],
)  # fmt: skip
def test_core_headers_cannot_be_set(header):
    with pytest.raises(TrunkError, match="written by aicall itself"):
        clean_trunk({**BASE, "extra_headers": {header: "1"}})


def test_good_identity_settings_are_normalised():
    data = clean_trunk(
        {
            **BASE,
            "extra_headers": {"X-Account": 42, "P-Preferred-Identity": " <sip:1@x> "},
            "privacy": "ID; Header",
            "display_name": "  Cửa hàng  ",
            "media_timeout_seconds": "45",
        }
    )
    assert data["extra_headers"] == {"X-Account": "42", "P-Preferred-Identity": "<sip:1@x>"}
    assert data["privacy"] == "id; header" and data["display_name"] == "Cửa hàng"
    assert data["media_timeout_seconds"] == 45


@pytest.mark.django_db
def test_admin_form_runs_the_same_checks_and_keeps_the_password():
    trunk = Trunk.objects.create(name="a", proxy="sip:10.0.0.1:5060", username="u", password="pw")
    form_data = {
        "name": "a", "proxy": "sip:10.0.0.1:5060", "transport": "udp", "username": "u",
        "password": "", "caller_id": "", "max_channels": 30, "calls_per_second": 10,
        "number_format": "national", "dtmf_payload_type": 101, "caller_id_format": "national",
        "display_name": "", "privacy": "", "media_timeout_seconds": 20,
        "extra_headers": json.dumps({"Contact": "<sip:evil@x>"}),
    }  # fmt: skip
    form = TrunkForm(data=form_data, instance=trunk)
    assert not form.is_valid()
    assert "written by aicall itself" in str(form.errors)
    form = TrunkForm(
        data={**form_data, "extra_headers": json.dumps({"X-A": "1"}), "send_pai": "on"},
        instance=trunk,
    )
    assert form.is_valid(), form.errors
    form.save()
    trunk.refresh_from_db()
    assert trunk.password == "pw" and trunk.extra_headers == {"X-A": "1"} and trunk.send_pai
