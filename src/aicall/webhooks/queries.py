"""Reads of webhook deliveries, always through a campaign the account owns."""

from django.db.models import Count, QuerySet

from aicall.webhooks.models import DeliveryStatus, WebhookDelivery


def deliveries_of(campaign_id: int, status: str | None = None) -> QuerySet[WebhookDelivery]:
    """A campaign's deliveries, newest first (the (campaign, -created_at) index)."""
    deliveries = WebhookDelivery.objects.filter(campaign_id=campaign_id)
    if status in DeliveryStatus.values:
        deliveries = deliveries.filter(status=status)
    return deliveries.order_by("-created_at", "-id")


def delivery_counts(campaign_id: int) -> dict[str, int]:
    counts = dict.fromkeys(DeliveryStatus.values, 0)
    rows = (
        WebhookDelivery.objects.filter(campaign_id=campaign_id)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for status, n in rows:
        counts[status] = n
    return counts
