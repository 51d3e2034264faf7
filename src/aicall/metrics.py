"""Prometheus metrics at /metrics (web process) and on the dialer's own port."""

from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from aicall.api.ratelimit import client_address
from aicall.metrics_access import may_read_metrics


def metrics_view(request: HttpRequest) -> HttpResponse:
    # Operators only: a token or an allowed address (metrics_access.py).
    if not may_read_metrics(client_address(request), request.headers.get("Authorization")):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain; charset=utf-8")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
