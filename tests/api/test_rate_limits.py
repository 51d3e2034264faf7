import pytest
from django.test import Client

from aicall.api.ratelimit import TokenBuckets


@pytest.fixture
def small_budget(settings):
    settings.AICALL = {**settings.AICALL, "API_RATE_PER_SECOND": 0.001, "API_RATE_BURST": 5}


def test_account_budget_gives_429_with_retry_after(small_budget, token, user, other_user):
    from aicall.accounts.tokens import mint_access_token

    client = Client()
    answers = [client.get("/api/users/call-log", {"access_token": token}) for _ in range(7)]
    assert [a.status_code for a in answers] == [200] * 5 + [429] * 2
    assert [a["RateLimit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
    assert answers[0]["RateLimit-Limit"] == "5"
    refused = answers[5]
    body = refused.json()
    assert body["status"] == 0 and body["code"] == "429"
    assert int(refused["Retry-After"]) >= 900  # one request per 1000 s refills
    assert refused["RateLimit-Remaining"] == "0"
    # A second token of the same account shares the budget; another account has its own.
    again = client.get("/api/users/call-log", {"access_token": mint_access_token(user)})
    assert again.status_code == 429
    theirs = client.get("/api/users/call-log", {"access_token": mint_access_token(other_user)})
    assert theirs.status_code == 200


def test_a_refused_import_imports_nothing(small_budget, api, token, ivr_campaign):
    from aicall.calls.models import Call

    body = {"access_token": token, "contacts": [{"phone_number": "0901234567"}]}
    statuses = [api.post(f"/api/campaigns/{ivr_campaign.pk}/import", body)[0] for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    assert Call.objects.count() == 5


def test_default_budget_is_far_above_normal_use(token):
    client = Client()
    answers = [client.get("/api/users/call-log", {"access_token": token}) for _ in range(300)]
    assert {a.status_code for a in answers} == {200}
    assert int(answers[-1]["RateLimit-Remaining"]) >= 700


def test_guessing_secret_keys_is_slowed_per_address(settings, user):
    settings.AICALL = {**settings.AICALL, "TOKEN_FAILURES_BURST": 3}
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    answers = [
        guesser.get("/api/users/generate-access-token", {"secret_key": f"guess{n}"})
        for n in range(5)
    ]
    assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]
    refused = answers[-1]
    assert int(refused["Retry-After"]) > 0 and refused.json()["code"] == "429"
    # Another address has its own budget, and successes cost nothing.
    customer = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(10):
        ok = customer.get("/api/users/generate-access-token", {"secret_key": user.secret_key})
        assert ok.status_code == 200
    assert customer.get("/api/users/generate-access-token", {"secret_key": "x"}).status_code == 401


def test_a_valid_secret_key_is_accepted_right_after_ten_wrong_ones(user):
    # The default budget: ten failures. The eleventh wrong key is refused, the right key
    # from the same address is not (only failures count, and never against the owner).
    same_address = Client(REMOTE_ADDR="203.0.113.10")
    url = "/api/users/generate-access-token"
    codes = [same_address.get(url, {"secret_key": f"wrong-{n}"}).status_code for n in range(10)]
    assert codes == [401] * 10
    assert same_address.get(url, {"secret_key": "wrong-10"}).status_code == 429
    accepted = same_address.get(url, {"secret_key": user.secret_key})
    assert accepted.status_code == 200
    token = accepted.json()["results"]["access_token"]
    assert same_address.get("/api/users/call-log", {"access_token": token}).status_code == 200
    assert same_address.get(url, {"secret_key": "wrong-11"}).status_code == 429


def test_token_bucket_refills_over_time():
    now = [0.0]
    buckets = TokenBuckets(clock=lambda: now[0])
    assert [buckets.take("k", rate=1.0, burst=2).allowed for _ in range(3)] == [True, True, False]
    refused = buckets.take("k", rate=1.0, burst=2)
    assert refused.retry_after_seconds == 1 and refused.reset_seconds == 2
    now[0] = 1.0
    assert buckets.take("k", rate=1.0, burst=2).allowed
    assert not buckets.take("k", rate=1.0, burst=2).allowed
    now[0] = 100.0
    assert buckets.take("k", rate=1.0, burst=2).remaining == 1
