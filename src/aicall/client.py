"""A small client for aicall's API (the original four endpoints and the extensions).

    from aicall.client import Client

    with Client("https://call.example.vn", secret_key="...") as api:
        campaign = api.create_campaign(name="OTP", campaign_type="voice_otp")
        api.start_campaign(campaign["campaign_id"])
        api.import_contacts(campaign["campaign_id"],
                            [{"phone_number": "0901234567", "otp_code": "123456"}],
                            idempotency_key="login-8812")
        for call in api.iter_export(campaign["campaign_id"]):
            print(call["callee_id"], call["state"], call["key_press"])

Failures raise ApiError with the API's `code`, `message` and (for bad settings) `field`.
A 429 is retried after its Retry-After (up to `max_retries` times). The access_token is
minted from the secret_key on first use and again when the API answers `401`.
Webhook receivers check signatures with `verify_webhook` (aicall.webhooks.signing.verify).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from aicall.webhooks.signing import SignatureError
from aicall.webhooks.signing import verify as verify_webhook

__all__ = [
    "ApiError",
    "AuthError",
    "Client",
    "RateLimited",
    "SignatureError",
    "ValidationError",
    "verify_webhook",
]


class ApiError(Exception):
    def __init__(self, http_status: int, code: str, message: str, field: str | None = None):
        super().__init__(f"{code}: {message}" + (f" ({field})" if field else ""))
        self.http_status = http_status
        self.code = code
        self.message = message
        self.field = field


class AuthError(ApiError):
    """`401`: a wrong secret_key or an access_token the server refuses (never retried)."""


class ValidationError(ApiError):
    """`400`: the input named by `field` was refused; nothing changed."""


class RateLimited(ApiError):
    """`429` still there after the retries, or a wait longer than `max_wait_seconds`."""

    def __init__(self, http_status: int, code: str, message: str, retry_after: float):
        super().__init__(http_status, code, message)
        self.retry_after = retry_after


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "1")))
    except ValueError:
        return 1.0


class Client:
    def __init__(
        self,
        base_url: str,
        *,
        secret_key: str | None = None,
        access_token: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        max_wait_seconds: float = 300.0,
        transport: httpx.BaseTransport | None = None,
    ):
        if not (secret_key or access_token):
            raise ValueError("give a secret_key or an access_token")
        self.secret_key = secret_key
        self.access_token = access_token
        self.max_retries = max_retries
        self.max_wait_seconds = max_wait_seconds
        self.http = httpx.Client(
            base_url=base_url.rstrip("/") + "/api", timeout=timeout, transport=transport
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    # -- plumbing -------------------------------------------------------------------------

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(self.max_retries + 1):
            response = self.http.request(method, path, **kwargs)
            if response.status_code != 429 or attempt == self.max_retries:
                return response
            wait = _retry_after(response)
            if wait > self.max_wait_seconds:
                return response  # raised as RateLimited(retry_after) by _check
            time.sleep(wait)  # what the server said: an earlier retry is refused again
        raise AssertionError("unreachable")

    @staticmethod
    def _check(response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError as exc:
            raise ApiError(response.status_code, str(response.status_code), response.text) from exc
        if body.get("status") != 1:
            code, message = str(body.get("code")), str(body.get("message"))
            status = response.status_code
            if status == 429:
                raise RateLimited(status, code, message, _retry_after(response))
            kind = {401: AuthError, 400: ValidationError}.get(status, ApiError)
            raise kind(status, code, message, body.get("field"))
        return body

    def _call(self, method: str, path: str, **kwargs: Any) -> dict:
        """An authenticated call; a `401` mints a new token once (if we have the key)."""
        if self.access_token is None:
            self.generate_access_token()
        extra = kwargs.pop("headers", {})
        for retry in (True, False):
            headers = {**extra, "Authorization": f"Bearer {self.access_token}"}
            response = self._send(method, path, headers=headers, **kwargs)
            if response.status_code == 401 and retry and self.secret_key:
                self.generate_access_token()
                continue
            return self._check(response)
        raise AssertionError("unreachable")

    # -- the original API -----------------------------------------------------------------

    def generate_access_token(self) -> str:
        if not self.secret_key:
            raise ValueError("a secret_key is needed to mint an access_token")
        body = self._check(
            self._send(
                "GET", "/users/generate-access-token", params={"secret_key": self.secret_key}
            )
        )
        self.access_token = body["results"]["access_token"]
        return self.access_token

    def import_contacts(
        self, campaign_id: int, contacts: list[dict], *, idempotency_key: str | None = None
    ) -> dict:
        """`{"message": ..., "results": [{"phone_number", "call_id"}, ...]}`.

        With an idempotency_key, retrying (after a timeout, say) cannot call anyone twice.
        """
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return self._call(
            "POST", f"/campaigns/{campaign_id}/import", json={"contacts": contacts}, headers=headers
        )

    def export(self, campaign_id: int, **query: Any) -> dict:
        """One page: `{"limit", "total", "calls"}`; query: start_time, end_time (epoch ms),
        limit, offset."""
        return self._call("GET", f"/campaigns/{campaign_id}/export", params=query)["results"]

    def call_log(self, **query: Any) -> dict:
        return self._call("GET", "/users/call-log", params=query)["results"]

    def iter_export(self, campaign_id: int | None = None, **query: Any) -> Iterator[dict]:
        """Every call object of the range, page by page (call-log when campaign_id is None)."""
        offset = 0
        while True:
            params = {**query, "limit": 1000, "offset": offset}
            page = self.export(campaign_id, **params) if campaign_id else self.call_log(**params)
            yield from page["calls"]
            offset += len(page["calls"])
            if not page["calls"] or offset >= page["total"]:
                return

    def download_csv(self, path: str, campaign_id: int | None = None, **query: Any) -> int:
        """Stream the range as CSV into the file `path`; returns the bytes written."""
        if self.access_token is None:
            self.generate_access_token()
        url = f"/campaigns/{campaign_id}/export" if campaign_id else "/users/call-log"
        headers = {"Authorization": f"Bearer {self.access_token}"}
        written = 0
        with self.http.stream(
            "GET", url, params={**query, "format": "csv"}, headers=headers
        ) as response:
            if response.status_code != 200:
                response.read()
                self._check(response)
            with open(path, "wb") as out:
                for chunk in response.iter_bytes():
                    written += out.write(chunk)
        return written

    # -- campaigns (extension) ------------------------------------------------------------

    def list_campaigns(self, limit: int = 50, offset: int = 0) -> dict:
        return self._call("GET", "/campaigns", params={"limit": limit, "offset": offset})["results"]

    def create_campaign(self, **settings: Any) -> dict:
        return self._call("POST", "/campaigns", json=settings)["results"]

    def get_campaign(self, campaign_id: int) -> dict:
        return self._call("GET", f"/campaigns/{campaign_id}")["results"]

    def update_campaign(self, campaign_id: int, **settings: Any) -> dict:
        return self._call("PATCH", f"/campaigns/{campaign_id}", json=settings)["results"]

    def start_campaign(self, campaign_id: int) -> dict:
        return self._call("POST", f"/campaigns/{campaign_id}/start")["results"]

    def stop_campaign(self, campaign_id: int) -> dict:
        return self._call("POST", f"/campaigns/{campaign_id}/stop")["results"]

    def progress(self, campaign_id: int) -> dict:
        return self._call("GET", f"/campaigns/{campaign_id}/progress")["results"]

    def rotate_webhook_secret(self, campaign_id: int) -> str:
        body = self._call("POST", f"/campaigns/{campaign_id}/webhook-secret")
        return body["results"]["webhook_secret"]

    # -- do-not-call list (extension) -----------------------------------------------------

    def do_not_call(self, limit: int = 50, offset: int = 0) -> dict:
        return self._call("GET", "/do-not-call", params={"limit": limit, "offset": offset})[
            "results"
        ]

    def add_do_not_call(self, phone_numbers: list[str], note: str = "") -> list[str]:
        body = {"phone_numbers": phone_numbers, "note": note}
        return self._call("POST", "/do-not-call", json=body)["results"]

    def remove_do_not_call(self, phone_numbers: list[str]) -> list[str]:
        body = {"phone_numbers": phone_numbers}
        return self._call("POST", "/do-not-call/remove", json=body)["results"]
