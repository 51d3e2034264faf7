"""Streamed downloads of exactly the calls a filter selects: CSV and Excel."""

import csv
import tempfile
from collections.abc import Iterator

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from openpyxl import Workbook

from aicall.calls.models import Call
from aicall.lib.phones import to_national
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


def rows(calls: QuerySet[Call]) -> Iterator[list]:
    """The calls as rows of HEADER, read from the database in chunks."""
    for row in calls.values_list(*_FIELDS).iterator(chunk_size=2000):
        values = list(row)
        values[3] = to_national(values[3])
        values[6] = format_called_at(values[6])
        values[10] = "" if values[10] is None else values[10]
        yield values


class _Echo:
    def write(self, value: str) -> str:
        return value


def _neutralised(values: list) -> list:
    """Text that a spreadsheet would run as a formula (=, +, -, @ first) gets a quote."""
    return ["'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in values]


def csv_response(calls: QuerySet[Call], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        # A BOM so that Excel opens the UTF-8 (Vietnamese names) correctly.
        yield "\ufeff" + writer.writerow(HEADER)
        for values in rows(calls):
            yield writer.writerow(_neutralised(values))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def xlsx_response(calls: QuerySet[Call], filename: str) -> FileResponse:
    """A write-only workbook spooled to a temporary file, then streamed from it.

    An .xlsx is a zip whose directory comes last, so it cannot go out before it is done;
    write-only mode keeps memory flat however many rows there are.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("calls")
    sheet.append(HEADER)
    for values in rows(calls):
        sheet.append(_neutralised(values))
    spool = tempfile.TemporaryFile(dir=settings.DATA_DIR)  # noqa: SIM115 - FileResponse closes it
    workbook.save(spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=f"{filename}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
