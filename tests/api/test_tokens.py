import time

import jwt
from django.conf import settings

from aicall.accounts.services import do_rotate_secret_key, do_set_active
from aicall.accounts.tokens import mint_access_token
from aicall.api.responses import MSG_BAD_SECRET, MSG_BAD_TOKEN

BAD_TOKEN = (401, {"status": 0, "code": "401", "message": MSG_BAD_TOKEN})


def test_generate_access_token_with_the_secret_key(api, user):
    status, body = api.get("/api/users/generate-access-token", secret_key=user.secret_key)
    assert status == 200 and body["status"] == 1
    token = body["results"]["access_token"]
    payload = jwt.decode(token, settings.SECRET_KEY, algorithms=["HS256"])
    assert payload["user_id"] == user.pk
    assert set(payload) >= {"user_id", "sign", "iat", "exp"}
    assert payload["exp"] - payload["iat"] == 60 * 24 * 3600
    assert api.get("/api/users/call-log", access_token=token)[0] == 200


def test_wrong_or_missing_secret_key_is_401(api, user):
    expected = (401, {"status": 0, "code": "401", "message": MSG_BAD_SECRET})
    assert api.get("/api/users/generate-access-token", secret_key="nope") == expected
    assert api.get("/api/users/generate-access-token") == expected
    assert api.get("/api/users/generate-access-token", secret_key=user.secret_key[:-1]) == expected


def test_rotating_the_secret_key_revokes_older_tokens_at_once(api, user):
    old_key = user.secret_key
    old_token = mint_access_token(user)
    assert api.get("/api/users/call-log", access_token=old_token)[0] == 200
    do_rotate_secret_key(user)
    assert api.get("/api/users/call-log", access_token=old_token) == BAD_TOKEN
    assert api.get("/api/users/generate-access-token", secret_key=old_key)[0] == 401
    status, body = api.get("/api/users/generate-access-token", secret_key=user.secret_key)
    new_token = body["results"]["access_token"]
    assert api.get("/api/users/call-log", access_token=new_token)[0] == 200


def test_malformed_expired_foreign_and_unsigned_tokens_are_401(api, user, token):
    now = int(time.time())
    good = jwt.decode(token, settings.SECRET_KEY, algorithms=["HS256"])
    expired = jwt.encode({**good, "iat": now - 100, "exp": now - 10}, settings.SECRET_KEY)
    foreign = jwt.encode(good, "some other server's key")
    unsigned = jwt.encode(good, None, algorithm="none")
    other_user = jwt.encode({**good, "user_id": user.pk + 1000}, settings.SECRET_KEY)
    missing_sign = jwt.encode({k: v for k, v in good.items() if k != "sign"}, settings.SECRET_KEY)
    for bad in (
        "",
        "garbage",
        token[:-3] + "abc",
        expired,
        foreign,
        unsigned,
        other_user,
        missing_sign,
    ):
        assert api.get("/api/users/call-log", access_token=bad) == BAD_TOKEN, bad
    assert api.get("/api/users/call-log") == BAD_TOKEN


def test_disabled_account_token_is_401(api, user, token):
    do_set_active(user, False)
    assert api.get("/api/users/call-log", access_token=token) == BAD_TOKEN
    assert api.get("/api/users/generate-access-token", secret_key=user.secret_key)[0] == 401


def test_bad_token_on_import_and_export_is_401(api, ivr_campaign):
    path = f"/api/campaigns/{ivr_campaign.pk}"
    body = {"access_token": "x", "contacts": [{"phone_number": "0901234567"}]}
    assert api.post(f"{path}/import", body) == BAD_TOKEN
    assert api.get(f"{path}/export", access_token="x") == BAD_TOKEN


def test_export_checks_the_token_against_the_owners_current_key_and_state(
    api, user, ivr_campaign, other_user
):
    # Export checks token and campaign in one query (api/auth.call_history): the same
    # answers as the long way, whatever is wrong.
    path = f"/api/campaigns/{ivr_campaign.pk}/export"
    token = mint_access_token(user)
    assert api.get(path, access_token=token)[0] == 200
    for campaign_id in ("abc", str(2**70), "0", str(ivr_campaign.pk + 1000)):
        status, body = api.get(f"/api/campaigns/{campaign_id}/export", access_token=token)
        assert (status, body["code"]) == (404, "01"), campaign_id
        assert api.get(f"/api/campaigns/{campaign_id}/export", access_token="x") == BAD_TOKEN
    others = mint_access_token(other_user)
    assert api.get(path, access_token=others)[1]["code"] == "01"
    do_rotate_secret_key(user)
    assert api.get(path, access_token=token) == BAD_TOKEN
    fresh = mint_access_token(user)
    assert api.get(path, access_token=fresh)[0] == 200
    do_set_active(user, False)
    assert api.get(path, access_token=fresh) == BAD_TOKEN
