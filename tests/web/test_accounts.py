from django.test import Client
from django.urls import reverse

from aicall.accounts.tokens import mint_access_token


def test_sign_in_with_email_and_wrong_password_keeps_the_email(user):
    client = Client()
    response = client.post(
        reverse("web:login"), {"username": "owner@example.com", "password": "wrong"}
    )
    assert response.status_code == 200
    assert 'value="owner@example.com"' in response.text
    assert "errorlist" in response.text or "alert-danger" in response.text
    response = client.post(
        reverse("web:login"),
        {"username": "owner@example.com", "password": "correct horse battery"},
    )
    assert response.status_code == 302
    assert client.get(reverse("web:campaigns")).status_code == 200


def test_pages_need_sign_in(db):
    response = Client().get(reverse("web:campaigns"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_profile_hides_the_secret_until_revealed(web, user):
    page = web.get(reverse("web:profile"))
    assert user.secret_key not in page.text
    assert web.get(reverse("web:reveal_secret")).status_code == 405
    revealed = web.post(reverse("web:reveal_secret"))
    assert user.secret_key in revealed.text
    assert "no-store" in revealed["Cache-Control"]


def test_rotating_the_secret_revokes_old_tokens(web, user, api):
    old_token = mint_access_token(user)
    assert api.get("/api/users/call-log", access_token=old_token)[0] == 200
    confirm = web.get(reverse("web:rotate_secret"))
    assert "access_token" in confirm.text
    user.refresh_from_db()
    old_secret = user.secret_key
    assert web.post(reverse("web:rotate_secret")).status_code == 302
    user.refresh_from_db()
    assert user.secret_key != old_secret
    status, body = api.get("/api/users/call-log", access_token=old_token)
    assert (status, body["code"]) == (401, "401")
    status, _ = api.get("/api/users/generate-access-token", secret_key=old_secret)
    assert status == 401


def test_minted_token_works_with_the_api(web, api):
    response = web.post(reverse("web:new_token"))
    token = response.text.split('id="token-value">')[1].split("<")[0]
    status, body = api.get("/api/users/call-log", access_token=token)
    assert status == 200 and body["status"] == 1


def test_password_change_shows_errors_and_works(web, user):
    bad = web.post(
        reverse("web:password_change"),
        {"old_password": "nope", "new_password1": "x", "new_password2": "y"},
    )
    assert bad.status_code == 200 and "errorlist" in bad.text
    good = web.post(
        reverse("web:password_change"),
        {
            "old_password": "correct horse battery",
            "new_password1": "a much better passphrase",
            "new_password2": "a much better passphrase",
        },
    )
    assert good.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a much better passphrase")


def test_vietnamese_by_default_and_the_switch_to_english(web):
    page = web.get(reverse("web:campaigns"), headers={"accept-language": "en-US,en"})
    assert "Chiến dịch mới" in page.text and '<html lang="vi">' in page.text
    web.post(reverse("set_language"), {"language": "en", "next": "/campaigns/"})
    page = web.get(reverse("web:campaigns"))
    assert "New campaign" in page.text and '<html lang="en">' in page.text
