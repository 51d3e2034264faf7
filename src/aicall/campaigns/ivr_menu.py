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

A prompt or a message may be an uploaded recording instead of text: a node's
`prompt_audio` or a message option's `message_audio` is the id of one of the campaign's
menu recordings (campaigns/menu_audio.py), played instead of the text; the text is then
optional. A recording is addressed by the keys pressed to reach it (`menu_spot`): "" is the
top menu's prompt, "3" the message or sub-menu prompt behind key 3, "31" behind key 1 of
that sub-menu. Where the campaign's recordings are known (every write of a saved menu), a
reference must be one of them: an id of another campaign or account, or of nothing, is
refused rather than stored.
"""

import copy
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from aicall.campaigns.errors import CampaignError
from aicall.telephony.transfer import TransferTargetError, clean_transfer_target

KEYS = frozenset("0123456789*#")
KEYPAD = "1234567890*#"
ACTIONS = ("message", "repeat", "back", "submenu", "transfer", "hangup")
MAX_DEPTH = 5


AUDIO_ID = re.compile(r"[0-9a-f]{32}")
# A file chosen in the website's editor and not yet uploaded (web/views/menu_audio.py).
PENDING_AUDIO = re.compile(r"new:[0-9]{1,4}")


class MenuError(CampaignError):
    def __init__(self, path: str, message: str):
        super().__init__("ivr_menu", f"{path}: {message}")
        self.path = path
        self.problem = message  # without the path, for surfaces that translate it


NOT_A_RECORDING = "an audio reference must be the id of an uploaded recording"


@dataclass(frozen=True)
class _Rules:
    allow_restricted: bool
    allow_pending: bool
    recordings: Collection[str] | None


def validate_menu(
    menu: Any,
    *,
    allow_restricted: bool = False,
    allow_pending: bool = False,
    recordings: Collection[str] | None = None,
) -> dict:
    """The menu, cleaned, or MenuError naming the first problem by its key path.

    Transfer targets follow telephony/transfer.py; `allow_restricted` lets them be
    premium-rate or 1900/1800 numbers (the operator's choice per account).
    `allow_pending` accepts `new:N` audio references (files chosen on the website but not
    uploaded yet), for the editor's drawing only. `recordings`: the ids of the campaign's
    menu recordings (and of those stored with this menu); a reference to any other id is
    refused. None checks only the shape of an id (a menu not tied to a campaign yet).
    """
    if menu in (None, {}, ""):
        return {}
    return _node(menu, "menu", 0, _Rules(allow_restricted, allow_pending, recordings))


def _audio_ref(value: Any, path: str, rules: _Rules) -> str | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and rules.allow_pending and PENDING_AUDIO.fullmatch(value):
        return value
    if isinstance(value, str) and AUDIO_ID.fullmatch(value):
        if rules.recordings is None or value in rules.recordings:
            return value
    raise MenuError(path, NOT_A_RECORDING)


def _node(node: Any, path: str, depth: int, rules: _Rules) -> dict:
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
    audio = _audio_ref(node.get("prompt_audio"), path, rules)
    if node.get("prompt"):
        cleaned["prompt"] = str(node["prompt"])[:2000]
    elif depth > 0 and audio is None:
        raise MenuError(path, "a sub-menu needs a prompt telling the caller what to press")
    if audio is not None:
        cleaned["prompt_audio"] = audio
    for key, option in keys.items():
        if key not in KEYS:
            raise MenuError(f"{path}.{key}", "keys are 0-9, * and #")
        cleaned["keys"][key] = _option(option, f"{path}.{key}", depth, rules)
    return cleaned


def _option(option: Any, path: str, depth: int, rules: _Rules) -> dict:
    if not isinstance(option, dict) or option.get("action") not in ACTIONS:
        raise MenuError(path, f"action must be one of {', '.join(ACTIONS)}")
    action = option["action"]
    cleaned: dict[str, Any] = {"action": action}
    if option.get("label"):
        cleaned["label"] = str(option["label"])[:100]
    if action == "message":
        audio = _audio_ref(option.get("message_audio"), path, rules)
        if not option.get("message") and audio is None:
            raise MenuError(path, "a message action needs the message to play")
        if option.get("message"):
            cleaned["message"] = str(option["message"])[:2000]
        if audio is not None:
            cleaned["message_audio"] = audio
        then = option.get("then", "hangup")
        if then not in ("hangup", "menu"):
            raise MenuError(path, "then must be hangup or menu")
        cleaned["then"] = then
    elif action == "back" and depth == 0:
        raise MenuError(path, "back at the top menu has nowhere to go")
    elif action == "transfer":
        try:
            target = clean_transfer_target(
                option.get("target"), allow_restricted=rules.allow_restricted
            )
        except TransferTargetError as exc:
            raise MenuError(path, exc.message) from exc
        cleaned["target"] = target
    elif action == "submenu":
        cleaned["menu"] = _node(option.get("menu"), path, depth + 1, rules)
    return cleaned


# -- the prompts and messages of a menu, by the keys that reach them ------------------------


def menu_spot(menu: dict, keys: str) -> tuple[dict, str]:
    """The dict holding the prompt or message reached by pressing `keys`, and which it is
    ("prompt": a node, "message": a message option). MenuError (path = the keys) when the
    keys lead nowhere or to an action that plays nothing."""
    where = "menu" + "".join(f".{k}" for k in keys)
    if not menu or not isinstance(menu.get("keys"), dict):
        raise MenuError(where, "the campaign has no key-press menu")
    if len(keys) > MAX_DEPTH or any(k not in KEYS for k in keys):
        raise MenuError(where, "keys are 0-9, * and #, at most one per menu level")
    node = menu
    for depth, key in enumerate(keys):
        option = node.get("keys", {}).get(key)
        if not isinstance(option, dict):
            raise MenuError(where, "no key leads there in the menu")
        last = depth == len(keys) - 1
        if option.get("action") == "submenu" and isinstance(option.get("menu"), dict):
            node = option["menu"]
            continue
        if last and option.get("action") == "message":
            return option, "message"
        raise MenuError(where, "this key plays nothing: only messages and sub-menus can")
    return node, "prompt"


def audio_refs(menu: Any) -> set[str]:
    """Every audio reference in the menu (ids and pending `new:N`)."""
    refs: set[str] = set()
    if not isinstance(menu, dict):
        return refs
    if isinstance(menu.get("prompt_audio"), str):
        refs.add(menu["prompt_audio"])
    for option in (menu.get("keys") or {}).values():
        if not isinstance(option, dict):
            continue
        if isinstance(option.get("message_audio"), str):
            refs.add(option["message_audio"])
        refs |= audio_refs(option.get("menu"))
    return refs


def audio_spots(menu: Any, keys: str = "") -> list[tuple[str, str]]:
    """(keys that reach it, reference) of every recording in the menu, top first, keys in
    keypad order (PostgreSQL's jsonb does not keep the order they were written in)."""
    spots: list[tuple[str, str]] = []
    if not isinstance(menu, dict):
        return spots
    if isinstance(menu.get("prompt_audio"), str):
        spots.append((keys, menu["prompt_audio"]))
    options = menu.get("keys") or {}
    for key in sorted(options, key=KEYPAD.find):
        option = options[key]
        if not isinstance(option, dict):
            continue
        if isinstance(option.get("message_audio"), str):
            spots.append((keys + key, option["message_audio"]))
        spots += audio_spots(option.get("menu"), keys + key)
    return spots


def replace_refs(menu: Any, replace: Callable[[str], Any]) -> Any:
    """A copy of the menu with each audio reference replaced by `replace(ref)` (None: left
    out)."""
    menu = copy.deepcopy(menu)

    def walk(node: Any) -> None:
        if not isinstance(node, dict):
            return
        _swap(node, "prompt_audio", replace)
        for option in (node.get("keys") or {}).values():
            if isinstance(option, dict):
                _swap(option, "message_audio", replace)
                walk(option.get("menu"))

    walk(menu)
    return menu


def _swap(holder: dict, name: str, replace: Callable[[str], Any]) -> None:
    if isinstance(holder.get(name), str):
        value = replace(holder[name])
        if value is None:
            del holder[name]
        else:
            holder[name] = value
