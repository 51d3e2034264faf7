"""Campaign list (live counts), the campaign page, create/edit with previews, stop.

Starting (with its confirmation), test calls, duplicate, archive and delete are in
lifecycle.py.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aicall.calls.queries import campaign_progress, campaigns_progress
from aicall.campaigns.ivr_menu import MenuError, validate_menu
from aicall.campaigns.models import Campaign, CampaignStatus
from aicall.campaigns.queries import campaigns_of
from aicall.campaigns.services import (
    CampaignError,
    do_create_campaign,
    do_stop_campaign,
    do_update_campaign,
    format_calling_hours,
)
from aicall.dialer.campaign_state import PageFacts
from aicall.telephony.trunks import campaign_telephony
from aicall.web.access import owned_campaign, owner_id
from aicall.web.forms import WEEKDAYS, CampaignForm
from aicall.web.labels import menu_editor_labels, service_message
from aicall.web.scripts import SAMPLE_CONTACT, render_script
from aicall.web.views.audio import (
    apply_audio_upload,
    attach_menu_audio,
    menu_audio_labels,
    menu_recordings,
    take_menu_uploads,
    web_message,
)
from aicall.web.views.lifecycle import activity_context, route_of

CAMPAIGNS_PER_PAGE = 25


def _rows(request: HttpRequest):
    """One page of campaigns: archived ones only when asked for (`?archived=1`)."""
    archived = request.GET.get("archived") == "1"
    campaigns = campaigns_of(owner_id(request))
    if archived:
        campaigns = campaigns.filter(status=CampaignStatus.ARCHIVED)
    else:
        campaigns = campaigns.exclude(status=CampaignStatus.ARCHIVED)
    campaigns = campaigns.select_related("owner")
    page = Paginator(campaigns, CAMPAIGNS_PER_PAGE).get_page(request.GET.get("page"))
    # A fixed number of queries for the page, whatever the number of campaigns on it.
    shown = list(page)
    counts = campaigns_progress([c.pk for c in shown])
    facts = PageFacts(shown, timezone.now())
    rows = []
    for c in shown:
        progress = _with_shares(counts[c.pk])
        rows.append({"campaign": c, "progress": progress, **activity_context(c, progress, facts)})
    return page, rows, archived


def _with_shares(progress: dict[str, int]) -> dict[str, int | float]:
    """Counts plus each one's share of the total in percent, for the progress bar."""
    total = progress["total"] or 1
    shares = {f"{key}_pct": round(100 * progress[key] / total, 1) for key in progress}
    done = progress["answered"] + progress["failed"]
    return {**progress, **shares, "done": done}


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    page, rows, archived = _rows(request)
    return render(
        request,
        "web/campaigns.html",
        {"nav": "campaigns", "page": page, "rows": rows, "archived": archived},
    )


@login_required
def campaign_rows(request: HttpRequest) -> HttpResponse:
    """The table body alone, polled by htmx so counts move while campaigns run."""
    page, rows, archived = _rows(request)
    return render(
        request, "web/_campaign_rows.html", {"page": page, "rows": rows, "archived": archived}
    )


def _save(request: HttpRequest, form: CampaignForm, campaign: Campaign | None):
    """Hand the form to the campaign service; its objections land next to their field.

    Settings and audio are saved in one transaction: a refused audio file changes nothing.
    """
    if not form.is_valid():
        return None
    try:
        values = form.service_values()
        recordings = take_menu_uploads(request, values)
        with transaction.atomic():
            # The menu may refer to the recordings chosen with it (stored just below).
            if campaign is None:
                saved = do_create_campaign(owner_id(request), values, new_recordings=recordings)
            else:
                saved = do_update_campaign(campaign, values, new_recordings=recordings)
            apply_audio_upload(request, saved, form.cleaned_data)
            attach_menu_audio(saved, recordings)
        return saved
    except (CampaignError, MenuError) as exc:
        if campaign is not None:
            campaign.refresh_from_db()
        field = exc.field if exc.field in form.fields else None
        if exc.field == "calling_hours":
            field = "calling_hours_end"
        labels = {name: bound.label for name, bound in form.fields.items()}
        form.add_error(field, web_message(service_message(exc, labels)))
        return None


