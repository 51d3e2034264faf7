import os

import pytest
from django.test import Client

from aicall.accounts.callerids import do_verify_caller_id
from aicall.accounts.services import do_create_user
from aicall.accounts.tokens import mint_access_token
from aicall.campaigns.services import do_create_campaign

# The caller ID the fixtures' campaigns show. Campaigns may only show a number the
# operator verified for the account (or the trunk's own), so the fixture account has it
# verified, as an operator would (`aicall callerid add`); tests/campaigns/test_caller_ids.py
# checks that an unverified one is refused.
CALLER_ID = "0281234567"


@pytest.fixture
def user(db):
    owner = do_create_user("owner@example.com", "correct horse battery")
    do_verify_caller_id(owner.pk, CALLER_ID, "test fixture")
    return owner


@pytest.fixture
def other_user(db):
    return do_create_user("other@example.com", "another horse battery")


@pytest.fixture
def token(user):
    return mint_access_token(user)


@pytest.fixture
def ivr_campaign(user):
    return do_create_campaign(
        user.pk, {"name": "Reminders", "campaign_type": "ivr", "caller_id": "0281234567"}
    )


@pytest.fixture
def otp_campaign(user):
    return do_create_campaign(
        user.pk,
        {"name": "OTP", "campaign_type": "voice_otp", "caller_id": "0281234567"},
        start=True,
    )


class Api:
    """A test client speaking the contract: JSON in, (status, JSON) out."""

    def __init__(self) -> None:
        self.client = Client()

    def get(self, path: str, **params):
        response = self.client.get(path, params)
        return response.status_code, response.json()

    def post(self, path: str, body=None, *, raw: bytes | None = None, query: str = "", **headers):
        import json

        data = raw if raw is not None else json.dumps(body)
        url = f"{path}?{query}" if query else path
        response = self.client.post(url, data, content_type="application/json", headers=headers)
        return response.status_code, response.json()


@pytest.fixture
def api():
    return Api()


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit budgets live in process memory: give every test its own."""
    from aicall.api import ratelimit

    ratelimit.accounts.clear()
    ratelimit.token_failures.clear()


# Fixtures through which a test reaches a database (pytest-django's, and the servers the
# browser tests start on the database DATABASE_URL names).
_DATABASE_FIXTURES = frozenset(
    {"db", "transactional_db", "django_db_reset_sequences", "django_db_serialized_rollback",
     "live_server", "server"}
)  # fmt: skip


def _uses_a_database(item: pytest.Item) -> bool:
    return item.get_closest_marker("django_db") is not None or bool(
        _DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))
    )


def pytest_collection_modifyitems(config, items):
    """On the test command's second pass (PostgreSQL) run only the tests that touch a database.

    pytest-django refuses database access to a test without the mark or a database
    fixture, so such a test (SIPp calls, speech, parsers, policy) gives the same result on
    either database: the first pass (SQLite) has already run it.
    """
    if os.environ.get("AICALL_TEST_DATABASE_PASS_ONLY") != "1":
        return
    kept, deselected = [], []
    for item in items:
        (kept if _uses_a_database(item) else deselected).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, and at the end no session left on it but ours.

    Threads that served requests in-process (the ASGI lanes, the dialer's loop) keep their
    persistent connections (CONN_MAX_AGE) after their test; PostgreSQL refuses to drop a
    database with sessions on it, so the test database would outlive the run.
    """
    yield
    with django_db_blocker.unblock():
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
