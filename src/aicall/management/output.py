"""Command-line output: JSON on stdout, errors on stderr with a non-zero exit."""

import json
import sys
from typing import Any

from django.core.management.base import CommandError


def emit(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def die(message: str) -> CommandError:
    return CommandError(message, returncode=1)
