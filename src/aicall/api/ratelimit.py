"""Request budgets: per account on every authenticated endpoint, and per client address on
failed `generate-access-token` attempts (secret_key guessing).

Token buckets kept in this process's memory. `aicall serve` runs one web process, so that is
one budget per server; behind a load balancer with N web processes a client gets N times
the budget, which is fine for limits meant to stop runaway loops, not to meter billing.
The budget is per account, not per access_token: minting more tokens (which is free) must
not buy more requests.

Answers carry the IETF draft headers (`RateLimit-Limit`, `RateLimit-Remaining`,
`RateLimit-Reset`, `RateLimit-Policy`); a refused request gets HTTP 429 with `Retry-After`.
"""

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from aicall.api.responses import fail

log = logging.getLogger("aicall.api.ratelimit")

TOKEN_PATH = "/api/users/generate-access-token"
MSG_RATE_LIMITED = "too many requests, retry after {seconds} s"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int  # until the bucket is full again
    retry_after_seconds: int  # until one more request fits (0 when allowed)
    window_seconds: int

    def headers(self) -> dict[str, str]:
        values = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
            "RateLimit-Policy": f"{self.limit};w={self.window_seconds}",
        }
        if not self.allowed:
            values["Retry-After"] = str(self.retry_after_seconds)
        return values


class TokenBuckets:
    """Thread-safe token buckets by key; the least recently used keys are forgotten first."""

    def __init__(self, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic):
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._max_keys = max_keys
        self._clock = clock

    def _level(self, key: str, rate: float, burst: int, now: float) -> float:
        tokens, updated = self._buckets.get(key, (float(burst), now))
        return min(float(burst), tokens + (now - updated) * rate)

    def _decide(self, allowed: bool, tokens: float, rate: float, burst: int) -> Decision:
        return Decision(
            allowed=allowed,
            limit=burst,
            remaining=max(0, math.floor(tokens)),
            reset_seconds=math.ceil((burst - tokens) / rate),
            retry_after_seconds=0 if allowed else max(1, math.ceil((1 - tokens) / rate)),
            window_seconds=max(1, round(burst / rate)),
        )

    def take(self, key: str, rate: float, burst: int) -> Decision:
        """Spend one token if there is one."""
        with self._lock:
            now = self._clock()
            tokens = self._level(key, rate, burst, now)
            allowed = tokens >= 1
            if allowed:
                tokens -= 1
            self._buckets[key] = (tokens, now)
            self._buckets.move_to_end(key)
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
            return self._decide(allowed, tokens, rate, burst)

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()


accounts = TokenBuckets()
token_failures = TokenBuckets()


def _account_policy() -> tuple[float, int]:
    conf = settings.AICALL
    return float(conf["API_RATE_PER_SECOND"]), int(conf["API_RATE_BURST"])


def _failure_policy() -> tuple[float, int]:
    conf = settings.AICALL
    return float(conf["TOKEN_FAILURES_PER_HOUR"]) / 3600, int(conf["TOKEN_FAILURES_BURST"])


class RateLimited(Exception):
    def __init__(self, decision: Decision):
        super().__init__("rate limited")
        self.decision = decision


def too_many(decision: Decision) -> HttpResponse:
    seconds = decision.retry_after_seconds
    response = fail("429", MSG_RATE_LIMITED.format(seconds=seconds), 429)
    for name, value in decision.headers().items():
        response[name] = value
    return response


def charge_account(request: HttpRequest, user_id: int) -> None:
    """Spend one request of the account's budget; RateLimited (answer 429) when empty."""
    rate, burst = _account_policy()
    decision = accounts.take(f"u{user_id}", rate, burst)
    request.aicall_rate = decision  # type: ignore[attr-defined]
    if not decision.allowed:
        raise RateLimited(decision)


def client_address(request: HttpRequest) -> str:
    """The caller's IP: REMOTE_ADDR, or the last X-Forwarded-For hop behind a trusted proxy."""
    if settings.AICALL.get("TRUST_X_FORWARDED_FOR"):
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


class RateLimitMiddleware:
    """Adds the RateLimit headers to API answers and guards generate-access-token."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        if request.path.rstrip("/") == TOKEN_PATH:
            return self._token_endpoint(request)
        response = self.get_response(request)
        decision = getattr(request, "aicall_rate", None)
        if decision is not None and response.status_code != 429:
            for name, value in decision.headers().items():
                response[name] = value
        return response

    def _token_endpoint(self, request: HttpRequest) -> HttpResponse:
        # Only failures count, and a valid secret_key is never refused: the key is always
        # checked, and only a wrong one spends the address's budget (and gets 429 once it
        # is spent). A customer's scripts behind the same NAT as a broken or hostile client
        # keep minting tokens. What stops guessing is the key's 256 random bits; the budget
        # tells a guesser to back off and puts a line in the log.
        response = self.get_response(request)
        if response.status_code != 401:
            return response
        rate, burst = _failure_policy()
        key = client_address(request)
        decision = token_failures.take(key, rate, burst)
        if decision.allowed:
            return response
        log.warning("generate-access-token: failures over budget from %s", key)
        return too_many(decision)
