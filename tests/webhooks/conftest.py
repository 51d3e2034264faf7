import pytest


@pytest.fixture(autouse=True)
def _receivers_on_loopback(settings):
    """These tests' receivers listen on 127.0.0.1, which the sender refuses by default
    (AICALL_WEBHOOK_ALLOW_PRIVATE=1 allows it); tests/security/test_webhook_destinations.py
    checks the refusal."""
    settings.AICALL = {**settings.AICALL, "WEBHOOK_ALLOW_PRIVATE": True}
