"""Argument shapes shared by several `aicall` commands."""

from argparse import ArgumentParser


def add_number_list_actions(
    parser: ArgumentParser, *, add: str, remove: str, numbers: str, note: str, listing: str
) -> None:
    """`add|remove --email E NUMBER… [--note T]` and `list --email E`, with these helps:
    the shape of every per-account list of numbers (do-not-call, verified caller IDs)."""
    sub = parser.add_subparsers(dest="action", required=True)
    for name, text in (("add", add), ("remove", remove)):
        action = sub.add_parser(name, help=text)
        action.add_argument("--email", required=True, help="the account")
        action.add_argument("numbers", nargs="+", help=numbers)
        if name == "add":
            action.add_argument("--note", default="", help=note)
    sub.add_parser("list", help=listing).add_argument("--email", required=True, help="the account")
