"""Translated names for the domain's enums and codes, as the website shows them."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from aicall.calls.contacts import SkipReason

CAMPAIGN_TYPE = {"voice_otp": _("Voice OTP"), "ivr": _("IVR broadcast")}
CAMPAIGN_STATUS = {"running": _("Running"), "stopped": _("Stopped")}
CALL_STATE = {40: _("Answered"), 50: _("Not answered"), 20: _("Calling"), 60: _("Error")}
CALL_STATUS = {"queued": _("Queued"), "dialing": _("In progress"), "done": _("Finished")}
SKIP_REASON: dict[str, Any] = {
    SkipReason.NOT_AN_OBJECT: _("Not a contact"),
    SkipReason.MISSING_PHONE: _("Phone number missing"),
    SkipReason.INVALID_PHONE: _("Not a valid Vietnamese phone number"),
    SkipReason.INVALID_OTP: _("otp_code missing or not six digits"),
    SkipReason.DUPLICATE: _("Same phone number as an earlier row"),
    SkipReason.NUL_CHARACTER: _("Text contains a NUL character"),
    SkipReason.RESTRICTED_NUMBER: _("Premium-rate or service number (1900/1800), not allowed"),
    SkipReason.SHORT_CODE: _("Short code, not a phone number"),
    SkipReason.TEXT_TOO_LONG: _("A name or field is longer than 500 characters"),
}
MENU_ACTION = {
    "message": _("Play a message"),
    "repeat": _("Listen again"),
    "back": _("Back one level"),
    "submenu": _("Open a sub-menu"),
    "transfer": _("Transfer to"),
    "hangup": _("End the call"),
}


def menu_editor_labels() -> dict[str, str]:
    """The words the key-press menu editor (static/web/menu.js) shows."""
    words = {
        "addKey": _("Add a key"),
        "remove": _("Remove"),
        "prompt": _("What the caller hears"),
        "message": _("Message"),
        "target": _("Phone number"),
        "then": _("Then"),
        "hangup": _("end the call"),
        "menu": _("back to the menu"),
        "start": _("Start a menu"),
        "clear": _("Remove the menu"),
        "timeout": _("Seconds to wait"),
        "label": _("Label (optional)"),
    }
    words.update({f"{action}_a": label for action, label in MENU_ACTION.items()})
    return {key: str(value) for key, value in words.items()}
