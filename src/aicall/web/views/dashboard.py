"""Dashboards: one for the account, one inside each campaign's page (polled by htmx)."""

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from aicall.web import charts, stats
from aicall.web.access import owned_campaign, owner_id
from aicall.web.labels import CALL_STATE, hangup_cause

FIGURES_CACHE_SECONDS = 3


def _figures(owner_id: int, campaign_id: int | None) -> dict:
    """The dashboard's numbers, computed at most once every few seconds per scope.

    Every open tab polls them; on a campaign of 100,000 calls one computation takes about
    half a second, so tabs share it instead of each paying for it.
    """
    key = f"web:figures:{owner_id}:{campaign_id or 0}:{get_language()}"
    figures = cache.get(key)
    if figures is None:
        figures = _compute(owner_id, campaign_id)
        cache.set(key, figures, FIGURES_CACHE_SECONDS)
    return figures


def _compute(owner_id: int, campaign_id: int | None) -> dict:
    calls = stats.calls_of(owner_id, campaign_id)
    buckets, label_format = stats.over_time(calls)
    counts = stats.progress(calls)
    keys = [(key or "—", n) for key, n in stats.first_keys(calls)]
    return {
        "counts": counts,
        "timeline": charts.bar_chart(buckets, label_format),
        "timeline_narrow": charts.bar_chart(buckets, label_format, narrow=True),
        "has_timeline": bool(buckets),
        "donut": charts.donut(counts["answer_rate"]),
        "causes": [
            {**bar, "note": bar["label"], "label": hangup_cause(bar["label"])}
            for bar in charts.share_bars(stats.hangup_causes(calls))
        ],
        "keys": charts.share_bars(keys),
        "answered_label": str(CALL_STATE[40]),
        "failed_label": str(CALL_STATE[50]),
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "web/dashboard.html", {"nav": "dashboard"})


@login_required
def account_charts(request: HttpRequest) -> HttpResponse:
    return render(request, "web/_charts.html", _figures(owner_id(request), None))


@login_required
def campaign_charts(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = owned_campaign(request, campaign_id)
    return render(
        request,
        "web/_charts.html",
        {**_figures(owner_id(request), campaign.pk), "campaign": campaign},
    )
