"""Contacts upload: file, column mapping, import, and the downloadable summary."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from aicall.calls.services import ImportRefused, refuses_imports
from aicall.upload_limits import upload_too_large
from aicall.web import uploads
from aicall.web.access import owned_campaign, owner_id
from aicall.web.forms import MappingForm, UploadForm


def _stopped_otp_error(campaign) -> str | None:
    if refuses_imports(campaign):
        return _(
            "This voice OTP campaign is not running, so it takes no contacts: a code read out "
            "later would be useless (the API refuses such imports the same way, code 03). "
            "Start the campaign, then upload."
        )
    return None


@login_required
def upload(request: HttpRequest, campaign_id: int) -> HttpResponseBase:
    campaign = owned_campaign(request, campaign_id)
    blocked = _stopped_otp_error(campaign)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if upload_too_large(request):
            form = uploads.refused_upload_form(UploadForm, request, "too_large")
        elif form.is_valid():
            try:
                item = uploads.store(owner_id(request), campaign.pk, form.cleaned_data["file"])
            except uploads.UploadError as exc:
                form.add_error("file", uploads.upload_error_message(str(exc)))
            else:
                return redirect("web:contacts_mapping", campaign_id=campaign.pk, token=item.token)
    else:
        form = UploadForm()
    return render(
        request,
        "web/contacts_upload.html",
        {"nav": "campaigns", "campaign": campaign, "form": form, "blocked": blocked},
    )


def _owned_upload(request: HttpRequest, campaign_id: int, token: str):
    campaign = owned_campaign(request, campaign_id)
    item = uploads.load(owner_id(request), token, campaign.pk)
    if item is None:
        raise Http404
    return campaign, item


@login_required
def mapping(request: HttpRequest, campaign_id: int, token: str) -> HttpResponseBase:
    campaign, item = _owned_upload(request, campaign_id, token)
    header = item.meta["header"]
    blocked = _stopped_otp_error(campaign)
    if request.method == "POST":
        form = MappingForm(request.POST, header=header, initial_mapping=[])
        if form.is_valid() and not blocked:
            try:
                uploads.import_file(item, campaign, form.mapping())
            except ImportRefused:  # stopped while the mapping page was open
                blocked = _stopped_otp_error(campaign)
            else:
                return redirect("web:contacts_report", campaign_id=campaign.pk, token=item.token)
    else:
        form = MappingForm(header=header, initial_mapping=uploads.guess_mapping(header))
    columns = [form[f"col_{i}"] for i in range(len(header))]
    # What a column mapped to a custom field is called in a script: {placeholder}.
    placeholders = ["{" + uploads.custom_key(name, i) + "}" for i, name in enumerate(header)]
    return render(
        request,
        "web/contacts_mapping.html",
        {
            "nav": "campaigns",
            "campaign": campaign,
            "item": item,
            "form": form,
            "columns": list(zip(columns, placeholders, strict=True)),
            "preview": uploads.preview(item),
            "blocked": blocked,
        },
    )


@login_required
def report(request: HttpRequest, campaign_id: int, token: str) -> HttpResponseBase:
    campaign, item = _owned_upload(request, campaign_id, token)
    summary = item.meta.get("summary")
    if summary is None:
        return redirect("web:contacts_mapping", campaign_id=campaign.pk, token=item.token)
    return render(
        request,
        "web/contacts_report.html",
        {"nav": "campaigns", "campaign": campaign, "item": item, "summary": summary},
    )


@login_required
def report_download(request: HttpRequest, campaign_id: int, token: str) -> HttpResponseBase:
    _campaign, item = _owned_upload(request, campaign_id, token)
    if not item.report_path.exists():
        raise Http404
    return FileResponse(
        item.report_path.open("rb"),
        as_attachment=True,
        filename=f"import-report-{campaign_id}.csv",
        content_type="text/csv; charset=utf-8",
    )
