"""Vietnamese phone numbers: parse the usual written forms into E.164.

`phonenumbers` is the authority on what is a valid number. Parsing costs ~30 µs a number,
too slow for a 100,000-contact import, so the common shapes take a fast path: strip the
separators, find the national significant number, and ask `phonenumbers` once per
(5-digit prefix, length). Vietnam's numbering plan decides validity on the first digits and
the length only, which `tests/lib/test_phones.py` checks against `phonenumbers` itself.
"""

import re

import phonenumbers

_SEPARATORS = re.compile(r"[\s.\-()]+")
# The usual shapes: a prefix, tried in the order a reader would (international, then the
# national trunk prefix 0), and the national significant number (NSN). ASCII digits only.
_USUAL_SHAPE = re.compile(r"(?:\+84|0084|84|0)([1-9][0-9]{7,9})")
# (first five NSN digits, NSN length) -> valid. A few hundred entries at most.
_valid_shapes: dict[tuple[str, int], bool] = {}


def _valid_shape(prefix: str, length: int) -> bool:
    known = _valid_shapes.get((prefix, length))
    if known is None:
        sample = prefix + "0" * (length - len(prefix))
        known = phonenumbers.is_valid_number(phonenumbers.parse("+84" + sample))
        _valid_shapes[(prefix, length)] = known
    return known


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
    # phonenumbers would ignore a trailing NUL, which PostgreSQL cannot store.
    if not isinstance(raw, str) or not raw or len(raw) > 40 or "\x00" in raw:
        return None
    usual = _USUAL_SHAPE.fullmatch(raw) or _USUAL_SHAPE.fullmatch(_SEPARATORS.sub("", raw))
    if usual is not None:
        nsn = usual[1]
        return "+84" + nsn if _valid_shape(nsn[:5], len(nsn)) else None
    return _slow_e164(raw)


def to_national(e164: str) -> str:
    """`+84901234567` -> `0901234567`: the form the original service's export shows."""
    if e164.startswith("+84"):
        return "0" + e164[3:]
    return e164
