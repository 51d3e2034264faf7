import random

import phonenumbers
import pytest

from aicall.lib.phones import _slow_e164, to_e164, to_national


@pytest.mark.parametrize(
    "written",
    [
        "0901234567",
        "+84901234567",
        "84901234567",
        "84 90 123 4567",
        "090.123.4567",
        "090-123-4567",
        " 0901234567 ",
        "(090) 123 4567",
        "0084901234567",
    ],
)
def test_usual_written_forms_are_one_number(written):
    assert to_e164(written) == "+84901234567"


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "12345",
        "0901234",
        "09012345678901",
        "abc",
        "+1 202 555 0100",
        None,
        901234567.0,
        "0000000000",
    ],
)
def test_not_numbers_are_rejected(bad):
    assert to_e164(bad) is None


def test_landline_and_national_form():
    assert to_e164("028 3822 1234") == "+842838221234"
    assert to_national("+84901234567") == "0901234567"


def test_fast_path_agrees_with_phonenumbers_on_random_numbers():
    """The prefix-cached fast path must say exactly what phonenumbers says."""
    rng = random.Random(7)
    for _ in range(30_000):
        length = rng.choice([8, 9, 10])
        nsn = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(length - 1))
        for written in ("0" + nsn, "+84" + nsn):
            fast = to_e164(written)
            parsed = phonenumbers.parse(written, "VN")
            slow = (
                phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
                if phonenumbers.is_valid_number(parsed) and parsed.country_code == 84
                else None
            )
            assert fast == slow, written
            assert _slow_e164(written) == slow


def test_restricted_shapes_agree_with_phonenumbers_on_random_numbers():
    """The (prefix, length) cache of restricted numbers says what phonenumbers says."""
    from aicall.lib.phones import (
        _RESTRICTED_TYPES,
        RESTRICTED_FIRST_DIGITS,
        is_restricted_destination,
    )

    rng = random.Random(11)
    for n in range(40_000):
        length = rng.choice([7, 8, 9, 10])
        # Half of them in the 1xxx/6x/7x ranges, where the restricted numbers live.
        first = rng.choice("167") if n % 2 else str(rng.randint(1, 9))
        nsn = first + "".join(rng.choice("0123456789") for _ in range(length - 1))
        e164 = to_e164("+84" + nsn)
        if e164 is None:
            continue
        expected = nsn.startswith(("1900", "1800")) or (
            phonenumbers.number_type(phonenumbers.parse(e164)) in _RESTRICTED_TYPES
        )
        assert is_restricted_destination(e164) == expected, e164
        if expected:
            assert nsn[0] in RESTRICTED_FIRST_DIGITS, e164
