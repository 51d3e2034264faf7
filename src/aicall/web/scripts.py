"""How a campaign's script reads for one contact: the preview beside the script field."""

import re
from typing import Any

from aicall.campaigns.script import render_script as render_for_call

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

SAMPLE_CONTACT = {
    "phone_number": "0901234567",
    "danh_xung": "anh",
    "ho_ten": "Nguyễn Văn An",
    "otp_code": "123456",
    "ma_don_hang": "DH-1024",
}


def render_script(script: str, contact: dict[str, Any]) -> tuple[str, list[str]]:
    """The script as the dialer will speak it for `contact`, and the placeholders it lacks.

    Rendering is the dialer's own function, so the preview cannot drift from the call; an
    unknown placeholder stays visible so the author sees the gap.
    """
    values = {name: value for name, value in contact.items() if value not in (None, "")}
    missing = list(dict.fromkeys(n for n in _PLACEHOLDER.findall(script) if n not in values))
    return render_for_call(script, values), missing
