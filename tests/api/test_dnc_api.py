from aicall.calls.models import DoNotCall


def _post(api, token, path, body):
    return api.post(path, body, Authorization=f"Bearer {token}")


def test_add_list_remove(api, token, user, other_user):
    status, body = _post(
        api,
        token,
        "/api/do-not-call",
        {"phone_numbers": ["0901234567", "+84 91 234 5678"], "note": "asked"},
    )
    assert status == 200 and body["results"] == ["0901234567", "+84 91 234 5678"]
    assert set(DoNotCall.objects.filter(owner=user).values_list("phone_e164", flat=True)) == {
        "+84901234567",
        "+84912345678",
    }
    status, body = api.get("/api/do-not-call", access_token=token)
    assert status == 200 and body["results"]["total"] == 2
    assert {n["phone_number"] for n in body["results"]["numbers"]} == {"0901234567", "0912345678"}
    assert {n["note"] for n in body["results"]["numbers"]} == {"asked"}
    status, body = _post(
        api, token, "/api/do-not-call/remove", {"phone_numbers": ["84901234567", "0931234567"]}
    )
    assert status == 200 and body["results"] == ["84901234567"]
    assert list(DoNotCall.objects.values_list("phone_e164", flat=True)) == ["+84912345678"]
    # Another account sees none of it.
    from aicall.accounts.tokens import mint_access_token

    theirs = api.get("/api/do-not-call", access_token=mint_access_token(other_user))[1]
    assert theirs["results"]["total"] == 0


def test_one_bad_number_adds_nothing(api, token):
    status, body = _post(api, token, "/api/do-not-call", {"phone_numbers": ["0901234567", "12"]})
    assert status == 400 and body["field"] == "phone_numbers" and body["status"] == 0
    status, body = _post(api, token, "/api/do-not-call", {"phone_numbers": "0901234567"})
    assert status == 400 and body["field"] == "phone_numbers"
    assert not DoNotCall.objects.exists()
