"""The order of a campaign's own contact columns, as the customer gave them.

A contact's custom fields are stored in `Call.custom_fields`; on PostgreSQL that is jsonb,
which keeps keys sorted by length, then bytes, so the order of the customer's spreadsheet
or JSON is gone once a row is stored. The order is kept beside, on the campaign: each
import appends the names it brings that the campaign has not seen yet, in the order of
its contacts. Downloads put the columns in this order on both databases.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction

from aicall.campaigns.models import Campaign

# The first contacts of an import decide the order; a name first seen later goes after
# the known ones, in the order the downloads fall back to (by name).
SCANNED_CONTACTS = 1000
MAX_NAMES = 500


def names_in_order(contacts: Iterable[Any]) -> list[str]:
    """The custom field names of the first contacts, each once, in the order they appear."""
    names: dict[str, None] = {}
    for index, contact in enumerate(contacts):
        if index >= SCANNED_CONTACTS:
            break
        names.update(dict.fromkeys(contact.custom_fields))
    return list(names)


def do_note_contact_columns(campaign_id: int, contacts: Sequence[Any]) -> list[str]:
    """Append the names these imported contacts bring to the campaign's column order.

    `contacts` are the accepted contacts of an import (anything with `custom_fields`).
    Called after the import commits: the row is locked only when there is a new name, so
    imports that bring the known columns (nearly all) never wait on one another here.
    Returns the campaign's whole order.
    """
    names = names_in_order(contacts)
    known = Campaign.objects.filter(pk=campaign_id).values_list("contact_columns", flat=True)
    order = list(known.first() or [])
    if not names or set(names) <= set(order):
        return order
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().filter(pk=campaign_id)
        order = list(locked.values_list("contact_columns", flat=True).first() or [])
        added = [name for name in names if name not in order]
        order = (order + added)[:MAX_NAMES]
        locked.update(contact_columns=order)
    return order
