import pytest
from django.test import Client


@pytest.fixture
def web(user):
    """A browser-like client signed in as `user` (the campaign owner)."""
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def other_web(other_user):
    client = Client()
    client.force_login(other_user)
    return client


@pytest.fixture(autouse=True)
def fresh_cache():
    """Dashboard figures are cached for seconds; ids repeat across tests, so start clean."""
    from django.core.cache import cache

    cache.clear()
