"""The JSON API: the original four endpoints plus our extensions, documented at /api/docs."""

import logging

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import Swagger
from ninja.errors import HttpError, ValidationError

from aicall.api.audio import router as audio_router
from aicall.api.auth import Refused
from aicall.api.bodies import MalformedBody
from aicall.api.campaigns import router as campaigns_router
from aicall.api.dnc import router as dnc_router
from aicall.api.downloads import router as downloads_router
from aicall.api.openapi import DocumentedAPI
from aicall.api.original import router as original_router
from aicall.api.ratelimit import RateLimited, too_many
from aicall.api.responses import fail

log = logging.getLogger(__name__)

DESCRIPTION = """
aicall's API. The four endpoints tagged *Original API* are byte-compatible with the service
aicall replaces: same paths, parameters, JSON fields, string codes and Vietnamese messages.

Every endpoint takes the `access_token` from the query string, the JSON body, or an
`Authorization: Bearer` header (extension). Failures are always JSON:
`{"status": 0, "code": "<string>", "message": "<string>"}` with codes `401` (HTTP 401),
`400` (HTTP 400), `01` unknown campaign (HTTP 404), `03` stopped voice-OTP campaign (HTTP 409).

Export and call-log: `limit` defaults to 10 and is capped at 1000; bad numbers fall back to
the defaults. `called_at` is Vietnam time (UTC+7), `duration` whole seconds from answer,
`key_press` like `1 (29), 2 (35)` (digit and second from answer), `state` 40 answered /
50 not answered or failed.

Extensions (ours, additive; the four original endpoints answer exactly as before):

- `Idempotency-Key` header on import: a repeat with the same key and the same campaign and
  contacts within 24 hours returns the first answer (header `Idempotent-Replayed: true`)
  and calls nobody again; the same key with other contacts is code `409` (HTTP 409).
- Campaign management (`/campaigns`, `/campaigns/{id}`, start, stop, progress) and the
  do-not-call list (`/do-not-call`). Bad settings are code `400` with `field` naming the
  input; another account's campaign is `01`.
- What the callee hears: per campaign `voice`, `speech_rate` and the voice-OTP wording;
  `POST`/`DELETE /campaigns/{id}/audio` (an uploaded WAV/MP3 instead of speech),
  `GET /campaigns/{id}/preview.wav` (listen before launch), `/recorded-digits` (the
  account's own recordings of 0-9 for OTP codes).
- `format=csv` on export and call-log streams every call of the time range as CSV (same
  columns as the call objects; `limit`/`offset` do not apply to a download); the same
  download is `GET /campaigns/{id}/export.csv` and `GET /users/call-log.csv`, which answer
  only `text/csv` (for generated clients). Export pages and downloads carry an `ETag`;
  `If-None-Match` gets 304 while nothing changed.
- Webhooks per campaign (`webhook_url`, `webhook_secret`, `webhook_call_started`): signed
  POSTs `{"event": "call.finished"|"call.started", "data": {<call object>, campaign_id,
  attempt}}` with Standard Webhooks headers `webhook-id`, `webhook-timestamp`,
  `webhook-signature: v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, retried with
  backoff for 24 hours.
- Rate limits: 100 requests/s per account with bursts of 1000; failed
  generate-access-token attempts are limited per client address. Answers carry
  `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset`; over the limit: HTTP 429,
  code `429`, `Retry-After`.
"""

api = DocumentedAPI(
    title="aicall API",
    version="1.0",
    description=DESCRIPTION,
    docs_url="/docs",
    # Swagger UI from the package's own static files ("ninja" is an installed app), with
    # no validator badge: the page fetches nothing from another host.
    docs=Swagger(settings={"validatorUrl": None}),
    openapi_url="/openapi.json",
    urls_namespace="api",
)
api.add_router("/", original_router)
api.add_router("/", campaigns_router)
api.add_router("/", dnc_router)
api.add_router("/", audio_router)
api.add_router("/", downloads_router)


@api.exception_handler(Refused)
def refused(request: HttpRequest, exc: Refused) -> HttpResponse:
    return exc.response


@api.exception_handler(MalformedBody)
def malformed(request: HttpRequest, exc: MalformedBody) -> HttpResponse:
    return fail("400", str(exc), 400, field="body")


@api.exception_handler(MultiPartParserError)
@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
def unreadable_form(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A form body Django cannot parse (e.g. multipart without a boundary) is the body's
    # fault, wherever the view first touched request.POST or request.FILES.
    return fail("400", f"the form body cannot be read: {exc}"[:200], 400, field="body")


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return fail("413", "request body too large", 413)


@api.exception_handler(RateLimited)
def rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    return too_many(exc.decision)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return fail("400", "invalid request", 400, errors=exc.errors)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return fail(str(exc.status_code), str(exc), exc.status_code)


@api.exception_handler(OperationalError)
def database_busy(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    # SQLite's one write lock was not free within the bounded wait (lib/write_gate.py), or
    # PostgreSQL has no connection to spare: a clear, retryable answer rather than a 500.
    # Anything else the database refused is a real error.
    if not any(word in str(exc) for word in ("locked", "busy", "too many clients")):
        return crashed(request, exc)
    log.warning("database busy in %s %s: %s", request.method, request.path, exc)
    response = fail("503", "the database is busy, retry after 2 s", 503)
    response["Retry-After"] = "2"
    return response


@api.exception_handler(Exception)
def crashed(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("unhandled error in %s %s", request.method, request.path)
    return fail("500", "internal error", 500)
