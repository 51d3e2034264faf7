"""Translated names for the domain's enums and codes, as the website shows them."""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from aicall.calls.contacts import SkipReason
from aicall.campaigns.errors import CampaignError
from aicall.dialer import policy
from aicall.dialer.campaign_state import Waiting
from aicall.telephony import base as notes

CAMPAIGN_TYPE = {"voice_otp": _("Voice OTP"), "ivr": _("IVR broadcast")}
CAMPAIGN_STATUS = {
    "draft": _("Draft"),
    "scheduled": _("Scheduled"),
    "running": _("Running"),
    "completed": _("Completed"),
    "stopped": _("Stopped"),
    "archived": _("Archived"),
}
# Why nothing is being dialled; "%(time)s" is the next call's time where there is one.
WAITING = {
    Waiting.DRAFT: _("Not started yet: start it to call the contacts."),
    Waiting.SCHEDULED: _("Scheduled: the first calls go out at %(time)s."),
    Waiting.CALLING_HOURS: _("Waiting for calling hours: the first calls go out at %(time)s."),
    Waiting.RETRY_LATER: _("Waiting to retry: the next attempt is at %(time)s."),
    Waiting.NO_CONTACTS: _("Running, but there are no contacts yet: upload some."),
    Waiting.NO_DIALER: _("Waiting for the dialer: no dialer process is running."),
    Waiting.TRUNK_DOWN: _("Waiting for the trunk: the SIP trunk is not answering."),
    Waiting.STOPPED: _("Stopped: no new calls start until you start it again."),
    Waiting.COMPLETED: _("Completed: every contact has been called."),
    Waiting.ARCHIVED: _("Archived."),
}
# How a call ended, in words, for every note the system writes (the raw note stays in the
# API, the downloads' own column and the page's tooltip).
HANGUP_CAUSE: dict[str, Any] = {
    notes.NORMAL_CLEARING: _("Ended normally"),
    notes.USER_BUSY: _("Busy"),
    notes.NO_ANSWER: _("No answer"),
    notes.NO_USER_RESPONSE: _("Unreachable (phone off or out of coverage)"),
    notes.CALL_REJECTED: _("Rejected by the callee"),
    notes.UNALLOCATED_NUMBER: _("Number does not exist"),
    notes.NORMAL_TEMPORARY_FAILURE: _("Temporary network failure"),
    notes.RECOVERY_ON_TIMER_EXPIRE: _("Network timed out"),
    notes.INVALID_NUMBER_FORMAT: _("Invalid number format"),
    notes.INCOMPATIBLE_DESTINATION: _("Incompatible destination"),
    notes.NETWORK_OUT_OF_ORDER: _("Network out of order"),
    notes.NUMBER_CHANGED: _("Number has changed"),
    notes.ORIGINATOR_CANCEL: _("Cancelled by us"),
    notes.REDIRECTED: _("Redirected to another number (not followed)"),
    notes.MEDIA_TIMEOUT: _("Sound was lost during the call"),
    notes.TRUNK_TIMEOUT: _("No answer from the SIP trunk (timed out here)"),
    notes.TRUNK_UNREACHABLE: _("SIP trunk unreachable (connection failed here)"),
    notes.TRUNK_UNAVAILABLE: _("SIP trunk unavailable"),
    notes.REGISTRATION_FAILED: _("SIP trunk registration failed"),
    policy.DO_NOT_CALL: _("On the do-not-call list"),
    policy.OTP_EXPIRED: _("OTP expired before it could be called"),
    policy.INTERRUPTED: _("Interrupted (dialer stopped)"),
}
DELIVERY_STATUS = {
    "pending": _("Pending"),
    "delivered": _("Delivered"),
    "failed": _("Failed (gave up)"),
}
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


# The campaign service's objections (English, as the API gives them) in the reader's
# language; a message not listed here is shown as it is.
SERVICE_MESSAGE = {
    "must be an object": _("must be an object"),
    "a menu needs at least one key (a menu without keys is a dead end)": _(
        "a menu needs at least one key (a menu without keys is a dead end)"
    ),
    "timeout_seconds must be 1 to 60": _("the waiting time must be 1 to 60 seconds"),
    "a sub-menu needs a prompt telling the caller what to press": _(
        "a sub-menu needs a prompt telling the caller what to press"
    ),
    "keys are 0-9, * and #": _("keys are 0-9, * and #"),
    "a message action needs the message to play": _("a message action needs the message to play"),
    "then must be hangup or menu": _("after the message: end the call or back to the menu"),
    "back at the top menu has nowhere to go": _("back at the top menu has nowhere to go"),
    "transfer needs a phone number or sip: address as target": _(
        "a transfer needs a phone number (or a sip: address) to call"
    ),
    "an audio reference must be the id of an uploaded recording": _(
        "an audio reference must be the id of an uploaded recording"
    ),
    "the campaign has no key-press menu": _("the campaign has no key-press menu"),
    "keys are 0-9, * and #, at most one per menu level": _(
        "keys are 0-9, * and #, at most one per menu level"
    ),
    "this key plays nothing: only messages and sub-menus can": _(
        "this key plays nothing: only messages and sub-menus can"
    ),
    "no key leads there in the menu": _("no key leads there in the menu"),
    "the transfer target contains control characters": _(
        "the transfer target contains control characters"
    ),
    "the transfer target is not a Vietnamese phone number": _(
        "the transfer target is not a Vietnamese phone number"
    ),
    "transfers to premium-rate or 1900/1800 service numbers are not allowed": _(
        "transfers to premium-rate or 1900/1800 service numbers are not allowed"
    ),
    "a sip: transfer target must be sip:user@host[:port], without parameters": _(
        "a sip: transfer target must be sip:user@host[:port], without parameters"
    ),
}


def service_message(exc: Exception, labels: Mapping[str, Any] | None = None) -> str:
    """A CampaignError / MenuError in the reader's language (a menu error keeps its path).

    `labels`: the form's field labels, so that a message naming a setting (`%(setting)s`) names
    it as the form does rather than by its API name.
    """
    problem = getattr(exc, "problem", None)
    if problem is not None:
        words: Any = SERVICE_MESSAGE.get(problem)
        if words is None and problem.startswith("menus nest at most"):
            words = _("menus nest at most %(n)s levels") % {"n": problem.split()[-2]}
        elif words is None and problem.startswith("action must be one of"):
            words = _("choose one of the actions")
        elif words is None and problem.startswith("sip: transfers may only go to hosts"):
            host = problem.rsplit("; ", 1)[-1].removesuffix(" is not")
            words = _("sip: transfers may only go to hosts the operator allows; %(host)s is not")
            words = words % {"host": host}
        return f"{getattr(exc, 'path', '')}: {words or problem}"
    if isinstance(exc, CampaignError) and exc.translatable:
        setting = exc.params.get("setting")
        label = (labels or {}).get(setting) if setting else None
        return exc.text(setting=label) if label else exc.text()
    message = getattr(exc, "message", str(exc))
    return str(SERVICE_MESSAGE.get(message, message))


def hangup_cause(note: str) -> str:
    """The note in the reader's language; an unknown note (a new carrier) as it is."""
    return str(HANGUP_CAUSE[note]) if note in HANGUP_CAUSE else note


def waiting_text(reason: str, when: str = "") -> str:
    return str(WAITING[Waiting(reason)]) % {"time": when}


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
        "key": _("Key"),
        "action": _("Action"),
    }
    words.update({f"{action}_a": label for action, label in MENU_ACTION.items()})
    return {key: str(value) for key, value in words.items()}
