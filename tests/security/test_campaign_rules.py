"""Transfer targets and caller IDs, through every surface a customer uses."""

import io
import json
import sys
from contextlib import redirect_stdout

import pytest
from django.core.management import CommandError, call_command

from aicall.accounts.callerids import do_verify_caller_id
from aicall.campaigns.ivr_menu import MenuError, validate_menu
from aicall.campaigns.models import Campaign
from aicall.telephony.base import TrunkConfig
from aicall.telephony.services import do_add_trunk
from aicall.telephony.sip.carrier import SipCarrier
from tests.web.test_campaigns import form_data

pytestmark = pytest.mark.django_db


def transfer_menu(target: str) -> dict:
    return {"keys": {"0": {"action": "transfer", "target": target}}}


REFUSED_TARGETS = [
    "sip:x@evil.example",
    "0901234567\r\nX-Evil: 1",
    "sip:agent@pbx.example.com\r\nContact: <sip:x@evil.example>",
    "sip:agent@pbx.example.com;transport=tcp?Route=%3Csip:evil.example%3E",
    "tel:0901234567",
    "0901\x00234567",
    "19001234",  # premium rate
    "1800 1234",  # toll-free service number
    "+1 202 555 0100",
    "http://evil.example",
]


def aicall(*args):
    out = io.StringIO()
    with redirect_stdout(out):
        call_command(*args)
    return json.loads(out.getvalue())


@pytest.fixture
def allow_list(settings):
    settings.AICALL = {**settings.AICALL, "TRANSFER_SIP_DOMAINS": ["pbx.example.com"]}


@pytest.mark.parametrize("target", REFUSED_TARGETS)
def test_api_refuses_bad_transfer_targets(api, token, allow_list, target):
    status, body = api.post(
        "/api/campaigns",
        {
            "access_token": token,
            "name": "x",
            "campaign_type": "ivr",
            "ivr_menu": transfer_menu(target),
        },
    )
    assert (status, body["code"], body["field"]) == (400, "400", "ivr_menu")
    assert not Campaign.objects.exists()


