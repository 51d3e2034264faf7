"""`format=csv` on export and call-log: the same call objects, streamed as CSV.

Text cells a spreadsheet would evaluate as a formula are neutralised (lib/spreadsheet.py).
A download is the whole time range: `limit` and `offset` are ignored (a customer pressing
"download" expects every call of the period, not the first page of ten). Rows are read from
the database in chunks while they are sent, so a million rows take the memory of a chunk.

A download carries an `ETag` (`If-None-Match` gets 304) like the JSON pages. The body
cannot be hashed before it is streamed, so the tag is derived from which calls the range
holds: a finished call never changes again and leaves the range only when deleted, so the
count, the largest id and the sum of the ids name the rows, hence the bytes.
"""

import csv
import hashlib
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db.models import Count, Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.cache import get_conditional_response

from aicall.calls.models import Call
from aicall.calls.queries import CallHistory, finished_calls, iter_call_objects, page_from_query
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


# Part of every tag: a change of the columns or their format must change the tags.
_FORMAT = "csv-1:" + ",".join(COLUMNS)


def csv_etag(calls: QuerySet[Call]) -> str:
    """A strong ETag for the CSV of `calls` (finished calls; see the module's doc)."""
    rows = calls.order_by().aggregate(n=Count("id"), top=Max("id"), ids=Sum("id"))
    seed = f"{_FORMAT}:{rows['n']}:{rows['top']}:{rows['ids']}".encode()
    return '"' + hashlib.blake2b(seed, digest_size=16).hexdigest() + '"'


def csv_download(
    request: HttpRequest, history: CallHistory
) -> HttpResponse | StreamingHttpResponse:
    """The finished calls of `history` in the query's time range, as a CSV attachment."""
    page = page_from_query(request.GET, history.started_at)
    campaign_id = history.campaign_id
    calls = finished_calls(owner_id=history.owner_id, campaign_id=campaign_id, page=page)
    filename = f"campaign-{campaign_id}-calls.csv" if campaign_id else "call-log.csv"
    etag = csv_etag(calls)
    unchanged = get_conditional_response(request, etag=etag)
    if unchanged is not None:  # 304: the client's copy is current
        unchanged["ETag"] = etag
        unchanged["Cache-Control"] = "no-store"
        return unchanged
    lines = csv_lines(calls)
    content = _async_lines(lines) if isinstance(request, ASGIRequest) else lines
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    response["ETag"] = etag
    return response
