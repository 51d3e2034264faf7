"""Time as the contract writes it: Vietnam time (UTC+7) and epoch milliseconds."""

from datetime import UTC, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")


def format_called_at(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")


def from_epoch_ms(value: object) -> datetime | None:
    """A datetime from epoch milliseconds, or None for anything that is not a sane number."""
    try:
        millis = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    if millis < 0 or millis > 253402300799000:
        return None
    return datetime.fromtimestamp(millis / 1000, tz=UTC)
