"""How a campaign's script reads for one contact: the preview beside the script field."""

import re
from typing import Any

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

SAMPLE_CONTACT = {
    "phone_number": "0901234567",
    "danh_xung": "anh",
    "ho_ten": "Nguyễn Văn An",
    "otp_code": "123456",
    "ma_don_hang": "DH-1024",
}


def render_script(script: str, contact: dict[str, Any]) -> tuple[str, list[str]]:
    """The script with `{name}` placeholders filled from the contact, and the unknown names.

    An unknown placeholder stays visible in the preview so the author sees the gap.
    """
    missing: list[str] = []

    def fill(match: re.Match) -> str:
        name = match.group(1)
        value = contact.get(name)
        if value in (None, ""):
            if name not in missing:
                missing.append(name)
            return match.group(0)
        return str(value)

    return _PLACEHOLDER.sub(fill, script), missing
