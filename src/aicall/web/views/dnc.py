"""The account's do-not-call list: add, remove, upload."""

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aicall.calls.models import DoNotCall
from aicall.calls.services import do_add_do_not_call, do_remove_do_not_call
from aicall.lib.phones import to_e164
from aicall.upload_limits import upload_too_large
from aicall.web import uploads
from aicall.web.access import owner_id
from aicall.web.forms import DoNotCallForm, DoNotCallUploadForm
from aicall.web.spreadsheets import check_file


def _page(request: HttpRequest, form=None, upload_form=None, status: int = 200) -> HttpResponse:
    entries = DoNotCall.objects.filter(owner_id=owner_id(request)).order_by("-created_at", "-id")
    query = request.GET.get("q", "").strip()
    if query:
        entries = entries.filter(phone_e164=to_e164(query) or query)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "web/dnc.html",
        {
            "nav": "dnc",
            "page": page,
            "query": query,
            "form": form or DoNotCallForm(),
            "upload_form": upload_form or DoNotCallUploadForm(),
        },
        status=status,
    )


@login_required
def dnc(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = DoNotCallForm(request.POST)
        if form.is_valid():
            entry = do_add_do_not_call(
                owner_id(request), form.cleaned_data["phone_number"], form.cleaned_data["note"]
            )
            if entry is not None:
                messages.success(
                    request, _("%(phone)s will not be called.") % {"phone": entry.phone_e164}
                )
                return redirect("web:dnc")
            form.add_error("phone_number", _("Not a valid Vietnamese phone number."))
        return _page(request, form=form)
    return _page(request)


@login_required
@require_POST
def dnc_remove(request: HttpRequest) -> HttpResponse:
    if do_remove_do_not_call(owner_id(request), request.POST.get("phone_number", "")):
        messages.success(request, _("Number removed from the do-not-call list."))
    return redirect("web:dnc")


@login_required
@require_POST
def dnc_upload(request: HttpRequest) -> HttpResponse:
    form = DoNotCallUploadForm(request.POST, request.FILES)
    if upload_too_large(request, request.FILES.get("file")):
        return _page(
            request,
            upload_form=uploads.refused_upload_form(DoNotCallUploadForm, request, "too_large"),
        )
    if not form.is_valid():
        return _page(request, upload_form=form)
    upload = form.cleaned_data["file"]
    ext = (upload.name or "").rsplit(".", 1)[-1].lower()
    if ext not in ("csv", "txt", "xlsx"):
        form.add_error("file", uploads.upload_error_message("csv_or_xlsx"))
        return _page(request, upload_form=form)
    # Read from a private temporary copy, deleted at once: the list is stored, the file not.
    with tempfile.TemporaryDirectory(dir=settings.DATA_DIR) as folder:
        path = Path(folder) / f"dnc.{ext}"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        # The note says where the number came from, in the words of whoever uploaded it.
        note = _("From the file %(name)s") % {"name": (upload.name or "")[:150]}
        try:
            added, invalid = _add_from(
                owner_id(request), path, "xlsx" if ext == "xlsx" else "csv", note
            )
        except uploads.UploadError as exc:
            form.add_error("file", uploads.upload_error_message(str(exc)))
            return _page(request, upload_form=form)
    messages.success(
        request,
        _("%(added)s numbers added to the do-not-call list, %(invalid)s rows skipped.")
        % {"added": added, "invalid": invalid},
    )
    return redirect("web:dnc")


def _add_from(owner_id: int, path: Path, ext: str, note: str) -> tuple[int, int]:
    """Adds every number of the file (checked whole first: web/spreadsheets.py)."""
    added = invalid = 0
    header, encoding = check_file(path, ext)
    column = uploads.phone_column(header)
    with transaction.atomic():
        for n, row in enumerate(uploads.iter_rows(path, ext, encoding)):
            value = row[column].strip() if column < len(row) else ""
            # A first row that is a number, not a column name, is data too.
            if not value or (n == 0 and not to_e164(value)):
                continue
            if do_add_do_not_call(owner_id, value, note) is None:
                invalid += 1
            else:
                added += 1
    return added, invalid
