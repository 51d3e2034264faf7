"""Which caller IDs an account's campaigns may show, and the operator's actions on them.

A campaign's caller ID is either empty (the trunk's own caller ID goes out), the trunk's
caller ID, or a number the operator verified for the account. Digits only: the value ends
up in the From header of every call, so nothing but digits may reach it.
"""

import re

from django.db import IntegrityError, transaction

from aicall.accounts.models import VerifiedCallerId

CALLER_ID = re.compile(r"^[0-9]{3,20}$")
CALLER_ID_WRITTEN = re.compile(r"^\+?[0-9]{3,20}$")
_SEPARATORS = re.compile(r"[\s.\-()]")


class CallerIdError(ValueError):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def caller_id_key(number: str) -> str:
    """One spelling per number: `+84281234567`, `84281234567` and `0281234567` match."""
    digits = number.lstrip("+")
    if digits.startswith("84") and len(digits) >= 10:
        return "0" + digits[2:]
    return digits


def verified_caller_ids(owner_id: int) -> list[str]:
    """The account's verified numbers, as stored (sorted)."""
    return list(
        VerifiedCallerId.objects.filter(owner_id=owner_id)
        .order_by("number")
        .values_list("number", flat=True)
    )


def may_show(owner_id: int, caller_id: str, trunk_caller_id: str) -> bool:
    """True when `caller_id` is the trunk's own caller ID or verified for the account."""
    key = caller_id_key(caller_id)
    if trunk_caller_id and caller_id_key(trunk_caller_id) == key:
        return True
    return VerifiedCallerId.objects.filter(owner_id=owner_id, number=key).exists()


def clean_caller_id(number: str) -> str:
    """The key of a written caller ID (digits, an optional +); CallerIdError if it is none."""
    text = _SEPARATORS.sub("", number.strip())
    if not CALLER_ID_WRITTEN.match(text):
        raise CallerIdError(f"not a phone number (digits only): {number!r}")
    return caller_id_key(text)


def do_verify_caller_id(owner_id: int, number: str, note: str = "") -> VerifiedCallerId:
    """Operator: the account may show `number` (idempotent)."""
    key = clean_caller_id(number)
    try:
        with transaction.atomic():
            entry, _ = VerifiedCallerId.objects.get_or_create(
                owner_id=owner_id, number=key, defaults={"note": note[:200]}
            )
    except IntegrityError:  # a concurrent add of the same number
        entry = VerifiedCallerId.objects.get(owner_id=owner_id, number=key)
    return entry
