"""Writes of IdempotentImport rows: the `Idempotency-Key` of an import, and its first answer.

The API (api/idempotency.py) holds the transaction and the HTTP answer; these functions are
the rows. The unique constraint (owner, key) is the lock: a concurrent request with the
same key waits on the insert (PostgreSQL: the unique index; SQLite: the write lock of the
IMMEDIATE transaction) until the first one commits, then fails the insert and replays.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from aicall.calls.models import IdempotentImport


def do_forget_expired_keys(owner_id: int, created_before: datetime) -> int:
    """Delete the account's keys older than `created_before` (an expired key may be reused)."""
    deleted, _ = IdempotentImport.objects.filter(
        owner_id=owner_id, created_at__lt=created_before
    ).delete()
    return deleted


def do_claim_key(
    owner_id: int, key: str, campaign_id: int, fingerprint: str
) -> IdempotentImport | None:
    """Insert the key's row (answer still empty); None when the key is taken already.

    Call inside the transaction that imports the contacts: if the import fails, the row is
    rolled back with it and the key may be used again.
    """
    try:
        with transaction.atomic():
            return IdempotentImport.objects.create(
                owner_id=owner_id,
                key=key,
                campaign_id=campaign_id,
                body_sha256=fingerprint,
                response_json="",
            )
    except IntegrityError:
        return None


def stored_import(owner_id: int, key: str) -> IdempotentImport:
    """The row of a key `do_claim_key` found taken."""
    return IdempotentImport.objects.get(owner_id=owner_id, key=key)


def do_record_answer(claim: IdempotentImport, body: str, http_status: int) -> None:
    """Keep the first answer to the key, for the replays."""
    claim.response_json = body
    claim.http_status = http_status
    claim.save(update_fields=["response_json", "http_status"])
