"""Contact files (CSV or .xlsx) uploaded on the website: storing, reading, mapping, reporting.

An upload lives in the data dir under the account's id and a random token, so the mapping
step and the report download can find it again and no other account can guess its path.
"""

import csv
import json
import re
import secrets
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from aicall.calls.contacts import SkipReason
from aicall.lib.spreadsheet import safe_row
from aicall.upload_limits import max_upload_bytes, max_upload_megabytes
from aicall.web.spreadsheets import FileRefused, check_file, rows_of

KNOWN_TARGETS = ("phone_number", "otp_code", "danh_xung", "ho_ten")
IGNORE, CUSTOM = "", "custom"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_GUESSES = {
    "phone_number": {
        "phone_number",
        "phone",
        "so_dien_thoai",
        "sdt",
        "dien_thoai",
        "mobile",
        "so_dt",
        "tel",
        "telephone",
        "phone_no",
        "msisdn",
    },
    "otp_code": {"otp_code", "otp", "ma_otp", "code", "ma_xac_thuc"},
    "danh_xung": {"danh_xung", "xung_ho", "salutation", "title"},
    "ho_ten": {"ho_ten", "ho_va_ten", "name", "full_name", "ten", "fullname", "khach_hang"},
}


# Why a file was refused, keyed by the reason code that store() and iter_rows raise.
UploadError = FileRefused
UPLOAD_ERRORS = {
    "csv_or_xlsx": gettext_lazy("Upload a .csv or .xlsx file."),
    "bad_xlsx": gettext_lazy("This file could not be read as an Excel .xlsx workbook."),
    "bad_csv": gettext_lazy("This file could not be read as CSV."),
    "empty": gettext_lazy("The file has no header row."),
    "line_too_long": gettext_lazy("A line of this file is too long to be a row of contacts."),
    "too_many_columns": gettext_lazy("This file has more than %(columns)s columns."),
    "too_many_rows": gettext_lazy("This file has more than %(rows)s rows: split it up."),
    "xlsx_too_big": gettext_lazy(
        "This workbook unpacks to more data than an upload may hold: save it as CSV, "
        "or split it up."
    ),
    "too_large": gettext_lazy(
        "The file is larger than %(megabytes)s MB, the most an upload may be."
    ),
}


def upload_error_message(reason: str) -> str:
    """The sentence shown for a refused file."""
    conf = settings.AICALL
    text = str(UPLOAD_ERRORS.get(reason, reason))
    return (
        text
        % {
            "columns": conf["MAX_UPLOAD_COLUMNS"],
            "rows": f"{conf['MAX_UPLOAD_ROWS']:,}",
            "megabytes": max_upload_megabytes(),
        }
        if "%(" in text
        else text
    )


def refused_upload_form(form_class, request: HttpRequest, reason: str) -> Any:
    """The upload form bound to what came, its only error the reason the file was refused
    (instead of "this field is required" for a file the size limit dropped)."""
    form = form_class(request.POST)
    form.is_valid()
    form.errors.clear()
    form.add_error("file", upload_error_message(reason))
    return form


def _token_of(file_name: str) -> str:
    for suffix in ("-report.csv", ".json", ".csv", ".xlsx"):
        if file_name.endswith(suffix):
            return file_name[: -len(suffix)]
    return file_name


def _expired(mtime: float, now: float | None = None) -> bool:
    return mtime < (now or time.time()) - int(settings.AICALL["UPLOAD_KEEP_SECONDS"])


def sweep_old_uploads(now: float | None = None) -> int:
    """Deletes every account's uploads (file, mapping, report) a day after they were
    uploaded (UPLOAD_KEEP_SECONDS); run at each upload. Returns how many files went."""
    root = Path(settings.MEDIA_ROOT) / "uploads"
    removed = 0
    for folder in root.iterdir() if root.exists() else ():
        groups: dict[str, list[Path]] = {}
        for path in folder.iterdir():
            groups.setdefault(_token_of(path.name), []).append(path)
        for paths in groups.values():
            try:
                uploaded_at = min(path.stat().st_mtime for path in paths)
            except FileNotFoundError:  # another process is sweeping it
                continue
            if _expired(uploaded_at, now):
                for path in paths:
                    path.unlink(missing_ok=True)
                    removed += 1
    return removed


def _root(owner_id: int) -> Path:
    path = Path(settings.MEDIA_ROOT) / "uploads" / str(int(owner_id))
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Upload:
    owner_id: int
    token: str
    meta: dict[str, Any]

    @property
    def path(self) -> Path:
        return _root(self.owner_id) / f"{self.token}.{self.meta['ext']}"

    @property
    def report_path(self) -> Path:
        return _root(self.owner_id) / f"{self.token}-report.csv"

    def save_meta(self) -> None:
        (_root(self.owner_id) / f"{self.token}.json").write_text(json.dumps(self.meta))


def store(owner_id: int, campaign_id: int, upload: UploadedFile) -> Upload:
    """Keeps an uploaded contacts file for the mapping step once it has been read whole
    within the limits (web/spreadsheets.py); UploadError with a reason otherwise."""
    sweep_old_uploads()
    name = upload.name or "contacts"
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ("csv", "xlsx", "txt"):
        raise UploadError("csv_or_xlsx")
    if (upload.size or 0) > max_upload_bytes():
        raise UploadError("too_large")
    item = Upload(
        owner_id,
        secrets.token_urlsafe(18),
        {"campaign_id": campaign_id, "name": name[:200], "ext": "xlsx" if ext == "xlsx" else "csv"},
    )
    with item.path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    try:
        header, encoding = check_file(item.path, item.meta["ext"])
    except UploadError:
        item.path.unlink(missing_ok=True)
        raise
    if not header or not any(cell.strip() for cell in header):
        item.path.unlink(missing_ok=True)
        raise UploadError("empty")
    item.meta["header"] = [cell.strip() for cell in header]
    item.meta["encoding"] = encoding
    item.save_meta()
    return item


