"""Vietnamese phone numbers: parse the usual written forms into E.164.

`phonenumbers` is the authority on what is a valid number. Parsing costs ~30 µs a number,
too slow for a 100,000-contact import, so the common shapes take a fast path: strip the
separators, find the national significant number, and ask `phonenumbers` once per
(5-digit prefix, length). Vietnam's numbering plan decides validity on the first digits and
the length only, which `tests/lib/test_phones.py` checks against `phonenumbers` itself.
"""

import re
from functools import lru_cache

import phonenumbers

_SEPARATORS = re.compile(r"[\s.\-()]+")
# Prefixes in the order a reader tries them: international, then national trunk prefix 0.
_PREFIXES = ("+84", "0084", "84", "0")


@lru_cache(maxsize=65536)
def _valid_shape(prefix: str, length: int) -> bool:
    sample = prefix + "0" * (length - len(prefix))
    return phonenumbers.is_valid_number(phonenumbers.parse("+84" + sample))


def _slow_e164(raw: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        return None
    # aicall calls Vietnam: a valid foreign number is still not a contact it can dial.
    if number.country_code != 84 or not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def to_e164(raw: object) -> str | None:
    """The number in E.164 (`+84901234567`), or None when it is not a valid Vietnamese number."""
    if not isinstance(raw, str) or not raw or len(raw) > 40:
        return None
    written = raw if raw.isdigit() else _SEPARATORS.sub("", raw)
    for prefix in _PREFIXES:
        if written.startswith(prefix):
            nsn = written[len(prefix) :]
            if 8 <= len(nsn) <= 10 and nsn[0] != "0" and nsn.isascii() and nsn.isdigit():
                return "+84" + nsn if _valid_shape(nsn[:5], len(nsn)) else None
            break
    return _slow_e164(raw)


def to_national(e164: str) -> str:
    """`+84901234567` -> `0901234567`: the form the original service's export shows."""
    if e164.startswith("+84"):
        return "0" + e164[3:]
    return e164
