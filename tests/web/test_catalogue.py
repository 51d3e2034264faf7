"""Every text the Vietnamese website can show is translated, and the compiled catalogue is
the one in the repository.

The messages are extracted the way a developer does it (Django's makemessages over a copy
of src/aicall, so the repository is not touched), then every msgid must have a non-empty,
non-fuzzy msgstr. A template string or a gettext() call without a Vietnamese translation
fails here, whoever added it.
"""

import gettext
import os
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

import aicall

SOURCE = Path(aicall.__file__).resolve().parent
PO = SOURCE / "web" / "locale" / "vi" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def _unquote(line: str) -> str:
    text = line.strip()
    assert text.startswith('"') and text.endswith('"'), line
    return text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")


def read_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgid, msgid_plural, msgstr list, flags (a small parser)."""
    entries: list[dict] = []
    entry: dict = {}
    current = None

    def finish():
        nonlocal entry
        if "msgid" in entry:
            entries.append(entry)
        entry = {}

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            current = None
            continue
        if line.startswith("#,"):
            if "msgid" in entry:
                finish()
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#~"):  # obsolete entries are not part of the catalogue
            current = None
            entry.setdefault("obsolete", True)
            continue
        if line.startswith("#"):
            continue
        if line.startswith("msgctxt "):
            entry["msgctxt"] = _unquote(line[8:])
            current = ("msgctxt", None)
        elif line.startswith("msgid_plural "):
            entry["msgid_plural"] = _unquote(line[13:])
            current = ("msgid_plural", None)
        elif line.startswith("msgid "):
            if "msgid" in entry:
                finish()
            entry["msgid"] = _unquote(line[6:])
            current = ("msgid", None)
        elif line.startswith("msgstr["):
            index = int(line[7 : line.index("]")])
            entry.setdefault("msgstr", {})[index] = _unquote(line[line.index("]") + 1 :])
            current = ("msgstr", index)
        elif line.startswith("msgstr "):
            entry.setdefault("msgstr", {})[0] = _unquote(line[7:])
            current = ("msgstr", 0)
        elif line.startswith('"') and current:
            name, index = current
            if name == "msgstr":
                entry["msgstr"][index] += _unquote(line)
            else:
                entry[name] += _unquote(line)
    finish()
    return [e for e in entries if not e.get("obsolete") and e["msgid"]]


def untranslated(entries: list[dict]) -> list[str]:
    return [
        e["msgid"]
        for e in entries
        if "fuzzy" in e.get("flags", set()) or not all(e.get("msgstr", {0: ""}).values())
    ]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> list[dict]:
    if shutil.which("xgettext") is None:
        pytest.fail("gettext is missing: run scripts/setup.sh --dev (it installs it)")
    copy = tmp_path_factory.mktemp("catalogue") / "aicall"
    shutil.copytree(SOURCE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    locale = copy / "web" / "locale"
    with override_settings(LOCALE_PATHS=[str(locale)]):
        cwd = Path.cwd()
        try:
            os.chdir(copy)
            call_command("makemessages", locale=["vi"], no_location=True, verbosity=0)
        finally:
            os.chdir(cwd)
    return read_po(locale / "vi" / "LC_MESSAGES" / "django.po")


def test_every_message_of_the_code_and_templates_is_translated(extracted):
    assert len(extracted) > 200  # the extraction really ran over templates and Python
    missing = untranslated(extracted)
    assert not missing, (
        "texts without a Vietnamese translation (add them to "
        f"src/aicall/web/locale/vi/LC_MESSAGES/django.po and compile it): {missing}"
    )


def test_the_repository_catalogue_has_every_extracted_message(extracted):
    committed = {e["msgid"] for e in read_po(PO)}
    assert {e["msgid"] for e in extracted} <= committed


def test_the_compiled_catalogue_matches_the_po_file():
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for entry in read_po(PO):
        if "fuzzy" in entry.get("flags", set()):
            continue  # msgfmt leaves fuzzy entries out; the first test refuses them anyway
        if "msgid_plural" in entry:
            assert compiled.ngettext(entry["msgid"], entry["msgid_plural"], 1) == entry["msgstr"][0]
        elif "msgctxt" in entry:
            assert compiled.pgettext(entry["msgctxt"], entry["msgid"]) == entry["msgstr"][0]
        else:
            assert compiled.gettext(entry["msgid"]) == entry["msgstr"][0], entry["msgid"]


def test_the_parser_sees_a_missing_translation(tmp_path):
    po = tmp_path / "x.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: vi\\n"\n\n'
        'msgid "Yes"\nmsgstr "Có"\n\n'
        'msgid "New text"\nmsgstr ""\n\n'
        '#, fuzzy\nmsgid "Guess"\nmsgstr "Đoán"\n\n'
        'msgid "one call"\nmsgid_plural "%(n)s calls"\nmsgstr[0] ""\n',
        encoding="utf-8",
    )
    assert untranslated(read_po(po)) == ["New text", "Guess", "one call"]
