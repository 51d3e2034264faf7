"""Prometheus metrics of a dialer process (served on `aicall dialer --metrics-port`)."""

from prometheus_client import Counter, Gauge, Histogram

CALLS_STARTED = Counter("aicall_dialer_calls_started", "Calls placed (attempts dialled)")
CALLS_ANSWERED = Counter("aicall_dialer_calls_answered", "Calls answered by the callee")
CALLS_FAILED = Counter(
    "aicall_dialer_calls_failed", "Calls that ended without an answer, by cause", ["cause"]
)
CALLS_NOT_PLACED = Counter(
    "aicall_dialer_calls_not_placed",
    "Calls settled without dialling (do-not-call, expired OTP, interrupted)",
    ["reason"],
)
CALLS_RETRIED = Counter("aicall_dialer_calls_retried", "Attempts queued again by retry policy")
CHANNELS_IN_USE = Gauge("aicall_dialer_channels_in_use", "Calls this dialer has in flight")
CLAIM_LATENCY = Histogram(
    "aicall_dialer_claim_latency_seconds",
    "Time of one claim round (one database transaction)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
STORE_LATENCY = Histogram(
    "aicall_dialer_store_latency_seconds",
    "Time to store one batch of results (one database transaction)",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
CAMPAIGN_CALLS = Gauge(
    "aicall_campaign_calls",
    "Calls of running campaigns by progress (queued, in_progress, answered, failed)",
    ["campaign_id", "progress"],
)
TRUNK_UP = Gauge(
    "aicall_trunk_up", "1 while a trunk takes calls, 0 while it is down or paused", ["trunk"]
)
TRUNK_CONSECUTIVE_TIMEOUTS = Gauge(
    "aicall_trunk_consecutive_timeouts", "Calls in a row on the trunk that timed out", ["trunk"]
)
TRUNK_DOWN_TOTAL = Counter(
    "aicall_trunk_marked_down", "Times this dialer marked a trunk down", ["trunk"]
)
TRUNK_PROBES = Counter(
    "aicall_trunk_probes", "OPTIONS probes of down trunks, by result", ["trunk", "result"]
)
