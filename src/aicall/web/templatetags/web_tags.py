"""Template filters that show the domain's codes in the reader's language."""

from django import template

from aicall.web import labels

register = template.Library()


@register.filter
def campaign_type(value: str) -> str:
    return str(labels.CAMPAIGN_TYPE.get(value, value))


@register.filter
def campaign_status(value: str) -> str:
    return str(labels.CAMPAIGN_STATUS.get(value, value))


@register.filter
def call_state(call) -> str:
    if call.state in labels.CALL_STATE:
        return str(labels.CALL_STATE[call.state])
    return str(labels.CALL_STATUS.get(call.status, call.status))


@register.filter
def call_badge(call) -> str:
    if call.state == 40:
        return "answered"
    if call.state in (50, 60):
        return "failed"
    return "dialing" if call.status == "dialing" else "queued"


@register.filter
def hangup_cause(note: str) -> str:
    return labels.hangup_cause(note)


@register.filter
def delivery_status(value: str) -> str:
    return str(labels.DELIVERY_STATUS.get(value, value))


@register.filter
def skip_reason(value: str) -> str:
    return str(labels.SKIP_REASON.get(value, value))


@register.filter
def menu_action(value: str) -> str:
    return str(labels.MENU_ACTION.get(value, value))


@register.filter
def sorted_keys(keys: dict) -> list:
    """Menu keys in keypad order: 1-9, 0, *, #."""
    order = "1234567890*#"
    return sorted(keys.items(), key=lambda item: order.find(item[0]))
