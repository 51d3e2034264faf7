"""The key-press menu tree of an IVR campaign, as the original service has it.

A menu node::

    {"prompt": "Bấm 1 để xác nhận, bấm 2 để nghe lại",   # optional at the root (the script)
     "timeout_seconds": 8,
     "keys": {"1": {"action": "message", "message": "Cảm ơn quý khách", "then": "hangup"},
              "2": {"action": "repeat"},
              "3": {"action": "submenu", "menu": {...another node...}},
              "0": {"action": "transfer", "target": "0901234567"},
              "*": {"action": "back"},
              "#": {"action": "hangup"}}}

Every key leads somewhere: a menu with no keys is a dead end, `back` at the root has
nowhere to go, a transfer needs a target, and a submenu needs its menu. Being a tree, every
node is reachable from the root once those hold.
"""

from typing import Any

from aicall.campaigns.errors import CampaignError
from aicall.telephony.transfer import TransferTargetError, clean_transfer_target

KEYS = frozenset("0123456789*#")
ACTIONS = ("message", "repeat", "back", "submenu", "transfer", "hangup")
MAX_DEPTH = 5


class MenuError(CampaignError):
    def __init__(self, path: str, message: str):
        super().__init__("ivr_menu", f"{path}: {message}")
        self.path = path
        self.problem = message  # without the path, for surfaces that translate it


def validate_menu(menu: Any, *, allow_restricted: bool = False) -> dict:
    """The menu, cleaned, or MenuError naming the first problem by its key path.

    Transfer targets follow telephony/transfer.py; `allow_restricted` lets them be
    premium-rate or 1900/1800 numbers (the operator's choice per account).
    """
    if menu in (None, {}, ""):
        return {}
    return _node(menu, "menu", depth=0, allow_restricted=allow_restricted)


def _node(node: Any, path: str, depth: int, *, allow_restricted: bool) -> dict:
    if not isinstance(node, dict):
        raise MenuError(path, "must be an object")
    if depth >= MAX_DEPTH:
        raise MenuError(path, f"menus nest at most {MAX_DEPTH} levels")
    keys = node.get("keys")
    if not isinstance(keys, dict) or not keys:
        raise MenuError(path, "a menu needs at least one key (a menu without keys is a dead end)")
    timeout = node.get("timeout_seconds", 8)
    if not isinstance(timeout, int) or not 1 <= timeout <= 60:
        raise MenuError(path, "timeout_seconds must be 1 to 60")
    cleaned: dict[str, Any] = {"timeout_seconds": timeout, "keys": {}}
    if node.get("prompt"):
        cleaned["prompt"] = str(node["prompt"])[:2000]
    elif depth > 0:
        raise MenuError(path, "a sub-menu needs a prompt telling the caller what to press")
    for key, option in keys.items():
        if key not in KEYS:
            raise MenuError(f"{path}.{key}", "keys are 0-9, * and #")
        cleaned["keys"][key] = _option(option, f"{path}.{key}", depth, allow_restricted)
    return cleaned


def _option(option: Any, path: str, depth: int, allow_restricted: bool) -> dict:
    if not isinstance(option, dict) or option.get("action") not in ACTIONS:
        raise MenuError(path, f"action must be one of {', '.join(ACTIONS)}")
    action = option["action"]
    cleaned: dict[str, Any] = {"action": action}
    if option.get("label"):
        cleaned["label"] = str(option["label"])[:100]
    if action == "message":
        if not option.get("message"):
            raise MenuError(path, "a message action needs the message to play")
        cleaned["message"] = str(option["message"])[:2000]
        then = option.get("then", "hangup")
        if then not in ("hangup", "menu"):
            raise MenuError(path, "then must be hangup or menu")
        cleaned["then"] = then
    elif action == "back" and depth == 0:
        raise MenuError(path, "back at the top menu has nowhere to go")
    elif action == "transfer":
        try:
            target = clean_transfer_target(option.get("target"), allow_restricted=allow_restricted)
        except TransferTargetError as exc:
            raise MenuError(path, exc.message) from exc
        cleaned["target"] = target
    elif action == "submenu":
        cleaned["menu"] = _node(
            option.get("menu"), path, depth + 1, allow_restricted=allow_restricted
        )
    return cleaned
