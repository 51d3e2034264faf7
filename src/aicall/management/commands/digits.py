"""`aicall digits`: an account's own recordings of the digits 0-9 for voice OTP calls."""

from pathlib import Path

from django.core.management.base import BaseCommand

from aicall.campaigns.audio import (
    DIGITS,
    digit_files_from_zip,
    do_delete_digit_recordings,
    do_save_digit_recordings,
)
from aicall.campaigns.errors import CampaignError
from aicall.campaigns.queries import digit_recordings_of
from aicall.management.output import account_or_die, die, emit


class Command(BaseCommand):
    help = "Upload, list and remove an account's recorded digits (for voice OTP)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        upload = sub.add_parser("upload", help="a zip of 0.wav … 9.wav, or files named 0.wav …")
        upload.add_argument("--email", required=True)
        upload.add_argument("files", nargs="+", metavar="FILE")
        for name in ("list", "remove"):
            sub.add_parser(name).add_argument("--email", required=True)

    def handle(self, *args, action: str, email: str, **options):
        owner = account_or_die(email)
        try:
            if action == "upload":
                do_save_digit_recordings(owner.pk, _files(options["files"]))
            elif action == "remove":
                do_delete_digit_recordings(owner.pk)
        except CampaignError as exc:
            raise die(f"{exc.field}: {exc.message}") from exc
        rows = digit_recordings_of(owner.pk)
        emit({"digits": {d: rows[d].audio_seconds for d in DIGITS if d in rows}})


def _files(names: list[str]) -> dict[str, tuple[bytes, str]]:
    files: dict[str, tuple[bytes, str]] = {}
    for name in names:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise die(f"cannot read {path}: {exc.strerror}") from exc
        if path.suffix.lower() == ".zip":
            files.update(digit_files_from_zip(data))
        elif path.stem in DIGITS and len(path.stem) == 1:
            files[path.stem] = (data, path.name)
        else:
            raise die(f"{path.name}: name the files 0.wav … 9.wav, or give a zip")
    return files
