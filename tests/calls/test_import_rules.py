"""The import rules live in the service, so every surface (API, website, test calls) gets
them: a voice-OTP campaign that is not running takes no contacts."""

import pytest

from aicall.calls.models import Call
from aicall.calls.services import ImportRefused, import_contacts, refuses_imports
from aicall.campaigns.services import do_create_campaign, do_start_campaign, do_stop_campaign

OTP_CONTACT = {"phone_number": "0901234560", "otp_code": "123456"}


def test_a_stopped_voice_otp_campaign_takes_no_contacts_and_nothing_is_queued(otp_campaign):
    do_stop_campaign(otp_campaign)
    assert refuses_imports(otp_campaign)
    with pytest.raises(ImportRefused):
        import_contacts(otp_campaign, [OTP_CONTACT])
    assert not Call.objects.exists()


def test_a_running_voice_otp_campaign_takes_them(otp_campaign):
    assert not refuses_imports(otp_campaign)
    assert len(import_contacts(otp_campaign, [OTP_CONTACT]).call_ids) == 1


def test_a_draft_otp_campaign_refuses_until_started(user):
    draft = do_create_campaign(
        user.pk, {"name": "d", "campaign_type": "voice_otp", "caller_id": "0281234567"}
    )
    with pytest.raises(ImportRefused):
        import_contacts(draft, [OTP_CONTACT])
    do_start_campaign(draft)
    assert len(import_contacts(draft, [OTP_CONTACT]).call_ids) == 1


def test_broadcast_campaigns_take_contacts_in_any_status(ivr_campaign):
    assert not refuses_imports(ivr_campaign)  # a draft
    assert len(import_contacts(ivr_campaign, [{"phone_number": "0901234561"}]).call_ids) == 1
    do_stop_campaign(do_start_campaign(ivr_campaign))
    assert len(import_contacts(ivr_campaign, [{"phone_number": "0901234562"}]).call_ids) == 1
