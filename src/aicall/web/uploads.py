"""Contact files (CSV or .xlsx) uploaded on the website: storing, reading, mapping, reporting.

An upload lives in the data dir under the account's id and a random token, so the mapping
step and the report download can find it again and no other account can guess its path.
"""

import csv
import io
import json
import re
import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from openpyxl import load_workbook

from aicall.calls.contacts import SkipReason

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


class UploadError(ValueError):
    pass


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
    name = upload.name or "contacts"
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ("csv", "xlsx", "txt"):
        raise UploadError("csv_or_xlsx")
    item = Upload(
        owner_id,
        secrets.token_urlsafe(18),
        {"campaign_id": campaign_id, "name": name[:200], "ext": "xlsx" if ext == "xlsx" else "csv"},
    )
    with item.path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    try:
        header = next(iter_rows(item.path, item.meta["ext"]), None)
    except UploadError:
        item.path.unlink(missing_ok=True)
        raise
    if not header or not any(cell.strip() for cell in header):
        item.path.unlink(missing_ok=True)
        raise UploadError("empty")
    item.meta["header"] = [cell.strip() for cell in header]
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
    return Upload(owner_id, token, meta)


def _cell(value: Any) -> str:
    """A spreadsheet cell as the text a person typed (0901234567, not 901234567.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1258"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def iter_rows(path: Path, ext: str) -> Iterator[list[str]]:
    """Every row of the file as a list of strings, the header first."""
    if ext == "xlsx":
        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not xlsx
            raise UploadError("bad_xlsx") from exc
        try:
            sheet = workbook.worksheets[0]
            for row in sheet.iter_rows(values_only=True):
                yield [_cell(value) for value in row]
        finally:
            workbook.close()
        return
    text = _decode(path.read_bytes())
    # The delimiter is whichever candidate the header line uses most (Excel in a Vietnamese
    # locale saves with ";"). csv.Sniffer also guesses quoting, and guesses it wrong on
    # names holding doubled quotes.
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t|", key=first_line.count)
    yield from csv.reader(
        io.StringIO(text), delimiter=delimiter if delimiter in first_line else ","
    )


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
    for n, row in enumerate(iter_rows(item.path, item.meta["ext"])):
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
    for n, row in enumerate(iter_rows(item.path, item.meta["ext"])):
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
            writer.writerow([lines[index], _safe(phone), _safe(name), kind, reason, call_id])
            if kind != "accepted" and len(problems) < 200:
                problems.append(
                    {"line": lines[index], "phone": phone, "name": name, "reason": reason}
                )
    summary = {"total": len(contacts), **counts, "problems": problems}
    item.meta["summary"] = summary
    item.save_meta()
    return summary


def _safe(value: str) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def import_file(item: Upload, campaign, mapping: list[str]) -> dict:
    """Read the whole file with the chosen mapping and import it like the API does."""
    from aicall.calls.services import import_contacts

    contacts, lines = contacts_from(item, mapping)
    outcome = import_contacts(campaign, contacts)
    item.meta["mapping"] = mapping
    return write_report(item, contacts, lines, outcome.checked, outcome.call_ids)


def phone_column(header: list[str]) -> int:
    """Which column of a do-not-call file holds the numbers (phone-like name, else the first)."""
    for index, name in enumerate(header):
        if _slug(name) in _GUESSES["phone_number"]:
            return index
    return 0
