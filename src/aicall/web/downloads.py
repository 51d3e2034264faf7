"""Streamed downloads of exactly the calls a filter selects: CSV and Excel."""

import csv
import io
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from openpyxl import Workbook

from aicall.calls.models import Call
from aicall.lib.phones import to_national
from aicall.lib.spreadsheet import safe_row
from aicall.lib.vntime import format_called_at

HEADER = [
    "call_id",
    "campaign_id",
    "caller_id",
    "callee_id",
    "danh_xung",
    "ho_ten",
    "called_at",
    "duration",
    "key_press",
    "note",
    "state",
    "status",
    "attempts",
]
_FIELDS = (
    "id",
    "campaign_id",
    "caller_id",
    "phone_e164",
    "danh_xung",
    "ho_ten",
    "called_at",
    "duration_seconds",
    "key_press",
    "hangup_cause",
    "state",
    "status",
    "attempt_count",
)


BATCH_ROWS = 2000


def _batches(calls: QuerySet[Call]) -> Callable[[], list[list] | None]:
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
        return [_row(values) for values in batch]

    return next_batch


def _row(row: tuple) -> list:
    values = list(row)
    values[3] = to_national(values[3])
    values[6] = format_called_at(values[6])
    values[10] = "" if values[10] is None else values[10]
    return safe_row(values)  # CSV and Excel alike (lib/spreadsheet.py)


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


def csv_response(request: HttpRequest, calls: QuerySet[Call], filename: str):
    next_batch = _batches(calls)
    header_sent = False

    def next_chunk() -> bytes | None:
        nonlocal header_sent
        out = io.StringIO()
        writer = csv.writer(out)
        if not header_sent:
            header_sent = True
            # A BOM so that Excel opens the UTF-8 (Vietnamese names) correctly.
            out.write("\ufeff")
            writer.writerow(HEADER)
            return out.getvalue().encode()
        batch = next_batch()
        if batch is None:
            return None
        writer.writerows(batch)
        return out.getvalue().encode()

    response = StreamingHttpResponse(
        _streamed(request, next_chunk), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(request: HttpRequest, calls: QuerySet[Call], filename: str):
    """A write-only workbook spooled to a temporary file, then streamed from it.

    An .xlsx is a zip whose directory comes last, so it cannot go out before it is done;
    write-only mode keeps memory flat however many rows there are.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("calls")
    sheet.append(HEADER)
    next_batch = _batches(calls)
    while (batch := next_batch()) is not None:
        for values in batch:
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
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
