"""`Idempotency-Key` on import: a retried request gets the first answer, nobody is called twice.

The key is claimed by inserting its row in the same transaction that imports the contacts.
The unique constraint (owner, key) is the lock: a concurrent request with the same key waits
on the insert (PostgreSQL: the unique index; SQLite: the write lock of the IMMEDIATE
transaction) until the first one commits, then fails the insert and replays the stored
answer. If the first request fails, its row is rolled back with the import.
"""

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta

import orjson
from django.conf import settings
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

from aicall.api.responses import fail
from aicall.calls.idempotency import (
    do_claim_key,
    do_forget_expired_keys,
    do_record_answer,
    stored_import,
)
from aicall.calls.models import IdempotentImport

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
KEY_MAX_CHARS = 200
KEY_PATTERN = rf"^[\x21-\x7e]{{1,{KEY_MAX_CHARS}}}$"  # printable ASCII, no spaces
MSG_BAD_KEY = f"Idempotency-Key must be 1 to {KEY_MAX_CHARS} printable ASCII characters"
MSG_CONFLICT = (
    "Idempotency-Key was already used for a different request in the last 24 hours; "
    "use a new key for new contacts"
)
_KEY = re.compile(KEY_PATTERN)


def request_fingerprint(campaign_id: int, contacts: list) -> str:
    """What makes two imports "the same": the campaign and the contacts, not the token
    (a client may refresh its access_token between retries) nor the JSON's whitespace."""
    canonical = orjson.dumps([campaign_id, contacts], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def _ttl() -> timedelta:
    return timedelta(seconds=int(settings.AICALL["IDEMPOTENCY_TTL_SECONDS"]))


def _replay(stored: IdempotentImport) -> HttpResponse:
    response = HttpResponse(
        stored.response_json,
        status=stored.http_status,
        content_type="application/json; charset=utf-8",
    )
    response[REPLAY_HEADER] = "true"
    return response


def idempotent_import(
    owner_id: int, key: str, campaign_id: int, contacts: list, run: Callable[[], HttpResponse]
) -> HttpResponse:
    """`run()` once per (account, key) for 24 hours; later calls get its stored answer."""
    if not _KEY.match(key):
        return fail("400", MSG_BAD_KEY, 400, field=HEADER)
    fingerprint = request_fingerprint(campaign_id, contacts)
    cutoff = timezone.now() - _ttl()
    with transaction.atomic():
        # An expired key may be reused: forget this account's expired keys first.
        do_forget_expired_keys(owner_id, cutoff)
        claim = do_claim_key(owner_id, key, campaign_id, fingerprint)
        if claim is None:
            stored = stored_import(owner_id, key)
            if stored.body_sha256 != fingerprint or stored.campaign_id != campaign_id:
                return fail("409", MSG_CONFLICT, 409, field=HEADER)
            return _replay(stored)
        response = run()
        if response.status_code != 200:
            # Only an import that happened is remembered; anything else may be retried.
            transaction.set_rollback(True)
            return response
        do_record_answer(claim, response.content.decode(), response.status_code)
    return response
