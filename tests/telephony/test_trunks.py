import io
import json
import os
from contextlib import redirect_stdout
from unittest import mock

import pytest
from django.core.management import CommandError, call_command

from aicall.telephony.models import Trunk
from aicall.telephony.trunks import trunk_config_for


def aicall(*args) -> object:
    """Runs `aicall <args>` and returns the JSON it printed (emit writes to sys.stdout)."""
    out = io.StringIO()
    with redirect_stdout(out):
        call_command(*args)
    return json.loads(out.getvalue())


def add(name, *extra, password=None):
    """`aicall trunk add`; a password goes in AICALL_TRUNK_PASSWORD, never in argv."""
    env = {"AICALL_TRUNK_PASSWORD": password} if password is not None else {}
    with mock.patch.dict(os.environ, env):
        return aicall("trunk", "add", "--name", name, "--proxy", "sip:10.0.0.1:5060", *extra)


@pytest.mark.django_db
def test_first_trunk_is_default_and_list_never_shows_passwords():
    first = add("viettel", "--username", "u1", "--cps", "20", password="pw-secret-1")
    second = add("vnpt", "--number-format", "e164", "--dtmf-pt", "96", "--transport", "tcp")
    assert first["default"] is True and second["default"] is False
    listed = aicall("trunk", "list")
    assert [t["name"] for t in listed] == ["viettel", "vnpt"]
    assert listed[0]["has_password"] is True and listed[0]["cps"] == 20
    assert listed[1]["number_format"] == "e164" and listed[1]["dtmf_payload_type"] == 96
    assert "pw-secret-1" not in json.dumps(listed) + json.dumps(first)
    assert Trunk.objects.get(name="viettel").password == "pw-secret-1"


@pytest.mark.django_db
def test_removing_the_default_promotes_the_oldest_remaining():
    add("a")
    add("b")
    add("c")
    assert aicall("trunk", "remove", "a") == {"removed": "a"}
    assert Trunk.objects.get(is_default=True).name == "b"
    aicall("trunk", "default", "c")
    assert list(Trunk.objects.filter(is_default=True).values_list("name", flat=True)) == ["c"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "extra",
    [
        ("--proxy", "http://x"),
        ("--username", "u"),  # no password
        ("--dtmf-pt", "8"),
        ("--caller-id", "02-81"),
        ("--max-channels", "0"),
    ],
)
def test_bad_trunk_settings_are_refused_and_nothing_is_stored(extra):
    args = ["trunk", "add", "--name", "bad", "--proxy", "sip:h:5060", *extra]
    with pytest.raises(CommandError):
        aicall(*args)
    assert not Trunk.objects.exists()


@pytest.mark.django_db
def test_duplicate_and_unknown_names_are_errors():
    add("a")
    with pytest.raises(CommandError, match="exists"):
        add("a")
    with pytest.raises(CommandError, match="no trunk"):
        aicall("trunk", "remove", "nope")


@pytest.mark.django_db
def test_trunk_for_a_campaign_prefers_campaign_then_account_then_default(ivr_campaign, user):
    assert trunk_config_for(ivr_campaign) is None
    add("default-trunk", "--username", "u", "--max-channels", "5", password="pw-x9")
    add("account-trunk")
    add("campaign-trunk")
    config = trunk_config_for(ivr_campaign)
    assert config is not None and config.name == "default-trunk"
    assert (config.username, config.password, config.max_channels) == ("u", "pw-x9", 5)
    assert "pw-x9" not in repr(config)  # the password stays out of reprs (and so of logs)
    user.default_trunk = Trunk.objects.get(name="account-trunk")
    user.save()
    ivr_campaign.refresh_from_db()
    assert trunk_config_for(ivr_campaign).name == "account-trunk"
    ivr_campaign.trunk = Trunk.objects.get(name="campaign-trunk")
    ivr_campaign.save()
    assert trunk_config_for(ivr_campaign).name == "campaign-trunk"


@pytest.mark.django_db
def test_assign_routes_an_account_or_a_campaign_through_a_trunk(ivr_campaign, user):
    add("default-trunk")
    add("vip")
    assert aicall("trunk", "assign", "vip", "--email", user.email) == {
        "email": user.email,
        "trunk": "vip",
    }
    assert trunk_config_for(ivr_campaign).name == "vip"
    aicall("trunk", "assign", "-", "--email", user.email)
    aicall("trunk", "assign", "default-trunk", "--campaign", str(ivr_campaign.pk))
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.trunk.name == "default-trunk"
    with pytest.raises(CommandError, match="no trunk"):
        aicall("trunk", "assign", "nope", "--campaign", str(ivr_campaign.pk))


@pytest.mark.django_db
def test_admin_never_shows_a_trunk_password(admin_client):
    add("secret-trunk", "--username", "u", password="pw-hidden-42")
    trunk = Trunk.objects.get(name="secret-trunk")
    page = admin_client.get(f"/admin/telephony/trunk/{trunk.pk}/change/")
    assert page.status_code == 200 and b"pw-hidden-42" not in page.content
    listing = admin_client.get("/admin/telephony/trunk/")
    assert listing.status_code == 200 and b"pw-hidden-42" not in listing.content


def test_the_routing_rule_is_one_function_whoever_applies_it():
    from aicall.telephony.trunks import route_trunk_id

    everything = {1, 2, 3}.__contains__
    assert route_trunk_id(1, 2, 3, everything) == 1
    assert route_trunk_id(None, 2, 3, everything) == 2
    assert route_trunk_id(None, None, 3, everything) == 3
    assert route_trunk_id(None, None, None, everything) is None  # the sandbox
    assert route_trunk_id(9, 2, 3, everything) == 2  # a trunk that is gone is skipped
