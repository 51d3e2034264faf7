"""Sign-in throttling on /login/ and /admin/login/: per address and per account."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from aicall.accounts.models import LoginFailure
from aicall.accounts.services import do_create_user

GOOD = "correct horse battery"


def sign_in(client, password, email="owner@example.com", path="/login/"):
    return client.post(path, {"username": email, "password": password})


def test_the_eleventh_wrong_password_is_throttled_with_a_clear_message(user):
    client = Client(REMOTE_ADDR="203.0.113.20")
    for n in range(10):
        answer = sign_in(client, f"wrong-{n}")
        assert answer.status_code == 200
        assert "Too many failed sign-ins" not in answer.text
    throttled = sign_in(client, "wrong-10")
    assert throttled.status_code == 429
    # Vietnamese by default, with how long to wait.
    assert "Đăng nhập sai quá nhiều lần" in throttled.text
    assert "15 phút" in throttled.text
    # Even the right password is refused (not checked) while throttled.
    assert sign_in(client, GOOD).status_code == 429
    assert "_auth_user_id" not in client.session
    english = Client(REMOTE_ADDR="203.0.113.20")
    english.cookies["django_language"] = "en"
    answer = english.post(
        "/login/", {"username": "owner@example.com", "password": GOOD}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 429
    assert "Too many failed sign-ins. Try again in 15 minutes." in answer.text


def test_per_account_throttle_holds_across_addresses(user):
    for n in range(10):
        sign_in(Client(REMOTE_ADDR=f"198.51.100.{n + 1}"), f"wrong-{n}")
    fresh_address = Client(REMOTE_ADDR="198.51.100.200")
    assert sign_in(fresh_address, GOOD).status_code == 429
    # Another account from that address is not affected.
    do_create_user("third@example.com", "third horse battery")
    assert (
        sign_in(fresh_address, "third horse battery", email="third@example.com").status_code == 302
    )


def test_per_address_throttle_holds_across_accounts(user, other_user):
    client = Client(REMOTE_ADDR="203.0.113.30")
    for n in range(10):
        sign_in(client, "wrong", email=f"nobody{n}@example.com")
    assert sign_in(client, "another horse battery", email="other@example.com").status_code == 429
    assert sign_in(Client(REMOTE_ADDR="203.0.113.31"), GOOD).status_code == 302


def test_the_window_slides_and_success_clears_the_account(user):
    client = Client(REMOTE_ADDR="203.0.113.40")
    for n in range(9):
        sign_in(client, f"wrong-{n}")
    assert sign_in(client, GOOD).status_code == 302
    assert not LoginFailure.objects.filter(key="account:owner@example.com").exists()
    # The address keeps its nine: one more failure (any account) and it is throttled.
    sign_in(Client(REMOTE_ADDR="203.0.113.40"), "wrong", email="x@example.com")
    assert sign_in(Client(REMOTE_ADDR="203.0.113.40"), GOOD).status_code == 429
    # Failures older than the window no longer count.
    LoginFailure.objects.update(failed_at=timezone.now() - timedelta(minutes=16))
    assert sign_in(Client(REMOTE_ADDR="203.0.113.40"), GOOD).status_code == 302


def test_admin_login_is_throttled_too(db):
    operator = do_create_user("ops@example.com", "operator passphrase", is_staff=True)
    client = Client(REMOTE_ADDR="203.0.113.50")
    for n in range(10):
        answer = sign_in(client, f"wrong-{n}", email=operator.email, path="/admin/login/")
        assert answer.status_code == 200 and "Too many" not in answer.text
    throttled = sign_in(client, "operator passphrase", email=operator.email, path="/admin/login/")
    assert "Đăng nhập sai quá nhiều lần" in throttled.text or "Too many failed" in throttled.text
    assert "_auth_user_id" not in client.session
    # One budget for both forms: the website's sign-in refuses this account now as well.
    assert sign_in(Client(REMOTE_ADDR="203.0.113.51"), "x", email=operator.email).status_code == 429


@pytest.mark.parametrize(
    "password,reason",
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("1234567890123", "entirely numeric"),
        ("owner@example.com", "too similar"),
    ],
)
def test_password_change_applies_all_four_validators(web, password, reason):
    answer = web.post(
        "/password/",
        {"old_password": GOOD, "new_password1": password, "new_password2": password},
    )
    assert answer.status_code == 200
    web.cookies["django_language"] = "en"
    answer = web.post(
        "/password/",
        {"old_password": GOOD, "new_password1": password, "new_password2": password},
    )
    assert reason in answer.text


def test_a_burst_of_parallel_guesses_gets_no_more_than_ten_checked(transactional_db):
    import threading

    do_create_user("burst@example.com", "burst horse battery")
    answers: list[int] = []
    start = threading.Barrier(25)

    def guess(n: int) -> None:
        client = Client(REMOTE_ADDR="203.0.113.60")
        start.wait()
        answers.append(sign_in(client, f"wrong-{n}", email="burst@example.com").status_code)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(25)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == 25
    assert answers.count(200) <= 10 and answers.count(429) >= 15
    assert set(answers) <= {200, 429}
    assert LoginFailure.objects.filter(key="ip:203.0.113.60").count() == answers.count(200)
