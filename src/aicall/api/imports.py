"""The import request as a whole: validate, store, answer, and wake the dialer."""

from django.http import HttpRequest, HttpResponse

from aicall.accounts.models import User
from aicall.api.idempotency import HEADER, idempotent_import
from aicall.api.responses import MSG_CAMPAIGN_STOPPED, fail, ok
from aicall.calls.services import ImportRefused, import_contacts
from aicall.campaigns.columns import do_note_contact_columns
from aicall.campaigns.models import Campaign
from aicall.metrics import record_import


def import_response(outcome, total: int) -> HttpResponse:
    accepted = outcome.checked.accepted
    results = [
        {"phone_number": contact.phone_as_sent, "call_id": call_id}
        for contact, call_id in zip(accepted, outcome.call_ids, strict=True)
    ]
    record_import(total, len(results))
    return ok(
        message=f"Ghi nhận thành công {len(results)} trên {total} bản ghi",
        results=results,
    )


def run_import(
    request: HttpRequest, user: User, campaign: Campaign, contacts: list
) -> HttpResponse:
    def run() -> HttpResponse:
        try:
            outcome = import_contacts(campaign, contacts)
        except ImportRefused:  # stopped since the request's own check
            return fail("03", MSG_CAMPAIGN_STOPPED)
        do_note_contact_columns(campaign.pk, outcome.checked.accepted)  # for the downloads
        return import_response(outcome, len(contacts))

    key = request.headers.get(HEADER)
    if key is None:
        return run()
    return idempotent_import(user.pk, key, campaign.pk, contacts, run)