def load(owner_id: int, token: str, campaign_id: int) -> Upload | None:
    """The upload if it is this account's and belongs to this campaign."""
    if not _TOKEN.match(token):
        return None
    meta_path = _root(owner_id) / f"{token}.json"
    if not meta_path.exists():
        return None
    meta = json.loads(meta_path.read_text())
    if meta.get("campaign_id") != campaign_id:
        return None
    item = Upload(owner_id, token, meta)
    try:
        if _expired(item.path.stat().st_mtime):
            return None  # due for the sweep
    except FileNotFoundError:
        return None
    return item


def iter_rows(path: Path, ext: str, encoding: str | None = None) -> Iterator[list[str]]:
    """Every row of the file as a list of strings, the header first (streamed)."""
    return rows_of(path, ext, encoding)


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def guess_mapping(header: list[str]) -> list[str]:
    """For each column: a known field, CUSTOM (kept under its name), or IGNORE."""
    taken: set[str] = set()
    mapping = []
    for name in header:
        slug = _slug(name)
        target = next(
            (t for t, names in _GUESSES.items() if slug in names and t not in taken), None
        )
        if target:
            taken.add(target)
            mapping.append(target)
        else:
            mapping.append(CUSTOM if slug else IGNORE)
    return mapping


def custom_key(name: str, index: int) -> str:
    return _slug(name) or f"column_{index + 1}"


def preview(item: Upload, rows: int = 5) -> list[list[str]]:
    out = []
    for n, row in enumerate(iter_rows(item.path, item.meta["ext"], item.meta.get("encoding"))):
        if n == 0:
            continue
        out.append(row)
        if len(out) >= rows:
            break
    return out


def _otp_from_spreadsheet(value: str) -> str:
    """A code a spreadsheet turned into a number gets its leading zeros back.

    Excel reads 012345 as the number 12345 (and saves the CSV that way); the API pads an
    integer code the same way. Anything else is left for the import's own check.
    """
    if value.isdigit() and len(value) < 6 and int(value) > 0:
        return value.zfill(6)
    return value


def contacts_from(item: Upload, mapping: list[str]) -> tuple[list[dict], list[int]]:
    """The data rows as contact objects (the API's shape), and each one's line in the file."""
    header = item.meta["header"]
    contacts, lines = [], []
    for n, row in enumerate(iter_rows(item.path, item.meta["ext"], item.meta.get("encoding"))):
        if n == 0 or not any(cell.strip() for cell in row):
            continue
        contact: dict[str, Any] = {}
        for index, target in enumerate(mapping):
            value = row[index].strip() if index < len(row) else ""
            if target == "otp_code":
                value = _otp_from_spreadsheet(value)
            if target in KNOWN_TARGETS:
                if value:
                    contact[target] = value
            elif target == CUSTOM and value:
                contact[custom_key(header[index], index)] = value
        contacts.append(contact)
        lines.append(n + 1)
    return contacts, lines


def write_report(item: Upload, contacts: list[dict], lines: list[int], checked, call_ids) -> dict:
    """A CSV of every row with its outcome; the summary (counts, first problems) is returned."""
    outcome: dict[int, tuple[str, str, str]] = {}
    for contact, call_id in zip(checked.accepted, call_ids, strict=True):
        outcome[contact.index] = ("accepted", "", str(call_id))
    for index, reason in checked.skipped:
        kind = "duplicate" if reason == SkipReason.DUPLICATE else "invalid"
        outcome[index] = (kind, reason.value, "")
    counts = {"accepted": 0, "duplicate": 0, "invalid": 0}
    problems: list[dict[str, Any]] = []
    with item.report_path.open("w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(["line", "phone_number", "ho_ten", "result", "reason", "call_id"])
        for index, contact in enumerate(contacts):
            kind, reason, call_id = outcome[index]
            counts[kind] += 1
            phone, name = contact.get("phone_number", ""), contact.get("ho_ten", "")
            writer.writerow(safe_row([lines[index], phone, name, kind, reason, call_id]))
            if kind != "accepted" and len(problems) < 200:
                problems.append(
                    {"line": lines[index], "phone": phone, "name": name, "reason": reason}
                )
    summary = {"total": len(contacts), **counts, "problems": problems}
    item.meta["summary"] = summary
    item.save_meta()
    return summary


def import_file(item: Upload, campaign, mapping: list[str]) -> dict:
    """Read the whole file with the chosen mapping and import it like the API does."""
    from aicall.calls.services import import_contacts
    from aicall.campaigns.columns import do_note_contact_columns

    contacts, lines = contacts_from(item, mapping)
    outcome = import_contacts(campaign, contacts)
    do_note_contact_columns(campaign.pk, outcome.checked.accepted)
    item.meta["mapping"] = mapping
    return write_report(item, contacts, lines, outcome.checked, outcome.call_ids)


def phone_column(header: list[str]) -> int:
    """Which column of a do-not-call file holds the numbers (phone-like name, else the first)."""
    for index, name in enumerate(header):
        if _slug(name) in _GUESSES["phone_number"]:
            return index
    return 0
