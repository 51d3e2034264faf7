"""Time as the contract writes it: Vietnam time (UTC+7) and epoch milliseconds."""

import math
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

VIETNAM = timezone(timedelta(hours=7), "ICT")


def format_called_at(moment: datetime | None) -> str:
    """`2026-01-05 10:00:00` in Vietnam time; "" for None. Whole seconds, truncated."""
    if moment is None:
        return ""
    return _vietnam_second(math.floor(moment.timestamp()))


# Calls finishing together share their second: the dialer's webhook events and an export's
# pages format the same few seconds again and again (strftime is most of a call object).
@lru_cache(maxsize=4096)
def _vietnam_second(epoch_second: int) -> str:
    return datetime.fromtimestamp(epoch_second, VIETNAM).strftime("%Y-%m-%d %H:%M:%S")


def from_epoch_ms(value: object) -> datetime | None:
    """A datetime from epoch milliseconds, or None for anything that is not a sane number."""
    try:
        millis = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    if millis < 0 or millis > 253402300799000:
        return None
    return datetime.fromtimestamp(millis / 1000, tz=UTC)


def parse_vietnam_time(value: object) -> datetime | None:
    """`"2026-12-02 08:00:00"` (or `…T08:00`, Vietnam time) or epoch ms -> aware datetime."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return from_epoch_ms(int(value))
    text = str(value).strip()
    if text.isdigit():
        return from_epoch_ms(text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=VIETNAM) if parsed.tzinfo is None else parsed
