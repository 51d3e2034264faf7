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
