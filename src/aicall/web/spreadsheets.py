"""Reading uploaded CSV and .xlsx files within fixed bounds of memory and time.

A file is checked whole when it is uploaded (`check_file`), before anyone maps or imports
it, so a file that is too big in any way is refused with a reason at once:

- CSV is streamed: the encoding is found reading the file in chunks, then rows are read
  line by line with a cap on a line's length, so a 20 MB line of commas never becomes a
  list of twenty million cells.
- .xlsx is a zip of XML. Before openpyxl opens it, `zipfile` reads the sizes its parts
  unpack to (Python's zipfile never inflates a part past its declared size) and refuses a
  total above `MAX_XLSX_UNPACKED_BYTES`; an XML part with a DOCTYPE (entity expansion) is
  refused; the shared strings (which openpyxl keeps in memory even in read-only mode) are
  counted, and each worksheet's rows and cells per row, streaming, with a cap. Only then
  is openpyxl used, in read-only mode.
- Both: at most `MAX_UPLOAD_ROWS` data rows and `MAX_UPLOAD_COLUMNS` columns.
"""

import codecs
import csv
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError, iterparse

from django.conf import settings
from openpyxl import load_workbook

# A CSV line longer than this is refused (100 columns of 2,500 characters fit).
MAX_LINE_CHARS = 256 * 1024
# Cells one worksheet row may list before trimming empty ones (Excel writes only the cells
# that hold something or a format).
MAX_CELLS_PER_ROW = 1_000
_SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
_ROOT_START = re.compile(rb"<[A-Za-z]")
# _XML_NOTE: the parts are parsed with the standard library only after _check_prolog has
# refused any DOCTYPE, so there are no entity declarations to expand (and expat >= 2.4
# limits amplification besides).


class FileRefused(ValueError):
    """The file cannot be used; the argument is a reason code (web/uploads.py words it)."""


def _limits() -> tuple[int, int]:
    conf = settings.AICALL
    return int(conf["MAX_UPLOAD_ROWS"]), int(conf["MAX_UPLOAD_COLUMNS"])


