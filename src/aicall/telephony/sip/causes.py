"""SIP final responses to the contract's `note`, as FreeSWITCH's mod_sofia maps them."""

from aicall.telephony import base

_BY_CODE = {
    486: base.USER_BUSY,
    600: base.USER_BUSY,
    480: base.NO_USER_RESPONSE,
    401: base.CALL_REJECTED,
    402: base.CALL_REJECTED,
    403: base.CALL_REJECTED,
    407: base.CALL_REJECTED,
    603: base.CALL_REJECTED,
    404: base.UNALLOCATED_NUMBER,
    408: base.RECOVERY_ON_TIMER_EXPIRE,
    504: base.RECOVERY_ON_TIMER_EXPIRE,
    484: base.INVALID_NUMBER_FORMAT,
    410: base.NUMBER_CHANGED,
    502: base.NETWORK_OUT_OF_ORDER,
    488: base.INCOMPATIBLE_DESTINATION,
    606: base.INCOMPATIBLE_DESTINATION,
}


def note_for_sip_code(code: int) -> str:
    """The Q.850 name for a failed call's final SIP response."""
    if code in _BY_CODE:
        return _BY_CODE[code]
    if 500 <= code < 600:
        return base.NORMAL_TEMPORARY_FAILURE
    if code == 487:
        return base.ORIGINATOR_CANCEL
    if 300 <= code < 400:
        return base.REDIRECTED  # a redirect that was not (or could not be) followed
    return base.NORMAL_TEMPORARY_FAILURE
