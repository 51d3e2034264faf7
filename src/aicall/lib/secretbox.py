"""Secrets at rest: encrypted with a key derived from AICALL_SECRET.

Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`) with its key derived by HKDF-SHA256
from the installation's secret (`settings.SECRET_KEY`, which is AICALL_SECRET). A database
dump or backup alone then does not reveal a trunk's digest password; every process shares
AICALL_SECRET already, so each can decrypt. Changing AICALL_SECRET makes stored secrets
unreadable: set them again afterwards.
"""

import base64
import logging
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

log = logging.getLogger(__name__)

# Stored values start with this, so that plaintext written before encryption existed is
# recognised (and encrypted on its next save, or by the data migration).
PREFIX = "fernet1:"


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"aicall secrets at rest v1"
    ).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(plaintext: str) -> str:
    """`fernet1:<token>`; the empty string stays empty (no secret set)."""
    if not plaintext:
        return ""
    return PREFIX + _fernet(settings.SECRET_KEY).encrypt(plaintext.encode()).decode()


def decrypt(stored: str) -> str:
    """The plaintext of a stored value (legacy plaintext is returned as it is).

    A value encrypted under another AICALL_SECRET cannot be read: logged (never the value),
    and treated as unset so that the call fails with a digest challenge, not a crash.
    """
    if not stored or not stored.startswith(PREFIX):
        return stored or ""
    try:
        return _fernet(settings.SECRET_KEY).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        log.error("a stored secret cannot be decrypted: was AICALL_SECRET changed? set it again")
        return ""


class EncryptedTextField(models.TextField):
    """A text column holding `encrypt(value)`; Python code sees the plaintext."""

    def from_db_value(self, value, expression, connection):
        return decrypt(value) if value else value

    def get_prep_value(self, value):
        # Python always holds the plaintext (from_db_value decrypted it), so every write
        # encrypts afresh.
        value = super().get_prep_value(value)
        return encrypt(value) if value else value
