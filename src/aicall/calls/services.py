"""Writes to calls: importing contacts (the hot path of the API) and do-not-call entries."""

from dataclasses import dataclass
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from aicall.accounts.models import User
from aicall.calls.bulk import CALL, insert_rows
from aicall.calls.contacts import CheckedContacts, check_contacts
from aicall.calls.models import Call, CallStatus, DoNotCall, Priority
from aicall.campaigns.lifecycle import do_reopen_completed
from aicall.campaigns.models import Campaign
from aicall.lib.phones import to_e164


class ImportRefused(Exception):
    """The campaign takes no contacts at all (see `refuses_imports`); nothing was queued."""


def refuses_imports(campaign: Campaign) -> bool:
    """A voice-OTP campaign that is not running takes no contacts: a code read out later
    would be worthless (the original API answers `03`, the website says why)."""
    return campaign.is_voice_otp and not campaign.is_running


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

    Ids are allocated beforehand and every row goes in with one statement: a
    100,000-contact request must take about a second, not minutes. The dialer picks the
    rows up when the campaign runs. ImportRefused when the campaign takes no contacts.
    """
    if refuses_imports(campaign):
        raise ImportRefused(campaign.pk)
    checked = check_contacts(
        contacts,
        otp_required=campaign.is_voice_otp,
        allow_restricted=User.objects.filter(
            pk=campaign.owner_id, allow_restricted_destinations=True
        ).exists(),
    )
    if not checked.accepted:
        return ImportOutcome(checked=checked, call_ids=[])
    now = timezone.now()
    shared = {
        "campaign_id": campaign.pk,
        "owner_id": campaign.owner_id,
        "priority": Priority.OTP if campaign.is_voice_otp else Priority.BROADCAST,
        "due_at": now,
        "created_at": now,
        **_NEW_CALL_DEFAULTS,
    }
    with transaction.atomic():
        ids = _allocate_ids(len(checked.accepted))
        # SQLite reads the rows from one JSON text in C (bulk.py): executemany binding 21
        # values a row from Python took 1.2-1.7 s for 100,000 rows, this 2-3x less
        # (bench/import.py).
        insert_rows(
            CALL,
            shared,
            [
                NewCall(
                    call_id,
                    c.phone_e164,
                    str(c.phone_as_sent),
                    c.otp_code,
                    c.danh_xung,
                    c.ho_ten,
                    c.custom_fields or {},
                )
                for call_id, c in zip(ids, checked.accepted, strict=True)
            ],
        )
        # New contacts for a completed campaign: it runs again and calls them.
        do_reopen_completed(campaign.pk)
    return ImportOutcome(checked=checked, call_ids=ids)


class NewCall(NamedTuple):
    """What a queued call takes from its contact (column names of calls_call)."""

    id: int
    phone_e164: str
    phone_as_sent: str
    otp_code: str
    danh_xung: str
    ho_ten: str
    custom_fields: dict


# The columns of a new call that come neither from the contact nor from the campaign.
_NEW_CALL_DEFAULTS = {
    "status": CallStatus.QUEUED.value,
    "attempt_count": 0,
    "claimed_by": "",
    "caller_id": "",
    "duration_seconds": 0,
    "key_presses": [],
    "key_press": "",
    "hangup_cause": "",
    "recording": "",
}


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
