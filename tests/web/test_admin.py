from django.test import Client

from aicall.accounts.services import do_create_user
from aicall.accounts.tokens import user_for_access_token


def test_operator_rotates_and_disables_accounts(user, token):
    operator = do_create_user("ops@example.com", "operator passphrase", is_staff=True)
    operator.is_superuser = True
    operator.save()
    client = Client()
    client.force_login(operator)
    old_secret = user.secret_key
    response = client.post(
        "/admin/accounts/user/", {"action": "rotate_secret_key", "_selected_action": [user.pk]}
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.secret_key != old_secret
    assert user_for_access_token(token) is None
    client.post(
        "/admin/accounts/user/",
        {"action": "disable_accounts", "_selected_action": [user.pk, operator.pk]},
    )
    user.refresh_from_db()
    operator.refresh_from_db()
    assert not user.is_active and operator.is_active
    signed_out = Client()
    response = signed_out.post(
        "/login/", {"username": "owner@example.com", "password": "correct horse battery"}
    )
    assert response.status_code == 200  # refused: stays on the form
    client.post(
        "/admin/accounts/user/", {"action": "enable_accounts", "_selected_action": [user.pk]}
    )
    user.refresh_from_db()
    assert user.is_active


def test_customers_cannot_open_the_admin(web):
    assert web.get("/admin/").status_code == 302
