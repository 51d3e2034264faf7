"""Verified caller IDs: one spelling per number, scoped to the account."""

import pytest

from aicall.accounts.callerids import (
    CallerIdError,
    caller_id_key,
    clean_caller_id,
    do_verify_caller_id,
    may_show,
    verified_caller_ids,
)
from aicall.campaigns.models import Campaign
from aicall.campaigns.services import do_create_campaign, do_unverify_caller_id
from tests.conftest import CALLER_ID


def test_one_spelling_per_number():
    assert caller_id_key("+84281234567") == caller_id_key("84281234567") == "0281234567"
    assert clean_caller_id(" 028 1234.567 ") == "0281234567"
    for bad in ("", "abc", "12", "+84 28 1234 567 ext 9"):
        with pytest.raises(CallerIdError):
            clean_caller_id(bad)


def test_verifying_is_idempotent_and_per_account(user, other_user):
    do_verify_caller_id(user.pk, "+84 28 1234 567")
    do_verify_caller_id(user.pk, "0281234567")
    assert verified_caller_ids(user.pk) == [CALLER_ID]
    assert verified_caller_ids(other_user.pk) == []
    assert may_show(user.pk, "84281234567", "")
    assert not may_show(other_user.pk, CALLER_ID, "")
    assert may_show(other_user.pk, CALLER_ID, "+84281234567")  # the trunk's own


def test_withdrawing_a_number_clears_the_campaigns_showing_it(user, other_user):
    shown = do_create_campaign(
        user.pk, {"name": "a", "campaign_type": "ivr", "caller_id": CALLER_ID}
    )
    do_verify_caller_id(other_user.pk, CALLER_ID)
    elsewhere = do_create_campaign(
        other_user.pk, {"name": "b", "campaign_type": "ivr", "caller_id": CALLER_ID}
    )
    assert do_unverify_caller_id(user.pk, "+84281234567") == 1
    assert Campaign.objects.get(pk=shown.pk).caller_id == ""
    assert Campaign.objects.get(pk=elsewhere.pk).caller_id == CALLER_ID  # another account's
    assert not may_show(user.pk, CALLER_ID, "")
    assert do_unverify_caller_id(user.pk, CALLER_ID) is None  # no longer verified
