"""A campaign's script filled in for one contact: what the callee hears.

Placeholders are `{name}`: `{danh_xung}`, `{ho_ten}`, `{phone_number}`, `{otp_code}` and any
custom field sent with the contact at import. A placeholder with no value for this contact
stays in the text as written (a preview shows what is missing; the call still goes out), and
braces that are not a placeholder are left alone: rendering never fails.
"""

import re
from collections.abc import Mapping
from typing import Any

from aicall.lib.phones import to_national

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def render_script(template: str, values: Mapping[str, Any]) -> str:
    """Replace each `{name}` found in `values`; leave unknown placeholders untouched."""
    if "{" not in template:
        return template

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in values:
            return _as_text(values[name])
        return match.group(0)

    return _PLACEHOLDER.sub(fill, template)


def contact_values(
    *,
    phone_e164: str,
    danh_xung: str = "",
    ho_ten: str = "",
    otp_code: str = "",
    custom_fields: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The placeholder values of one contact; the named fields win over custom ones."""
    values: dict[str, Any] = dict(custom_fields or {})
    values.update(
        danh_xung=danh_xung,
        ho_ten=ho_ten,
        phone_number=to_national(phone_e164),
        otp_code=otp_code,
    )
    return values
