"""A campaign's webhook settings: the URL the sender may reach and the secret it signs with."""

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from aicall.campaigns.errors import CampaignError
from aicall.campaigns.models import Campaign
from aicall.webhooks.destinations import has_credentials, literal_address_refused
from aicall.webhooks.outbox import enqueue_campaign_status
from aicall.webhooks.signing import new_secret, secret_bytes

_URL = URLValidator(schemes=["http", "https"])
# signing.py's objections to a secret, translatable for the website (the API shows the
# English msgid, which is signing.py's own text).
_SECRET_MESSAGES = {
    "a webhook secret looks like whsec_<base64>": _("a webhook secret looks like whsec_<base64>"),
    "a webhook secret holds 24 to 64 bytes": _("a webhook secret holds 24 to 64 bytes"),
}


def clean_webhook_settings(raw: dict[str, Any], campaign: Campaign | None) -> dict[str, Any]:
    """Check `webhook_url` / `webhook_secret` and give a campaign with a URL a secret.

    Returns only the webhook values to set. A URL without any secret (given or already
    stored) gets a new `whsec_` secret, so that every delivery can be signed.
    """
    values: dict[str, Any] = {}
    if raw.get("webhook_url") is not None:
        url = str(raw["webhook_url"]).strip()
        if url:
            try:
                _URL(url)
            except ValidationError as exc:
                raise CampaignError("webhook_url", _("webhook_url must be an http(s) URL")) from exc
            if has_credentials(url):
                raise CampaignError(
                    "webhook_url",
                    _(
                        "webhook_url must not contain a user name or password (sign with "
                        "webhook_secret instead)"
                    ),
                )
            if literal_address_refused(url):
                raise CampaignError(
                    "webhook_url", _("webhook_url must be a public address, not a private one")
                )
        values["webhook_url"] = url
    if raw.get("webhook_secret") is not None:
        secret = str(raw["webhook_secret"]).strip()
        if secret:
            try:
                secret_bytes(secret)
            except ValueError as exc:
                raise CampaignError(
                    "webhook_secret", _SECRET_MESSAGES.get(str(exc), str(exc))
                ) from exc
        values["webhook_secret"] = secret
    url = values.get("webhook_url", campaign.webhook_url if campaign else "")
    secret = values.get("webhook_secret", campaign.webhook_secret if campaign else "")
    if url and not secret:
        values["webhook_secret"] = new_secret()
    return values


def announce_status(campaign_id: int, status: str, previous: str, at: datetime) -> bool:
    """Queue the `campaign.status` event of a change if the campaign asked for them.

    Call it in the transaction that changes the status; True if an event was queued.
    Test-call campaigns never announce anything.
    """
    wanted = Campaign.objects.filter(
        pk=campaign_id, webhook_campaign_events=True, test_for__isnull=True
    ).exclude(webhook_url="")
    if status == previous or not wanted.exists():
        return False
    return enqueue_campaign_status(campaign_id, status, previous, at)
