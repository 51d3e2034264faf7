"""`format=csv` on export and call-log: the same call objects, streamed as CSV.

Text cells a spreadsheet would evaluate as a formula are neutralised (lib/spreadsheet.py).
A download is the whole time range: `limit` and `offset` are ignored (a customer pressing
"download" expects every call of the period, not the first page of ten). Rows are read from
the database in chunks while they are sent, so a million rows take the memory of a chunk.
"""

import csv
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse

from aicall.calls.models import Call
from aicall.calls.queries import iter_call_objects
from aicall.lib.spreadsheet import safe_row

COLUMNS = (
    "call_id",
    "caller_id",
    "callee_id",
    "called_at",
    "duration",
    "key_press",
    "note",
    "state",
)


class _Line:
    """A file-like object whose write() returns what was written (csv.writer needs one)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(calls: QuerySet[Call]) -> Iterator[bytes]:
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield writer.writerow(COLUMNS).encode()
    batch: list[str] = []
    for call in iter_call_objects(calls):
        batch.append(writer.writerow(safe_row([call[column] for column in COLUMNS])))
        if len(batch) >= 500:
            yield "".join(batch).encode()
            batch.clear()
    if batch:
        yield "".join(batch).encode()


def _next_chunk(lines: Iterator[bytes]) -> bytes | None:
    return next(lines, None)


async def _async_lines(lines: Iterator[bytes]) -> AsyncIterator[bytes]:
    # Under ASGI Django would read a sync iterator to the end before sending a byte (it
    # cannot block the event loop), so pull one chunk at a time on the request's thread,
    # where its database connection lives.
    pull = sync_to_async(_next_chunk, thread_sensitive=True)
    while True:
        chunk = await pull(lines)
        if chunk is None:
            return
        yield chunk


def wants_csv(params) -> bool:
    return str(params.get("format", "")).lower() == "csv"


def csv_download(
    request: HttpRequest, calls: QuerySet[Call], filename: str
) -> StreamingHttpResponse:
    lines = csv_lines(calls)
    content = _async_lines(lines) if isinstance(request, ASGIRequest) else lines
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
