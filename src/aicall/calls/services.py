"""Writes to calls: importing contacts (the hot path of the API) and do-not-call entries."""

from dataclasses import dataclass

import orjson
from django.db import connection, transaction
from django.utils import timezone

from aicall.calls.contacts import CheckedContacts, check_contacts
from aicall.calls.models import Call, CallStatus, DoNotCall, Priority
from aicall.campaigns.models import Campaign
from aicall.lib.phones import to_e164

_INSERT_COLUMNS = (
    "id, campaign_id, owner_id, phone_e164, phone_as_sent, otp_code, danh_xung, ho_ten, "
    "custom_fields, status, priority, due_at, attempt_count, claimed_by, caller_id, "
    "duration_seconds, key_presses, key_press, hangup_cause, recording, created_at"
)


@dataclass
class ImportOutcome:
    checked: CheckedContacts
    call_ids: list[int]

    @property
    def accepted_count(self) -> int:
        return len(self.call_ids)


def _allocate_ids(count: int) -> list[int]:
    """Reserve `count` call ids inside the current (write-locked) transaction.

    Ids are taken up front so that one executemany inserts every row and the response can
    list each contact's call_id without reading the rows back.
    """
    table = Call._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the IMMEDIATE transaction holds the write lock, so MAX(id) cannot move.
        # sqlite_sequence remembers ids of deleted rows too: never hand one out again.
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT MAX(id) FROM {table}), 0), "  # noqa: S608
            "COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def import_contacts(campaign: Campaign, contacts: list) -> ImportOutcome:
    """Validate `contacts` and queue a call for each accepted one, in one transaction.

    Runs as one multi-row insert with ids allocated beforehand: a 100,000-contact request
    must take seconds, not minutes. The dialer picks the rows up when the campaign runs.
    """
    checked = check_contacts(contacts, otp_required=campaign.is_voice_otp)
    if not checked.accepted:
        return ImportOutcome(checked=checked, call_ids=[])
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    priority = Priority.OTP if campaign.is_voice_otp else Priority.BROADCAST
    queued = CallStatus.QUEUED.value
    campaign_id, owner_id = campaign.pk, campaign.owner_id
    dumps = orjson.dumps
    with transaction.atomic():
        ids = _allocate_ids(len(checked.accepted))
        rows = [
            (
                call_id,
                campaign_id,
                owner_id,
                c.phone_e164,
                str(c.phone_as_sent),
                c.otp_code,
                c.danh_xung,
                c.ho_ten,
                dumps(c.custom_fields).decode() if c.custom_fields else "{}",
                queued,
                priority,
                now,
                0,
                "",
                "",
                0,
                "[]",
                "",
                "",
                "",
                now,
            )
            for call_id, c in zip(ids, checked.accepted, strict=True)
        ]
        placeholders = ", ".join(["%s"] * 21)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {Call._meta.db_table} ({_INSERT_COLUMNS}) "  # noqa: S608
                f"VALUES ({placeholders})",
                rows,
            )
    return ImportOutcome(checked=checked, call_ids=ids)


def do_add_do_not_call(owner_id: int, raw_phone: str, note: str = "") -> DoNotCall | None:
    """Put a number on the account's do-not-call list; None when it is not a valid number."""
    phone = to_e164(raw_phone)
    if phone is None:
        return None
    entry, _ = DoNotCall.objects.get_or_create(
        owner_id=owner_id, phone_e164=phone, defaults={"note": note[:200]}
    )
    return entry


def do_remove_do_not_call(owner_id: int, raw_phone: str) -> bool:
    phone = to_e164(raw_phone)
    if phone is None:
        return False
    deleted, _ = DoNotCall.objects.filter(owner_id=owner_id, phone_e164=phone).delete()
    return deleted > 0
