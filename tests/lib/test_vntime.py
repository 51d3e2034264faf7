import random
from datetime import UTC, datetime, timedelta

from aicall.lib.vntime import VIETNAM, format_called_at


def test_called_at_is_vietnam_time_in_whole_seconds():
    assert format_called_at(datetime(2026, 1, 5, 3, 0, 59, 999_999, tzinfo=UTC)) == (
        "2026-01-05 10:00:59"
    )
    assert format_called_at(datetime(2026, 1, 5, 23, 30, tzinfo=UTC)) == "2026-01-06 06:30:00"
    assert format_called_at(None) == ""


def test_cached_formatting_agrees_with_strftime_on_random_moments():
    rng = random.Random(3)
    start = datetime(2000, 1, 1, tzinfo=UTC)
    for _ in range(20_000):
        moment = start + timedelta(seconds=rng.uniform(0, 1e9), microseconds=rng.randint(0, 10**6))
        expected = moment.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")
        assert format_called_at(moment) == expected
