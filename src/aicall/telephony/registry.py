"""Which carrier places calls: settings.AICALL["TELEPHONY"] decides.

- unset / `auto` (the default): per call. A call whose campaign resolves to a trunk goes
  out over SIP, a call with no trunk anywhere goes to the sandbox. The PJSIP pool starts
  only when the first SIP call comes, so an installation without trunks never loads it.
- `sandbox`: every call is simulated, trunks or not (tests, demos).
- `sip`: every call over SIP (a campaign with no trunk fails its calls as
  NORMAL TEMPORARY FAILURE, as a misconfiguration should).
"""

from __future__ import annotations

import asyncio
import logging

from django.conf import settings

from aicall.telephony.base import (
    NORMAL_TEMPORARY_FAILURE,
    AnsweredCallback,
    CallOutcome,
    CallRequest,
    Carrier,
)

log = logging.getLogger("aicall.telephony")

AUTO = "auto"
SANDBOX = "sandbox"
SIP = "sip"
MODES = (AUTO, SANDBOX, SIP)


class UnknownTelephony(ValueError):
    pass


def telephony_mode(kind: str | None = None) -> str:
    """The configured mode, `auto` when AICALL_TELEPHONY is unset or empty."""
    mode = (kind if kind is not None else settings.AICALL["TELEPHONY"] or AUTO).strip().lower()
    if mode not in MODES:
        raise UnknownTelephony(f"AICALL_TELEPHONY must be auto, sandbox or sip, not {mode!r}")
    return mode


def simulated(has_trunk: bool, mode: str | None = None) -> bool:
    """Whether a campaign's calls go to the sandbox: forced, or `auto` with no trunk."""
    mode = telephony_mode(mode)
    return mode == SANDBOX or (mode == AUTO and not has_trunk)


def sandbox_carrier() -> Carrier:
    from aicall.telephony.sandbox import SandboxCarrier

    return SandboxCarrier(
        speed=float(settings.AICALL["SANDBOX_SPEED"]),
        journal_path=settings.AICALL["SANDBOX_JOURNAL"],
    )


def sip_carrier() -> Carrier:
    """The SIP carrier; imported only when asked for (it loads PJSIP)."""
    from aicall.telephony.sip.carrier import SipCarrier  # type: ignore[import-not-found]

    carrier: Carrier = SipCarrier()
    return carrier


class RoutingCarrier(Carrier):
    """`auto`: the sandbox for calls without a trunk, SIP (started lazily) for the others."""

    name = AUTO

    def __init__(self, sandbox: Carrier | None = None, sip_factory=sip_carrier) -> None:
        self.sandbox = sandbox or sandbox_carrier()
        self._sip_factory = sip_factory
        self.sip: Carrier | None = None
        self._sip_lock = asyncio.Lock()
        self._sip_failed = False

    def name_for(self, request: CallRequest) -> str:
        return SIP if request.trunk is not None else self.sandbox.name

    async def start(self) -> None:
        await self.sandbox.start()

    async def stop(self) -> None:
        await self.sandbox.stop()
        if self.sip is not None:
            await self.sip.stop()

    async def _sip(self) -> Carrier | None:
        async with self._sip_lock:
            if self.sip is None:
                try:
                    carrier = self._sip_factory()
                    await carrier.start()
                except Exception:
                    if not self._sip_failed:
                        log.exception("cannot start the SIP carrier; SIP calls fail until it can")
                    self._sip_failed = True
                    return None
                log.info("first call on a trunk: SIP carrier started")
                self.sip = carrier
            return self.sip

    async def place_call(
        self, request: CallRequest, on_answered: AnsweredCallback | None = None
    ) -> CallOutcome:
        if request.trunk is None:
            return await self.sandbox.place_call(request, on_answered)
        sip = await self._sip()
        if sip is None:
            return CallOutcome(answered=False, hangup_cause=NORMAL_TEMPORARY_FAILURE)
        return await sip.place_call(request, on_answered)

    def channels_in_use(self) -> int:
        sip = self.sip.channels_in_use() if self.sip is not None else 0
        return self.sandbox.channels_in_use() + sip

    def capacity(self) -> int | None:
        """The SIP pool's ceiling plus the sandbox's channels (the pool may start later)."""
        sip = int(settings.AICALL["SIP_MAX_WORKERS"]) * 4
        return sip + int(settings.AICALL["SANDBOX_MAX_CHANNELS"])


def get_carrier(kind: str | None = None) -> Carrier:
    """The carrier for the configured mode (see the module docstring)."""
    mode = telephony_mode(kind)
    if mode == SANDBOX:
        return sandbox_carrier()
    if mode == SIP:
        return sip_carrier()
    return RoutingCarrier()
