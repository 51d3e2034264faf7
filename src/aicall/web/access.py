"""The signed-in account of a request, typed (views are all behind login_required)."""

from typing import cast

from django.http import HttpRequest

from aicall.accounts.models import User


def account(request: HttpRequest) -> User:
    return cast(User, request.user)


def owner_id(request: HttpRequest) -> int:
    return int(cast(User, request.user).pk)
