"""Shapes for the OpenAPI description. Handlers build responses directly (see responses.py)."""

from ninja import Schema
from pydantic import ConfigDict


class Failure(Schema):
    status: int = 0
    code: str
    message: str


class ImportResult(Schema):
    phone_number: str
    call_id: int


class ImportSuccess(Schema):
    status: int = 1
    message: str
    results: list[ImportResult]


class CallObject(Schema):
    call_id: int
    caller_id: str
    callee_id: str
    called_at: str
    duration: int
    key_press: str
    note: str
    state: int


class CallPage(Schema):
    limit: int
    total: int
    calls: list[CallObject]


class CallPageSuccess(Schema):
    status: int = 1
    results: CallPage


class AccessToken(Schema):
    access_token: str


class AccessTokenSuccess(Schema):
    status: int = 1
    results: AccessToken


class Contact(Schema):
    """One contact. Other keys are kept as custom fields the script can use; an element
    without a valid phone number (or, in a voice-OTP campaign, a valid code) is skipped."""

    model_config = ConfigDict(extra="allow")
    phone_number: str
    otp_code: str | int | None = None
    danh_xung: str | None = None
    ho_ten: str | None = None


class ImportBody(Schema):
    access_token: str | None = None
    contacts: list[Contact]