def detect_encoding(path: Path) -> str:
    """utf-8 (with or without BOM) if the whole file decodes as such, else Vietnamese
    Windows (cp1258), else latin-1; read in chunks, never whole."""
    for encoding in ("utf-8-sig", "cp1258"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as raw:
                while chunk := raw.read(1024 * 1024):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _bounded_lines(text) -> Iterator[str]:
    while line := text.readline(MAX_LINE_CHARS + 1):
        if len(line) > MAX_LINE_CHARS:
            raise FileRefused("line_too_long")
        yield line


def csv_rows(path: Path, encoding: str | None = None) -> Iterator[list[str]]:
    """Every row of a CSV file, the header first, streamed."""
    _, max_columns = _limits()
    with path.open(encoding=encoding or detect_encoding(path), newline="") as text:
        # The delimiter is whichever candidate the header line uses most (Excel in a
        # Vietnamese locale saves with ";"). csv.Sniffer also guesses quoting, and guesses
        # it wrong on names holding doubled quotes.
        first_line = text.readline(MAX_LINE_CHARS + 1)
        if len(first_line) > MAX_LINE_CHARS:
            raise FileRefused("line_too_long")
        text.seek(0)
        delimiter = max(",;\t|", key=first_line.count)
        reader = csv.reader(
            _bounded_lines(text), delimiter=delimiter if delimiter in first_line else ","
        )
        try:
            for row in reader:
                if len(row) > max_columns and any(cell.strip() for cell in row[max_columns:]):
                    raise FileRefused("too_many_columns")
                yield row[:max_columns]
        except csv.Error as exc:  # e.g. a field past csv.field_size_limit()
            raise FileRefused("bad_csv") from exc


def _cell(value: Any) -> str:
    """A spreadsheet cell as the text a person typed (0901234567, not 901234567.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return str(value)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _check_prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """No DOCTYPE (and so no entity declarations) before an XML part's root element."""
    with archive.open(info) as part:
        head = part.read(64 * 1024)
    match = _ROOT_START.search(head)
    if match is None and info.file_size > len(head):
        raise FileRefused("bad_xlsx")
    if b"<!DOCTYPE" in head[: match.start() if match else len(head)].upper():
        raise FileRefused("bad_xlsx")


def _count_shared_strings(archive: zipfile.ZipFile, name: str) -> None:
    cap = int(settings.AICALL["MAX_XLSX_SHARED_STRINGS"])
    count = 0
    root = None
    with archive.open(name) as part:
        for event, element in iterparse(part, events=("start", "end")):  # noqa: S314 - see _XML_NOTE
            if root is None:
                root = element
            elif event == "end" and _local(element.tag) == "si":
                count += 1
                if count > cap:
                    raise FileRefused("xlsx_too_big")
                root.clear()  # counted: keep memory flat


def _check_worksheet(archive: zipfile.ZipFile, name: str) -> None:
    max_rows, _ = _limits()
    rows = cells = 0
    sheet_data = None
    with archive.open(name) as part:
        for event, element in iterparse(part, events=("start", "end")):  # noqa: S314 - see _XML_NOTE
            tag = _local(element.tag)
            if event == "start":
                if tag == "c":
                    cells += 1
                    if cells > MAX_CELLS_PER_ROW:
                        raise FileRefused("too_many_columns")
                elif tag == "row":
                    rows, cells = rows + 1, 0
                    if rows > max_rows + 1:  # the header and max_rows data rows
                        raise FileRefused("too_many_rows")
                elif tag == "sheetData":
                    sheet_data = element
            elif tag == "row" and sheet_data is not None:
                sheet_data.clear()  # keep memory flat: rows are not needed once counted


def check_xlsx(path: Path) -> None:
    """Refuses an .xlsx that would unpack or parse into more than the limits allow."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRefused("bad_xlsx") from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > 1_000:
            raise FileRefused("xlsx_too_big")
        if sum(info.file_size for info in infos) > int(settings.AICALL["MAX_XLSX_UNPACKED_BYTES"]):
            raise FileRefused("xlsx_too_big")
        names = {info.filename for info in infos}
        shared = {"xl/sharedStrings.xml"}
        try:
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    _check_prolog(archive, info)
            if "[Content_Types].xml" in names:
                with archive.open("[Content_Types].xml") as part:
                    for _event, element in iterparse(part):  # noqa: S314 - see _XML_NOTE
                        if element.get("ContentType") == _SHARED_STRINGS_TYPE:
                            shared.add(str(element.get("PartName", "")).lstrip("/"))
            for name in sorted(shared & names):
                _count_shared_strings(archive, name)
            for name in sorted(names):
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    _check_worksheet(archive, name)
        except (ParseError, zipfile.BadZipFile, EOFError, ValueError) as exc:
            if isinstance(exc, FileRefused):
                raise
            raise FileRefused("bad_xlsx") from exc


def xlsx_rows(path: Path) -> Iterator[list[str]]:
    """Every row of the first worksheet, the header first, trailing empty cells trimmed.
    Call `check_xlsx` first (`check_file` does)."""
    _, max_columns = _limits()
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not xlsx
        raise FileRefused("bad_xlsx") from exc
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            cells = [_cell(value) for value in row]
            while cells and not cells[-1].strip():
                cells.pop()
            if len(cells) > max_columns:
                raise FileRefused("too_many_columns")
            yield cells
    finally:
        workbook.close()


def rows_of(path: Path, ext: str, encoding: str | None = None) -> Iterator[list[str]]:
    """Every row of an uploaded file as strings, the header first."""
    return xlsx_rows(path) if ext == "xlsx" else csv_rows(path, encoding)


def check_file(path: Path, ext: str) -> tuple[list[str], str | None]:
    """Reads the whole file once within the limits: its header row and (CSV) encoding.
    FileRefused with a reason when it is too big in any way or unreadable."""
    max_rows, _ = _limits()
    encoding = None
    if ext == "xlsx":
        check_xlsx(path)
    else:
        encoding = detect_encoding(path)
    header: list[str] = []
    data_rows = 0
    for n, row in enumerate(rows_of(path, ext, encoding)):
        if n == 0:
            header = row
        elif any(cell.strip() for cell in row):
            data_rows += 1
            if data_rows > max_rows:
                raise FileRefused("too_many_rows")
    return header, encoding
