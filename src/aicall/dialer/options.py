"""The dialer's settings (from the environment through settings.AICALL, or given)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings


@dataclass
class DialerOptions:
    max_calls: int = 20000
    claim_batch: int = 500
    poll_seconds: float = 0.5
    flush_seconds: float = 0.1
    heartbeat_seconds: float = 5.0
    dead_after_seconds: float = 30.0
    drain_seconds: float = 50.0
    refresh_seconds: float = 5.0

    @classmethod
    def from_settings(cls, **overrides: Any) -> DialerOptions:
        conf = settings.AICALL
        values: dict[str, Any] = {
            "max_calls": int(conf["DIALER_MAX_CALLS"]),
            "claim_batch": int(conf["DIALER_CLAIM_BATCH"]),
            "poll_seconds": float(conf["DIALER_POLL_SECONDS"]),
            "heartbeat_seconds": float(conf["DIALER_HEARTBEAT_SECONDS"]),
            "dead_after_seconds": float(conf["DIALER_DEAD_AFTER_SECONDS"]),
            "drain_seconds": float(conf["DIALER_DRAIN_SECONDS"]),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
