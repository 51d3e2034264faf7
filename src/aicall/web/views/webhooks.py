"""The website's webhook page of a campaign: settings summary, delivery log, resend."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aicall.campaigns.services import do_rotate_webhook_secret
from aicall.web.access import owned_campaign
from aicall.webhooks.models import DeliveryStatus, WebhookDelivery
from aicall.webhooks.queries import deliveries_of, delivery_counts
from aicall.webhooks.services import do_resend_delivery

PER_PAGE = 50


@login_required
def delivery_log(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = owned_campaign(request, campaign_id)
    status = request.GET.get("status") or None
    page = Paginator(deliveries_of(campaign.pk, status), PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "web/webhook_deliveries.html",
        {
            "nav": "campaigns",
            "campaign": campaign,
            "page": page,
            "status": status if status in DeliveryStatus.values else "",
            "statuses": DeliveryStatus.choices,
            "counts": delivery_counts(campaign.pk),
        },
    )


@login_required
@require_POST
def resend(request: HttpRequest, campaign_id: int, delivery_id: int) -> HttpResponse:
    campaign = owned_campaign(request, campaign_id)
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id, campaign_id=campaign.pk)
    do_resend_delivery(delivery)
    messages.success(request, _("Event %(id)s will be sent again.") % {"id": delivery.pk})
    return redirect("webhooks:log", campaign_id=campaign.pk)


@login_required
@require_POST
def rotate_secret(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = owned_campaign(request, campaign_id)
    do_rotate_webhook_secret(campaign)
    messages.success(request, _("New signing secret created; update your receiver."))
    return redirect("webhooks:log", campaign_id=campaign.pk)
