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
