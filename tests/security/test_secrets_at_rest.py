"""Trunk passwords are stored encrypted with a key derived from AICALL_SECRET."""

import pytest
from django.db import connection

from aicall.lib import secretbox
from aicall.telephony.models import Trunk
from aicall.telephony.services import do_add_trunk
from aicall.telephony.trunks import trunk_config

pytestmark = pytest.mark.django_db


def _stored(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM telephony_trunk WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_the_column_holds_ciphertext_and_the_carrier_gets_the_password():
    trunk = do_add_trunk(
        {"name": "t", "proxy": "sip:203.0.113.5:5060", "username": "u", "password": "pw-42x"}
    )
    stored = _stored(trunk.pk)
    assert stored.startswith(secretbox.PREFIX) and "pw-42x" not in stored
    assert trunk_config(Trunk.objects.get(pk=trunk.pk)).password == "pw-42x"


def test_legacy_plaintext_is_read_and_encrypted_on_save():
    trunk = do_add_trunk({"name": "t", "proxy": "sip:203.0.113.5:5060"})
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE telephony_trunk SET password = 'old-plain' WHERE id = %s", [trunk.pk]
        )
    loaded = Trunk.objects.get(pk=trunk.pk)
    assert loaded.password == "old-plain"
    loaded.save()
    assert _stored(trunk.pk).startswith(secretbox.PREFIX)


def test_another_secret_cannot_read_it(settings, caplog):
    token = secretbox.encrypt("pw-42x")
    settings.SECRET_KEY = "another installation's secret"
    assert secretbox.decrypt(token) == ""
    assert "pw-42x" not in caplog.text and "cannot be decrypted" in caplog.text
