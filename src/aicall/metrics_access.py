"""Who may read Prometheus metrics: a scraper with `AICALL_METRICS_TOKEN` as a Bearer
token, or one whose address is in `AICALL_METRICS_ALLOW` (default: loopback only).

Metrics name campaigns' progress and trunks' health; they are for the operator, not for
customers or the internet. The web process's /metrics and the dialer's metrics port
(`aicall dialer --metrics-port`) apply the same rule.
"""

import hmac
import ipaddress
import threading
from http.server import ThreadingHTTPServer

from django.conf import settings
from prometheus_client import REGISTRY
from prometheus_client.exposition import MetricsHandler

LOOPBACK = "127.0.0.0/8,::1"


def metrics_token() -> str:
    return str(settings.AICALL.get("METRICS_TOKEN") or "")


def _networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    spec = str(settings.AICALL.get("METRICS_ALLOW", LOOPBACK))
    return [ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part]


def bearer_ok(authorization: str | None) -> bool:
    """Whether an Authorization header carries the metrics token (compared in constant time)."""
    token = metrics_token()
    scheme, _, value = (authorization or "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(value, token)


def address_ok(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in _networks())


def may_read_metrics(address: str, authorization: str | None) -> bool:
    return bearer_ok(authorization) or address_ok(address)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _GuardedMetricsHandler(MetricsHandler):
    registry = REGISTRY

    def do_GET(self) -> None:
        if not may_read_metrics(self.client_address[0], self.headers.get("Authorization")):
            self.send_response(403)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"forbidden\n")
            return
        super().do_GET()


def start_metrics_server(port: int, address: str) -> ThreadingHTTPServer:
    """The dialer's metrics port, in a daemon thread, answering only allowed scrapers."""
    server = ThreadingHTTPServer((address, port), _GuardedMetricsHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
