"""The website's downloads of exactly the calls a filter selects: CSV and Excel.

Made for the people who open them: the campaign's name, the contact's own columns (an
order code comes back next to its call), headers in the reader's language, the state and
the hangup reason in words (the API's raw values in columns of their own), and in .xlsx
real dates and sized columns. The API's `format=csv` is a different, unchanged format
(api/csv_export.py).

Every cell of both formats goes through `_cells()`, the one place that makes a value safe
for a spreadsheet.
"""

import csv
import io
import math
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils import get_column_letter

from aicall.calls.models import Call
from aicall.campaigns.models import Campaign
from aicall.lib.phones import to_national
from aicall.lib.spreadsheet import safe_row
from aicall.lib.vntime import VIETNAM, format_called_at
from aicall.web import labels

BATCH_ROWS = 2000
MAX_CUSTOM_COLUMNS = 100

_FIELDS = (
    "id",
    "campaign__name",
    "campaign_id",
    "caller_id",
    "phone_e164",
    "danh_xung",
    "ho_ten",
    "custom_fields",
    "called_at",
    "duration_seconds",
    "key_press",
    "state",
    "hangup_cause",
    "status",
    "attempt_count",
)


@dataclass
class Layout:
    """The columns of one download, with every word already in the reader's language.

    Built in the request (the language is active there); the rows are written later,
    possibly in another thread, from these plain strings.
    """

    custom: list[str]
    header: list[str]
    widths: list[int]
    states: dict[int, str]
    statuses: dict[str, str]
    causes: dict[str, str]


def custom_columns(calls: QuerySet[Call]) -> list[str]:
    """The contacts' own field names among these calls, in the order the customer gave them.

    That order is the campaigns' `contact_columns` (campaigns/columns.py; jsonb does not
    keep it), then the first call's keys (calls imported before the order was kept), then
    any other name alphabetically.
    """
    campaign_ids = calls.order_by().values("campaign_id").distinct()
    given = Campaign.objects.filter(pk__in=campaign_ids).order_by("pk")
    first = [name for names in given.values_list("contact_columns", flat=True) for name in names]
    first += calls.order_by("id").values_list("custom_fields", flat=True).first() or {}
    inner_sql, params = calls.order_by().values("custom_fields").query.sql_with_params()
    if connection.vendor == "sqlite":
        sql = f"SELECT DISTINCT j.key FROM ({inner_sql}) t, json_each(t.custom_fields) j"  # noqa: S608
    else:
        sql = f"SELECT DISTINCT jsonb_object_keys(t.custom_fields) FROM ({inner_sql}) t"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql + f" LIMIT {MAX_CUSTOM_COLUMNS + 1}", params)
        found = {row[0] for row in cursor.fetchall()}
    ordered = [key for key in dict.fromkeys(first) if key in found]
    ordered += sorted(found - set(ordered))
    return ordered[:MAX_CUSTOM_COLUMNS]


def layout(calls: QuerySet[Call]) -> Layout:
    custom = custom_columns(calls)
    named = [
        ("call_id", 10),
        (_("Campaign"), 28),
        ("campaign_id", 11),
        (_("Caller ID"), 14),
        (_("Phone number"), 14),
        (_("Salutation"), 10),
        (_("Full name"), 24),
    ]
    named += [(name, max(12, min(30, len(name) + 2))) for name in custom]
    named += [
        (_("Called at"), 20),
        (_("Duration (seconds)"), 10),
        (_("Keys"), 14),
        (_("Result"), 16),
        (_("How the call ended"), 28),
        (_("Handling"), 12),
        (_("Attempts"), 9),
        ("state", 7),
        ("note", 24),
    ]
    return Layout(
        custom=custom,
        header=[name for name, _width in named],
        widths=[width for _name, width in named],
        states={k: str(v) for k, v in labels.CALL_STATE.items()},
        statuses={k: str(v) for k, v in labels.CALL_STATUS.items()},
        causes={k: str(v) for k, v in labels.HANGUP_CAUSE.items()},
    )


