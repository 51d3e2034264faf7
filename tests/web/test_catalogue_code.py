"""Messages that Python code puts on the website are translated, not only template texts.

test_catalogue.py proves every gettext() text has a Vietnamese translation; this file
proves the messages a person can see go through gettext at all. It reads the source (ast)
for every place a message is made for a reader — a CampaignError, MenuError or
TransferTargetError (the services' objections, shown next to a form field), a form
ValidationError, form.add_error() and messages.success()/error()/... — and fails when the
message is a plain string instead of a gettext call, unless the website translates that
very string where it shows it (labels.service_message for menu problems, the audio views'
table for audio checks), which is checked by translating it.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

import aicall
from aicall.campaigns.errors import CampaignError
from aicall.campaigns.ivr_menu import MenuError
from aicall.web.labels import service_message
from aicall.web.views.audio import web_message

SOURCE = Path(aicall.__file__).resolve().parent
# Surfaces that never render a customer's page: the API answers in the contract's words,
# the command line in English; Django admin (admin.py) is the operators' console.
NOT_THE_SITE = ("api", "management")
GETTEXT = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
# constructor / function -> index of the message argument
MESSAGE_ARG = {
    "CampaignError": 1,
    "MenuError": 1,
    "TransferTargetError": 0,
    "ValidationError": 0,
    "add_error": 1,
}
MESSAGES_FUNCTIONS = {"debug", "info", "success", "warning", "error", "add_message"}
# Literal messages the website cannot show, with the reason.
UNREACHABLE = {
    # the website hands do_save_digit_recordings only the ten digit slots
    ("campaigns/audio.py", "1 is not a digit 0-9"),
}


@dataclass(frozen=True)
class Message:
    module: str
    line: int
    kind: str
    text: str  # the literal, placeholders of an f-string filled with "1"


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _literal(node: ast.expr) -> str | None:
    """The text of a plain-string message (None: a gettext call, a variable, ...)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "1" for part in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left), _literal(node.right)
        if left is not None or right is not None:
            return (left or "1") + (right or "1")
    return None


def _message_node(call: ast.Call) -> tuple[str, ast.expr] | None:
    name = _name(call.func)
    if (
        name in MESSAGES_FUNCTIONS
        and isinstance(call.func, ast.Attribute)
        and _name(call.func.value) == "messages"
    ):
        index = 2 if name == "add_message" else 1
        return (f"messages.{name}", call.args[index]) if len(call.args) > index else None
    if name in MESSAGE_ARG and len(call.args) > MESSAGE_ARG[name]:
        return name, call.args[MESSAGE_ARG[name]]
    return None


def literal_messages(root: Path = SOURCE) -> list[Message]:
    found = []
    for path in sorted(root.rglob("*.py")):
        module = path.relative_to(root).as_posix()
        if module.startswith(NOT_THE_SITE) or "/migrations/" in module or path.name == "admin.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            shaped = _message_node(node)
            if shaped is None:
                continue
            kind, argument = shaped
            if isinstance(argument, ast.Call) and _name(argument.func) in GETTEXT:
                continue
            text = _literal(argument)
            if text is not None:
                found.append(Message(module, node.lineno, kind, text))
    return found


def translated_where_shown(message: Message) -> bool:
    """Whether the website turns this English literal into Vietnamese where it shows it."""
    with translation.override("vi"):
        if message.kind in ("MenuError", "TransferTargetError"):
            shown = service_message(MenuError("keys.1", message.text))
            return shown != f"keys.1: {message.text}"
        if message.kind == "CampaignError":  # the audio and "Nghe thử" views' table
            return web_message(CampaignError("audio_file", message.text).message) != message.text
    return False


def test_the_scan_finds_the_messages_of_the_code():
    kinds = {m.kind for m in literal_messages()}
    # menu and audio checks are English in their modules and translated where shown
    assert {"MenuError", "TransferTargetError", "CampaignError"} <= kinds


def test_every_message_the_site_shows_goes_through_gettext():
    untranslated = [
        f"{m.module}:{m.line} {m.kind}({m.text!r})"
        for m in literal_messages()
        if (m.module, m.text) not in UNREACHABLE and not translated_where_shown(m)
    ]
    assert not untranslated, (
        "messages the website shows in English: wrap them in gettext_lazy (and translate "
        f"them in django.po) or translate them where they are shown: {untranslated}"
    )


def test_the_scan_sees_a_plain_string_message(tmp_path):
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "views.py").write_text(
        "from django.utils.translation import gettext_lazy as _\n"
        "def view(request, form, n):\n"
        "    messages.success(request, 'Saved.')\n"
        "    form.add_error('name', f'{n} is too long')\n"
        "    form.add_error('name', _('Fine.'))\n"
        "    raise CampaignError('name', 'name is ' + str(n))\n",
        encoding="utf-8",
    )
    found = sorted((m.kind, m.text) for m in literal_messages(tmp_path))
    assert found == [
        ("CampaignError", "name is 1"),
        ("add_error", "1 is too long"),
        ("messages.success", "Saved."),
    ]


def test_a_service_message_names_the_field_as_the_form_does():
    from aicall.campaigns.services import clean_settings

    with pytest.raises(CampaignError) as caught:
        clean_settings({"name": "x" * 300})
    assert caught.value.message == "name is longer than 200 characters"  # the API's text
    with translation.override("vi"):
        shown = service_message(caught.value, {"name": translation.gettext("Name")})
    assert shown == "Tên dài quá 200 ký tự"  # the form's label, not the API's field name


def test_the_site_shows_a_service_objection_in_vietnamese(web, user):
    from aicall.campaigns.models import Campaign
    from tests.web.test_campaigns import form_data

    response = web.post(reverse("web:campaign_create"), form_data(caller_id="0999999999"))
    caller_id = response.text.split('id="field-caller_id"')[1].split('id="field-')[0]
    assert "Số hiển thị này chưa được xác minh cho tài khoản" in caller_id
    assert "is not verified" not in response.text
    assert not Campaign.objects.filter(owner=user).exists()


def test_the_api_keeps_its_english_messages_on_a_vietnamese_request(user, token):
    client = Client(headers={"Authorization": f"Bearer {token}", "Accept-Language": "vi"})
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    body = {"name": "x", "campaign_type": "ivr", "calling_hours": "17:00-08:00"}
    response = client.post("/api/campaigns", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"] == "calling hours must end after they start"
    body = {"name": "x" * 201, "campaign_type": "ivr"}
    response = client.post("/api/campaigns", body, content_type="application/json")
    assert response.json()["message"] == "name is longer than 200 characters"
