"""The calls table (per campaign and across campaigns) and its downloads."""

from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.translation import gettext as _

from aicall.calls.models import Call
from aicall.campaigns.queries import campaigns_of
from aicall.web import downloads, stats
from aicall.web.access import owned_campaign, owner_id
from aicall.web.callfilters import CallFilterForm

CALLS_PER_PAGE = 50


def _filtered(request: HttpRequest, campaign_id: int | None):
    calls = stats.calls_of(owner_id(request), campaign_id)
    form = CallFilterForm(
        request.GET,
        campaigns=campaigns_of(owner_id(request)) if campaign_id is None else None,
        causes=stats.distinct_causes(calls),
    )
    return form, form.filter(calls).select_related("campaign").order_by("-id")


def _page(request: HttpRequest, campaign=None) -> HttpResponseBase:
    form, calls = _filtered(request, campaign.pk if campaign else None)
    page = Paginator(calls, CALLS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/calls.html",
        {
            "nav": "calls" if campaign is None else "campaigns",
            "form": form,
            "page": page,
            "campaign": campaign,
        },
    )


def _download(request: HttpRequest, fmt: str, campaign=None) -> HttpResponseBase:
    _form, calls = _filtered(request, campaign.pk if campaign else None)
    calls = calls.order_by("id")
    name = f"{campaign.name} - {_('calls')}" if campaign else _("calls")
    if fmt == "csv":
        return downloads.csv_response(request, calls, name)
    if fmt == "xlsx":
        return downloads.xlsx_response(request, calls, name)
    raise Http404


@login_required
def all_calls(request: HttpRequest) -> HttpResponseBase:
    return _page(request)


@login_required
def campaign_calls(request: HttpRequest, campaign_id: int) -> HttpResponseBase:
    return _page(request, owned_campaign(request, campaign_id))


@login_required
def all_calls_download(request: HttpRequest, fmt: str) -> HttpResponseBase:
    return _download(request, fmt)


@login_required
def campaign_calls_download(request: HttpRequest, campaign_id: int, fmt: str) -> HttpResponseBase:
    return _download(request, fmt, owned_campaign(request, campaign_id))


@login_required
def call_recording(request: HttpRequest, call_id: int) -> HttpResponseBase:
    """The call's WAV recording (campaigns with `record_calls`), for its owner only."""
    recording = (
        Call.objects.filter(pk=call_id, owner_id=owner_id(request))
        .values_list("recording", flat=True)
        .first()
    )
    if not recording:
        raise Http404
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / recording).resolve()
    # The column is written by the carrier, but a path must never leave MEDIA_ROOT.
    if not path.is_relative_to(root) or not path.is_file():
        raise Http404
    return FileResponse(path.open("rb"), content_type="audio/wav", filename=f"call-{call_id}.wav")


@login_required
def call_detail(request: HttpRequest, call_id: int) -> HttpResponseBase:
    """One call: the contact, every attempt, the timeline, SIP code, keys and recording."""
    call = (
        Call.objects.filter(pk=call_id, owner_id=owner_id(request))
        .select_related("campaign", "campaign__test_for")
        .first()
    )
    if call is None:
        raise Http404
    campaign = call.campaign.test_for or call.campaign
    return render(
        request,
        "web/call_detail.html",
        {
            "nav": "calls",
            "call": call,
            "campaign": campaign,
            "is_test": call.campaign.test_for_id is not None,
            "attempts": call.attempts.order_by("attempt"),
            "keys": [
                {"digit": digit, "second": round(second, 1)}
                for digit, second in (call.key_presses or [])
            ],
            "custom_fields": sorted((call.custom_fields or {}).items()),
        },
    )