def _form_page(request: HttpRequest, form: CampaignForm, campaign: Campaign | None):
    return render(
        request,
        "web/campaign_form.html",
        {
            "nav": "campaigns",
            "form": form,
            "campaign": campaign,
            "sample": SAMPLE_CONTACT,
            "menu_labels": {**menu_editor_labels(), **menu_audio_labels()},
            "menu_recordings": menu_recordings(campaign),
        },
    )


@login_required
def campaign_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = CampaignForm(request.POST, request.FILES)
        campaign = _save(request, form, None)
        if campaign is not None:
            messages.success(request, _("Campaign created. Now add contacts."))
            return redirect("web:campaign", campaign_id=campaign.pk)
    else:
        form = CampaignForm()
    return _form_page(request, form, None)


@login_required
def campaign_edit(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = owned_campaign(request, campaign_id)
    if request.method == "POST":
        form = CampaignForm(request.POST, request.FILES)
        if _save(request, form, campaign) is not None:
            messages.success(request, _("Campaign saved."))
            return redirect("web:campaign", campaign_id=campaign.pk)
    else:
        form = CampaignForm(initial=CampaignForm.initial_for(campaign))
    return _form_page(request, form, campaign)


def _live(campaign: Campaign) -> dict:
    """The parts of the campaign page that move: counts, and what it is waiting for."""
    progress = _with_shares(campaign_progress(campaign.pk))
    return {"campaign": campaign, "progress": progress, **activity_context(campaign, progress)}


def _menu(campaign: Campaign) -> dict | None:
    try:
        return validate_menu(campaign.ivr_menu) if campaign.ivr_menu else None
    except MenuError:
        return None


@login_required
def campaign_detail(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = owned_campaign(request, campaign_id)
    days = dict(WEEKDAYS)
    return render(
        request,
        "web/campaign_detail.html",
        {
            "nav": "campaigns",
            **_live(campaign),
            "route": route_of(campaign),
            "calling_hours": format_calling_hours(campaign),
            "weekdays": [str(days[d]) for d in campaign.calling_weekdays if d in days],
            "all_week": len(campaign.calling_weekdays) == 7,
            "menu": _menu(campaign),
            "script_sample": render_script(campaign.script, SAMPLE_CONTACT)[0],
            "telephony": campaign_telephony(campaign),
        },
    )


@login_required
def campaign_progress_view(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = owned_campaign(request, campaign_id)
    return render(request, "web/_campaign_progress.html", _live(campaign))


@login_required
@require_POST
def campaign_stop(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = owned_campaign(request, campaign_id)
    do_stop_campaign(campaign)
    messages.success(request, _("Campaign stopped: calls in progress finish, no new ones start."))
    return redirect("web:campaign", campaign_id=campaign.pk)


@login_required
@require_POST
def script_preview(request: HttpRequest) -> HttpResponse:
    contact = {
        key: request.POST.get(f"sample_{key}", value) for key, value in SAMPLE_CONTACT.items()
    }
    text, missing = render_script(request.POST.get("script", ""), contact)
    return render(request, "web/_script_preview.html", {"text": text, "missing": missing})


@login_required
@require_POST
def menu_preview(request: HttpRequest) -> HttpResponse:
    """The key-press menu drawn as a tree, or the first problem the validator finds."""
    text = request.POST.get("ivr_menu", "").strip()
    menu, error = None, None
    if text:
        try:
            menu = validate_menu(json.loads(text), allow_pending=True)
        except json.JSONDecodeError as exc:
            error = _("Not valid JSON (line %(line)s, column %(col)s): %(msg)s") % {
                "line": exc.lineno,
                "col": exc.colno,
                "msg": exc.msg,
            }
        except MenuError as exc:
            error = service_message(exc)
    return render(request, "web/_menu_tree.html", {"menu": menu, "error": error})