def _row(values: tuple, cols: Layout) -> list[Any]:
    (
        call_id,
        campaign_name,
        campaign_id,
        caller_id,
        phone,
        danh_xung,
        ho_ten,
        custom,
        called_at,
        duration,
        key_press,
        state,
        note,
        status,
        attempts,
    ) = values
    custom = custom or {}
    row: list[Any] = [
        call_id,
        campaign_name,
        campaign_id,
        caller_id,
        to_national(phone),
        danh_xung,
        ho_ten,
    ]
    row += [_text(custom.get(name)) for name in cols.custom]
    row += [
        called_at,
        duration if called_at else None,
        key_press,
        cols.states.get(state, "") if state is not None else "",
        cols.causes.get(note, note),
        cols.statuses.get(status, status),
        attempts,
        "" if state is None else state,
        note,
    ]
    return row


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _cells(values: list[Any]) -> list[Any]:
    """The one path every downloaded cell takes: text a spreadsheet would run as a formula
    gets a quote (lib/spreadsheet.py, shared with the API's CSV and the upload summary)."""
    return safe_row(values)


def _batches(calls: QuerySet[Call], cols: Layout) -> Callable[[], list[list] | None]:
    """A function returning the next batch of rows (keyset on id), None when done.

    Each batch is a fresh short query, so no cursor stays open across the whole download.
    """
    last_id = 0

    def next_batch() -> list[list] | None:
        nonlocal last_id
        batch = list(calls.filter(id__gt=last_id).order_by("id").values_list(*_FIELDS)[:BATCH_ROWS])
        if not batch:
            return None
        last_id = batch[-1][0]
        return [_cells(_row(values, cols)) for values in batch]

    return next_batch


def _streamed(request: HttpRequest, next_chunk: Callable[[], bytes | None]):
    """Content for a StreamingHttpResponse that really streams under ASGI and WSGI.

    Under ASGI Django reads a synchronous iterator to the end into memory before sending
    anything, so there the chunks come from an async generator, each one produced in a
    worker thread (database access is synchronous).
    """
    if isinstance(request, ASGIRequest):

        async def chunks() -> AsyncIterator[bytes]:
            produce = sync_to_async(next_chunk)
            while (chunk := await produce()) is not None:
                yield chunk

        return chunks()

    def sync_chunks() -> Iterator[bytes]:
        while (chunk := next_chunk()) is not None:
            yield chunk

    return sync_chunks()


def _attachment(response: StreamingHttpResponse, filename: str) -> StreamingHttpResponse:
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def csv_response(request: HttpRequest, calls: QuerySet[Call], filename: str):
    cols = layout(calls)
    next_batch = _batches(calls, cols)
    header_sent = False
    called_at = cols.header.index(_("Called at"))

    def next_chunk() -> bytes | None:
        nonlocal header_sent
        out = io.StringIO()
        writer = csv.writer(out)
        if not header_sent:
            header_sent = True
            # A BOM so that Excel opens the UTF-8 (Vietnamese names) correctly.
            out.write("\ufeff")
            writer.writerow(_cells(cols.header))
            return out.getvalue().encode()
        batch = next_batch()
        if batch is None:
            return None
        for row in batch:
            row[called_at] = format_called_at(row[called_at])
        writer.writerows(batch)
        return out.getvalue().encode()

    response = StreamingHttpResponse(
        _streamed(request, next_chunk), content_type="text/csv; charset=utf-8"
    )
    return _attachment(response, f"{filename}.csv")


def _local(moment: datetime | None) -> datetime | None:
    """Excel has no time zones: the Vietnam wall-clock time, to the second."""
    if moment is None:
        return None
    return datetime.fromtimestamp(math.floor(moment.timestamp()), VIETNAM).replace(tzinfo=None)


def xlsx_response(request: HttpRequest, calls: QuerySet[Call], filename: str):
    """A write-only workbook spooled to a temporary file, then streamed from it.

    An .xlsx is a zip whose directory comes last, so it cannot go out before it is done;
    write-only mode keeps memory flat however many rows there are.
    """
    cols = layout(calls)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Calls")[:31])
    for index, width in enumerate(cols.widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append(_cells(cols.header))
    called_at = cols.header.index(_("Called at"))
    next_batch = _batches(calls, cols)
    while (batch := next_batch()) is not None:
        for values in batch:
            when = _local(values[called_at])
            if when is not None:
                cell = WriteOnlyCell(sheet, value=when)
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
                values[called_at] = cell
            else:
                values[called_at] = None
            sheet.append(values)
    spool = tempfile.TemporaryFile(dir=settings.DATA_DIR)  # noqa: SIM115 - closed when sent
    workbook.save(spool)
    size = spool.tell()
    spool.seek(0)

    def next_chunk() -> bytes | None:
        block = spool.read(64 * 1024)
        if not block:
            spool.close()
            return None
        return block

    response = StreamingHttpResponse(
        _streamed(request, next_chunk),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Length"] = str(size)
    return _attachment(response, f"{filename}.xlsx")
