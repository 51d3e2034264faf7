import json
import threading
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from aicall.accounts.tokens import mint_access_token
from aicall.calls.models import Call, IdempotentImport
from aicall.campaigns.services import do_create_campaign

CONTACTS = [{"phone_number": "0901234567", "ho_ten": "A"}, {"phone_number": "0912345678"}]


def _import(client, campaign, key, *, token, contacts=CONTACTS, token_in_body=False):
    body = {"contacts": contacts}
    query = ""
    if token_in_body:
        body["access_token"] = token
    else:
        query = f"?access_token={token}"
    headers = {"Idempotency-Key": key} if key is not None else {}
    return Client().post(
        f"/api/campaigns/{campaign.pk}/import{query}",
        json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def test_replay_returns_the_first_answer_and_imports_nobody_again(token, otp_campaign):
    contacts = [{**c, "otp_code": "123456"} for c in CONTACTS]
    first = _import(None, otp_campaign, "order-42", token=token, contacts=contacts)
    assert first.status_code == 200 and "Idempotent-Replayed" not in first
    ids = [r["call_id"] for r in first.json()["results"]]
    assert len(ids) == 2
    # A retry, this time with the token in the body: the same request for our purposes.
    again = _import(
        None, otp_campaign, "order-42", token=token, contacts=contacts, token_in_body=True
    )
    assert (again.status_code, again.content) == (200, first.content)
    assert again["Idempotent-Replayed"] == "true"
    assert sorted(Call.objects.values_list("id", flat=True)) == sorted(ids)
    # Without the key the same body is a new import, as in the original API.
    assert _import(None, otp_campaign, None, token=token, contacts=contacts).status_code == 200
    assert Call.objects.count() == 4


def test_same_key_with_other_contacts_or_campaign_is_refused(token, user, ivr_campaign):
    assert _import(None, ivr_campaign, "k1", token=token).status_code == 200
    other = _import(
        None, ivr_campaign, "k1", token=token, contacts=[{"phone_number": "0931234567"}]
    )
    assert other.status_code == 409
    body = other.json()
    assert body["status"] == 0 and body["code"] == "409" and body["field"] == "Idempotency-Key"
    second = do_create_campaign(user.pk, {"name": "2", "campaign_type": "ivr"})
    assert _import(None, second, "k1", token=token).status_code == 409
    assert Call.objects.count() == 2


def test_keys_expire_after_a_day_and_belong_to_one_account(token, ivr_campaign, other_user):
    first = _import(None, ivr_campaign, "daily", token=token)
    IdempotentImport.objects.update(created_at=timezone.now() - timedelta(hours=25))
    later = _import(None, ivr_campaign, "daily", token=token)
    assert later.status_code == 200 and "Idempotent-Replayed" not in later
    assert later.content != first.content and Call.objects.count() == 4
    theirs = do_create_campaign(other_user.pk, {"name": "t", "campaign_type": "ivr"})
    answer = _import(None, theirs, "daily", token=mint_access_token(other_user))
    assert answer.status_code == 200 and "Idempotent-Replayed" not in answer
    assert Call.objects.count() == 6


def test_failed_requests_are_not_remembered(token, otp_campaign):
    from aicall.campaigns.services import do_start_campaign, do_stop_campaign

    contacts = [{"phone_number": "0901234567", "otp_code": "123456"}]
    do_stop_campaign(otp_campaign)
    assert (
        _import(None, otp_campaign, "retry-me", token=token, contacts=contacts).status_code == 409
    )
    do_start_campaign(otp_campaign)
    answer = _import(None, otp_campaign, "retry-me", token=token, contacts=contacts)
    assert answer.status_code == 200 and answer.json()["status"] == 1
    assert Call.objects.count() == 1


def test_malformed_key_is_400(token, ivr_campaign):
    for key in ("x" * 201, "has space", ""):
        answer = _import(None, ivr_campaign, key, token=token)
        assert answer.status_code == 400 and answer.json()["field"] == "Idempotency-Key", key
    assert not Call.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_import_once(user):
    campaign = do_create_campaign(user.pk, {"name": "race", "campaign_type": "ivr"})
    token = mint_access_token(user)
    contacts = [{"phone_number": f"0901{i:06d}"} for i in range(2000)]
    answers: list = []
    barrier = threading.Barrier(4)

    def send():
        from django.db import connection

        barrier.wait()
        try:
            answers.append(_import(None, campaign, "race-key", token=token, contacts=contacts))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [a.status_code for a in answers] == [200] * 4
    assert len({a.content for a in answers}) == 1
    assert sum(1 for a in answers if a.has_header("Idempotent-Replayed")) == 3
    assert Call.objects.filter(campaign=campaign).count() == 2000
