"""The calls table's filters, shared by the page and its CSV / Excel downloads."""

import re
from typing import cast

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from aicall.calls.models import Call, CallState, CallStatus
from aicall.lib.phones import to_e164
from aicall.web.labels import hangup_cause

STATE_CHOICES = [
    ("", _("Any state")),
    ("answered", _("Answered")),
    ("failed", _("Not answered")),
    ("in_progress", _("In progress")),
    ("queued", _("Queued")),
]
KEY_CHOICES = [("", _("Any key")), ("none", _("No key"))] + [(k, k) for k in "1234567890*#"]
_STATE_FILTERS = {
    "answered": Q(state=CallState.ANSWERED),
    "failed": Q(state__in=[CallState.NOT_ANSWERED, CallState.ERROR]),
    "in_progress": Q(status=CallStatus.DIALING),
    "queued": Q(status=CallStatus.QUEUED),
}


class CallFilterForm(forms.Form):
    campaign = forms.TypedChoiceField(
        label=_("Campaign"), required=False, coerce=int, empty_value=None
    )
    start = forms.DateTimeField(
        label=_("Called from"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    end = forms.DateTimeField(
        label=_("Called until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    state = forms.ChoiceField(label=_("State"), required=False, choices=STATE_CHOICES)
    cause = forms.ChoiceField(label=_("How the call ended"), required=False)
    key = forms.ChoiceField(label=_("Key pressed"), required=False, choices=KEY_CHOICES)
    phone = forms.CharField(label=_("Phone number"), required=False, max_length=40)

    def __init__(self, data, *, campaigns=None, causes=(), **kwargs):
        super().__init__(data, **kwargs)
        if campaigns is None:
            del self.fields["campaign"]
        else:
            campaign_field = cast(forms.ChoiceField, self.fields["campaign"])
            campaign_field.choices = [("", _("All campaigns"))] + [
                (c.pk, c.name) for c in campaigns
            ]
        cause_field = cast(forms.ChoiceField, self.fields["cause"])
        cause_field.choices = [("", _("Any way"))] + [(c, hangup_cause(c)) for c in causes]

    def filter(self, calls: QuerySet[Call]) -> QuerySet[Call]:
        """`calls` narrowed by every valid filter; invalid ones are ignored (and shown)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if data.get("campaign"):
            calls = calls.filter(campaign_id=data["campaign"])
        if data.get("start"):
            calls = calls.filter(called_at__gte=data["start"])
        if data.get("end"):
            calls = calls.filter(called_at__lte=data["end"])
        if data.get("state"):
            calls = calls.filter(_STATE_FILTERS[data["state"]])
        if data.get("cause"):
            calls = calls.filter(hangup_cause=data["cause"])
        key = data.get("key")
        if key == "none":
            calls = calls.filter(state=CallState.ANSWERED, key_press="")
        elif key:
            # key_press reads "1 (29), 2 (35)": a digit opens the text or follows ", ".
            calls = calls.filter(key_press__regex=rf"(^|, ){re.escape(key)} \(")
        phone = (data.get("phone") or "").strip()
        if phone:
            e164 = to_e164(phone)
            if e164:
                calls = calls.filter(phone_e164=e164)
            else:
                digits = re.sub(r"\D", "", phone).lstrip("0")
                calls = calls.filter(phone_e164__contains=digits) if digits else calls.none()
        return calls