def test_api_patch_refuses_too_and_changes_nothing(api, token, ivr_campaign, allow_list):
    response = api.client.patch(
        f"/api/campaigns/{ivr_campaign.pk}",
        json.dumps({"access_token": token, "ivr_menu": transfer_menu("sip:x@evil.example")}),
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["field"] == "ivr_menu"
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.ivr_menu == {}


def test_numbers_and_allowed_sip_hosts_are_kept_normalised(allow_list):
    menu = validate_menu(
        {
            "keys": {
                "1": {"action": "transfer", "target": "+84 90 123 4567"},
                "2": {"action": "transfer", "target": "sip:agent@PBX.example.com:5070"},
            }
        }
    )
    assert menu["keys"]["1"]["target"] == "0901234567"
    assert menu["keys"]["2"]["target"] == "sip:agent@pbx.example.com:5070"


def test_premium_transfer_targets_only_when_the_operator_allows(user):
    with pytest.raises(MenuError):
        validate_menu(transfer_menu("19001234"))
    assert validate_menu(transfer_menu("19001234"), allow_restricted=True)["keys"]["0"]["target"]
    aicall("destinations", "allow", "--email", user.email)
    from aicall.campaigns.services import do_create_campaign

    campaign = do_create_campaign(
        user.pk, {"name": "p", "campaign_type": "ivr", "ivr_menu": transfer_menu("19001234")}
    )
    assert campaign.ivr_menu["keys"]["0"]["target"].endswith("19001234")


def test_website_menu_editor_refuses(web, allow_list):
    response = web.post(
        "/campaigns/new/",
        form_data(ivr_menu=json.dumps(transfer_menu("sip:x@evil.example"))),
    )
    assert response.status_code == 200 and "errorlist" in response.text
    assert "evil.example không" in response.text  # the Vietnamese site names the host
    assert not Campaign.objects.exists()


def test_cli_refuses(user, allow_list):
    with pytest.raises(CommandError, match="control characters"):
        aicall(
            "campaign", "create", "--email", user.email, "--name", "x", "--type", "ivr",
            "--ivr-menu", json.dumps(transfer_menu("0901234567\r\nX: y")),
        )  # fmt: skip
    made = aicall(
        "campaign", "create", "--email", user.email, "--name", "x", "--type", "ivr",
        "--ivr-menu", json.dumps(transfer_menu("0901234567")),
    )  # fmt: skip
    assert Campaign.objects.get(pk=made["campaign_id"]).ivr_menu["keys"]["0"]["target"] == (
        "0901234567"
    )


def test_a_stored_bad_target_is_not_dialled(tmp_path):
    """A menu written before the rule (or in the database) is checked again at dial time."""
    carrier = SipCarrier.__new__(SipCarrier)  # no workers: only the plan is built
    trunk = TrunkConfig(name="t", proxy="sip:203.0.113.5:5060")
    menu = {
        "keys": {
            "1": {"action": "transfer", "target": "sip:x@evil.example"},
            "2": {"action": "transfer", "target": "0901234567"},
        }
    }
    plan = carrier._node(None, menu, trunk, [])  # type: ignore[arg-type]  # no speech needed
    assert plan["keys"]["1"] == {"action": "hangup"}
    assert plan["keys"]["2"]["uri"] == "sip:0901234567@203.0.113.5:5060"


# -- caller IDs -----------------------------------------------------------------------------


def test_api_refuses_an_unverified_caller_id(api, token, other_user):
    for caller_id, message in (("0287777777", "not verified"), ("028-1234", "digits only")):
        status, body = api.post(
            "/api/campaigns",
            {"access_token": token, "name": "x", "campaign_type": "ivr", "caller_id": caller_id},
        )
        assert (status, body["code"], body["field"]) == (400, "400", "caller_id")
        assert message in body["message"]
    # Verified for another account is not verified for this one.
    do_verify_caller_id(other_user.pk, "0287777777")
    status, body = api.post(
        "/api/campaigns",
        {"access_token": token, "name": "x", "campaign_type": "ivr", "caller_id": "0287777777"},
    )
    assert status == 400 and body["field"] == "caller_id"
    assert not Campaign.objects.exists()


def test_api_patch_refuses_and_keeps_the_old_caller_id(api, token, ivr_campaign):
    response = api.client.patch(
        f"/api/campaigns/{ivr_campaign.pk}",
        json.dumps({"access_token": token, "caller_id": "0287777777"}),
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["field"] == "caller_id"
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.caller_id == "0281234567"


def test_the_trunks_own_caller_id_and_verified_numbers_pass(api, token, user):
    do_add_trunk({"name": "t", "proxy": "sip:203.0.113.5:5060", "caller_id": "+842873001234"})
    for caller_id in ("02873001234", "0281234567", ""):
        status, body = api.post(
            "/api/campaigns",
            {"access_token": token, "name": "x", "campaign_type": "ivr", "caller_id": caller_id},
        )
        assert status == 200, body


def test_website_refuses_an_unverified_caller_id(web):
    response = web.post("/campaigns/new/", form_data(caller_id="0287777777"))
    assert response.status_code == 200 and "chưa được xác minh" in response.text
    assert not Campaign.objects.exists()


def test_cli_callerid_add_remove_list(user, ivr_campaign):
    with pytest.raises(CommandError, match="not verified"):
        aicall("campaign", "update", str(ivr_campaign.pk), "--caller-id", "0287777777")
    assert aicall("callerid", "add", "--email", user.email, "+84287777777")["caller_ids"] == [
        "0281234567",
        "0287777777",
    ]
    aicall("campaign", "update", str(ivr_campaign.pk), "--caller-id", "0287777777")
    removed = aicall("callerid", "remove", "--email", user.email, "0287777777")
    assert removed["campaigns_cleared"] == 1
    ivr_campaign.refresh_from_db()
    assert ivr_campaign.caller_id == ""  # withdrawn: calls show the trunk's caller ID
    assert aicall("callerid", "list", "--email", user.email)["caller_ids"] == ["0281234567"]
    with pytest.raises(CommandError, match="digits only"):
        aicall("callerid", "add", "--email", user.email, "02x8")


def test_admin_verifies_numbers_for_an_account(admin_client, user):
    page = admin_client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert page.status_code == 200 and b"0281234567" in page.content
    assert b"allow_restricted_destinations" in page.content


def test_trunk_add_takes_the_password_from_stdin_not_argv(monkeypatch):
    from aicall.telephony.models import Trunk

    base = ["trunk", "add", "--proxy", "sip:203.0.113.5:5060", "--username", "u"]
    with pytest.raises(CommandError, match="not accepted"):
        aicall(*base, "--name", "a", "--password", "pw-on-argv")
    monkeypatch.setattr(sys, "stdin", io.StringIO("pw from stdin\n"))
    aicall(*base, "--name", "b", "--password-stdin")
    assert Trunk.objects.get(name="b").password == "pw from stdin"
    monkeypatch.setenv("AICALL_TRUNK_PASSWORD", "pw-env")
    aicall(*base, "--name", "c")
    assert Trunk.objects.get(name="c").password == "pw-env"


def test_digest_credentials_answer_only_the_trunks_realm():
    from aicall.telephony.sip.worker import _realm

    assert _realm({"host": "203.0.113.5:5060", "realm": "sip.carrier.vn"}) == "sip.carrier.vn"
    assert _realm({"host": "sip.carrier.vn:5060", "realm": ""}) == "sip.carrier.vn"
    assert _realm({"host": "[2001:db8::1]:5060"}) == "2001:db8::1"
    assert "*" not in {_realm({"host": h}) for h in ("a:1", "b", "[::1]:2")}
