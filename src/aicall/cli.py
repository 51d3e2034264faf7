"""The `aicall` command: Django's management commands under friendlier names."""

import os
import sys

ALIASES = {"rotate-secret": "rotate_secret", "sip-edge": "sip_edge"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aicall.settings")
    from django.core.management import execute_from_command_line

    args = sys.argv[1:]
    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    execute_from_command_line(["aicall", *args])
