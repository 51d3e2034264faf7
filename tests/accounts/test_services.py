"""The account actions: create, rotate the secret_key, (de)activate, destinations."""

import pytest

from aicall.accounts.models import User
from aicall.accounts.services import (
    do_create_user,
    do_rotate_secret_key,
    do_set_active,
    do_set_restricted_destinations,
    user_for_secret_key,
)
from aicall.accounts.tokens import mint_access_token, user_for_access_token


def test_a_new_account_has_a_secret_key_that_finds_it(db):
    user = do_create_user("a@example.com", "correct horse battery")
    assert user.secret_key and user.check_password("correct horse battery")
    assert user_for_secret_key(user.secret_key) == user
    assert not user.is_staff and not user.allow_restricted_destinations


@pytest.mark.parametrize("wrong", [None, "", 42, "x" * 201, "no-such-key"])
def test_anything_but_the_secret_key_finds_no_account(user, wrong):
    assert user_for_secret_key(wrong) is None


def test_rotating_the_secret_key_retires_the_old_key_and_every_token(user):
    old_key, token = user.secret_key, mint_access_token(user)
    assert user_for_access_token(token) == user
    new_key = do_rotate_secret_key(user)
    assert new_key != old_key and User.objects.get(pk=user.pk).secret_key == new_key
    assert user_for_secret_key(old_key) is None
    assert user_for_access_token(token) is None
    assert user_for_access_token(mint_access_token(User.objects.get(pk=user.pk))) == user


def test_an_inactive_account_is_found_by_neither_key_nor_token(user):
    token = mint_access_token(user)
    do_set_active(user, False)
    assert user_for_secret_key(user.secret_key) is None
    assert user_for_access_token(token) is None
    do_set_active(user, True)
    assert user_for_access_token(token) == user


def test_restricted_destinations_are_the_operators_switch(user):
    do_set_restricted_destinations(user, True)
    assert User.objects.get(pk=user.pk).allow_restricted_destinations
    do_set_restricted_destinations(user, False)
    assert not User.objects.get(pk=user.pk).allow_restricted_destinations


def test_an_expired_or_forged_token_finds_no_account(user, settings):
    expired = mint_access_token(user, now=0)
    assert user_for_access_token(expired) is None
    token = mint_access_token(user)
    assert user_for_access_token(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) is None
    for junk in (None, "", 7, "x" * 2049):
        assert user_for_access_token(junk) is None


def test_an_account_is_found_by_its_email_in_any_case(user, other_user):
    from aicall.accounts.queries import account_by_email

    assert account_by_email("OWNER@example.com") == user
    assert account_by_email("other@example.com") == other_user
    assert account_by_email("nobody@example.com") is None
