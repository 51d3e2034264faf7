"""Which carrier places calls: settings.AICALL["TELEPHONY"] decides."""

from django.conf import settings

from aicall.telephony.base import Carrier


class UnknownTelephony(ValueError):
    pass


def get_carrier(kind: str | None = None) -> Carrier:
    """`sandbox` (the default: no SIP, outcomes by the callee's last digit) or `sip`.

    The SIP carrier is imported only when asked for: it loads PJSIP, which the sandbox, the
    website and the tests do not need.
    """
    kind = (kind or settings.AICALL["TELEPHONY"]).strip().lower()
    if kind == "sandbox":
        from aicall.telephony.sandbox import SandboxCarrier

        return SandboxCarrier(
            speed=float(settings.AICALL["SANDBOX_SPEED"]),
            journal_path=settings.AICALL["SANDBOX_JOURNAL"],
        )
    if kind == "sip":
        from aicall.telephony.sip.carrier import SipCarrier  # type: ignore[import-not-found]

        carrier: Carrier = SipCarrier()
        return carrier
    raise UnknownTelephony(f"AICALL_TELEPHONY must be sandbox or sip, not {kind!r}")
