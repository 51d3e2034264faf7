"""Prometheus metrics at /metrics (web process) and on the dialer's own port.

The web process counts its own work here: API requests by route and status, their
latency, and what imports accepted. `_created` series are switched off in every process
(apps.py): a timestamp per counter doubles the series without telling anyone anything.
"""

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest

from aicall.api.ratelimit import client_address
from aicall.metrics_access import may_read_metrics

API_REQUESTS = Counter(
    "aicall_api_requests",
    "API requests answered, by route (the URL pattern, not the raw path), method and status",
    ["route", "method", "status"],
)
API_LATENCY = Histogram(
    "aicall_api_request_duration_seconds",
    "Time to answer an API request (until the first byte of a streamed download)",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
IMPORTS = Counter("aicall_api_imports", "Successful import requests")
CONTACTS_ACCEPTED = Counter("aicall_api_contacts_accepted", "Contacts queued by imports")
CONTACTS_SENT = Counter(
    "aicall_api_contacts_received", "Contacts sent in successful imports (accepted or skipped)"
)


def record_import(received: int, accepted: int) -> None:
    IMPORTS.inc()
    CONTACTS_SENT.inc(received)
    CONTACTS_ACCEPTED.inc(accepted)


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None or not match.route:
        return "unmatched"  # unknown paths: never one series per path a scanner tries
    return "/" + match.route


class ApiMetricsMiddleware:
    """Counts and times every answer under /api/."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        started = time.perf_counter()
        method = request.method or ""
        response = self.get_response(request)
        route = _route(request)
        API_LATENCY.labels(route, method).observe(time.perf_counter() - started)
        API_REQUESTS.labels(route, method, str(response.status_code)).inc()
        return response


def metrics_view(request: HttpRequest) -> HttpResponse:
    # Operators only: a token or an allowed address (metrics_access.py).
    if not may_read_metrics(client_address(request), request.headers.get("Authorization")):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain; charset=utf-8")
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
