"""A campaign's life cycle on the website: start after a confirmation (now or at a set
time), test calls, duplicate, archive / restore, delete."""

from collections.abc import Mapping
from datetime import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from aicall.calls.queries import campaign_progress
from aicall.calls.test_calls import do_place_test_call, find_test_call
from aicall.campaigns.errors import CampaignError
from aicall.campaigns.models import Campaign
from aicall.campaigns.services import (
    do_archive_campaign,
    do_delete_campaign,
    do_duplicate_campaign,
    do_restore_campaign,
    do_schedule_campaign,
    do_start_campaign,
)
from aicall.dialer.campaign_state import PageFacts, activity, next_calling_moment
from aicall.telephony.trunks import campaign_telephony, trunk_for
from aicall.web.access import owned_campaign
from aicall.web.labels import waiting_text


def local_time_text(moment: datetime | None) -> str:
    """`08:00` today, `08:00, 02/12/2026` another day (Vietnam time)."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    if local.date() == timezone.localtime().date():
        return local.strftime("%H:%M")
    return local.strftime("%H:%M, %d/%m/%Y")


def activity_context(
    campaign: Campaign, progress: Mapping[str, float], facts: PageFacts | None = None
) -> dict:
    """What the campaign's pages say about it: the waiting reason and next call, in words."""
    current = activity(campaign, progress, facts=facts)
    return {
        "waiting": current.waiting.value if current.waiting else "",
        "waiting_text": waiting_text(current.waiting, local_time_text(current.next_call_at))
        if current.waiting
        else "",
        "next_call_at": current.next_call_at,
    }


def route_of(campaign: Campaign) -> dict:
    """Where the campaign's calls go (sandbox, or which trunk in which state) and from
    which number: the campaign's caller ID, else its trunk's."""
    route = campaign_telephony(campaign)
    trunk = None if route["sandbox"] else trunk_for(campaign)
    return {**route, "caller_id": campaign.caller_id or (trunk.caller_id if trunk else "")}


class ScheduleForm(forms.Form):
    start_at = forms.DateTimeField(
        label=gettext_lazy("Start at (Vietnam time)"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def clean_start_at(self) -> datetime:
        value = self.cleaned_data["start_at"]
        if value <= timezone.now():
            raise forms.ValidationError(gettext_lazy("Choose a moment in the future."))
        return value


class TestCallForm(forms.Form):
    phone_number = forms.CharField(
        label=gettext_lazy("Your phone number"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    danh_xung = forms.CharField(label=gettext_lazy("Salutation"), max_length=40, required=False)
    ho_ten = forms.CharField(label=gettext_lazy("Full name"), max_length=200, required=False)
    otp_code = forms.CharField(
        label=gettext_lazy("OTP code to read"), max_length=6, required=False, initial="123456"
    )


def _start_page(request: HttpRequest, campaign: Campaign, schedule_form: ScheduleForm):
    progress = campaign_progress(campaign.pk)
    first = next_calling_moment(campaign, timezone.now())
    return render(
        request,
        "web/campaign_start.html",
        {
            "nav": "campaigns",
            "campaign": campaign,
            "progress": progress,
            "route": route_of(campaign),
            "first_call_text": local_time_text(first) if first > timezone.now() else "",
            "schedule_form": schedule_form,
        },
    )


@login_required
def campaign_start(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """GET: what starting will do, to confirm. POST: start now."""
    campaign = owned_campaign(request, campaign_id)
    if request.method != "POST":
        return _start_page(request, campaign, ScheduleForm())
    if campaign.is_running:  # a second click, or another tab: nothing to do
        return redirect("web:campaign", campaign_id=campaign.pk)
    do_start_campaign(campaign)
    messages.success(request, _("Campaign started: queued contacts are being called."))
    return redirect("web:campaign", campaign_id=campaign.pk)


@login_required
@require_POST
def campaign_schedule(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = owned_campaign(request, campaign_id)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        return _start_page(request, campaign, form)
    try:
        do_schedule_campaign(campaign, form.cleaned_data["start_at"])
    except CampaignError:
        form.add_error("start_at", _("This campaign cannot be scheduled now."))
        return _start_page(request, campaign, form)
    messages.success(
        request,
        _("Campaign scheduled: it starts at %(time)s.")
        % {"time": local_time_text(campaign.scheduled_start_at)},
    )
    return redirect("web:campaign", campaign_id=campaign.pk)


@login_required
def test_call(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """GET: the form. POST: queue one test call, then show its result as it comes in."""
    campaign = owned_campaign(request, campaign_id)
    form = TestCallForm(request.POST or None)
    call = None
    if request.method == "POST" and form.is_valid():
        try:
            call = do_place_test_call(campaign, form.cleaned_data)
        except CampaignError as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(
                field,
                _("Not a valid Vietnamese phone number.")
                if exc.field == "phone_number"
                else _("The OTP code must be six digits, 000001 to 999999."),
            )
    template = "web/_test_call.html" if request.headers.get("HX-Request") else "web/test_call.html"
    return render(
        request,
        template,
        {
            "nav": "campaigns",
            "campaign": campaign,
            "form": form,
            "call": call,
            "route": route_of(campaign),
        },
    )


@login_required
def test_call_result(request: HttpRequest, campaign_id: int, call_id: int) -> HttpResponse:
    """The test call's state, polled by the page until the call is over."""
    campaign = owned_campaign(request, campaign_id)
    call = find_test_call(campaign, call_id)
    if call is None:
        raise Http404
    return render(request, "web/_test_call_result.html", {"campaign": campaign, "call": call})


@login_required
@require_POST
def campaign_duplicate(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = owned_campaign(request, campaign_id)
    copy = do_duplicate_campaign(campaign, _("%(name)s (copy)") % {"name": campaign.name})
    messages.success(request, _("A copy was created as a draft, without contacts."))
    return redirect("web:campaign", campaign_id=copy.pk)


def _act(request: HttpRequest, campaign_id: int, action, done: str) -> HttpResponse:
    campaign = owned_campaign(request, campaign_id)
    action(campaign)
    messages.success(request, done)
    return redirect("web:campaign", campaign_id=campaign.pk)


@login_required
@require_POST
def campaign_archive(request: HttpRequest, campaign_id: int) -> HttpResponse:
    done = _("Campaign archived: no more calls; it is kept with its results.")
    return _act(request, campaign_id, do_archive_campaign, done)


@login_required
@require_POST
def campaign_restore(request: HttpRequest, campaign_id: int) -> HttpResponse:
    return _act(request, campaign_id, do_restore_campaign, _("Campaign restored."))


@login_required
def campaign_delete(request: HttpRequest, campaign_id: int) -> HttpResponse:
    """GET: confirm. POST: delete (only a campaign without contacts)."""
    campaign = owned_campaign(request, campaign_id)
    has_calls = campaign_progress(campaign.pk)["total"] > 0
    if request.method == "POST" and not has_calls:
        try:
            do_delete_campaign(campaign)
        except CampaignError:
            has_calls = True
        else:
            messages.success(request, _("Campaign deleted."))
            return redirect("web:campaigns")
    return render(
        request,
        "web/campaign_delete.html",
        {"nav": "campaigns", "campaign": campaign, "has_calls": has_calls},
    )
