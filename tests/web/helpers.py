import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook


def csv_file(rows, name="contacts.csv"):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return SimpleUploadedFile(name, out.getvalue().encode("utf-8"), content_type="text/csv")


def xlsx_file(rows, name="contacts.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def upload(client, campaign, file):
    """Upload a file and return the mapping page's URL."""
    response = client.post(f"/campaigns/{campaign.pk}/contacts/", {"file": file})
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def finish(call, *, state, cause, key_press="", called_at=None, duration=0):
    """Give a queued call the outcome the dialer would have stored."""
    from django.utils import timezone

    call.status = "done"
    call.state = state
    call.hangup_cause = cause
    call.key_press = key_press
    call.called_at = called_at or timezone.now()
    call.duration_seconds = duration
    call.save()
    return call


def xlsx_bytes(rows) -> bytes:
    return xlsx_file(rows).read()


def xlsx_with_parts(replaced: dict, rows=(("phone_number",), ("0901234567",))) -> bytes:
    """A real .xlsx whose named parts are replaced: bytes, or a callable writing to the
    part's stream (to make parts far larger than memory, deflated as they are written)."""
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes(rows)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in replaced:
                target.writestr(info, source.read(info.filename))
        for name, content in replaced.items():
            if callable(content):
                with target.open(name, "w", force_zip64=True) as part:
                    content(part)
            else:
                target.writestr(name, content)
    return out.getvalue()


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<sheetData>"
)
SHEET_TAIL = b"</sheetData></worksheet>"


def write_bomb_sheet(total_bytes: int):
    """A worksheet part of `total_bytes` of rows of numbers (deflates ~1000:1)."""

    def write(part):
        part.write(SHEET_HEAD)
        row = b'<row><c t="n"><v>901234567</v></c></row>'
        block = row * 25_000
        written = 0
        while written < total_bytes:
            part.write(block)
            written += len(block)
        part.write(SHEET_TAIL)

    return write


def write_shared_strings(count: int):
    def write(part):
        part.write(
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        )
        for start in range(0, count, 10_000):
            part.write(b"<si><t>x</t></si>" * min(10_000, count - start))
        part.write(b"</sst>")

    return write
