"""An ASGI guard on request bodies, in front of Django.

Django's ASGI handler reads a whole request body (into a temporary file past 10 MB) before
any view, authentication or upload handler runs, so without this a stranger could fill the
disk with one endless POST. Bodies are capped at the larger of the API's limit
(`AICALL_MAX_BODY_BYTES`) and the upload limit (`AICALL_MAX_UPLOAD_BYTES`, plus room for
the form's other fields): a declared Content-Length above it is answered 413 at once
without reading; a chunked body that grows past it is cut off (Django sees the client go)
and answered 413. Within the cap, the upload handler (upload_limits.py) still refuses a
file over its limit with a clear message on the page.
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from django.conf import settings

from aicall.upload_limits import max_upload_bytes

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
FORM_ROOM_BYTES = 1024 * 1024


def max_request_bytes() -> int:
    return max(int(settings.DATA_UPLOAD_MAX_MEMORY_SIZE), max_upload_bytes() + FORM_ROOM_BYTES)


class BodyLimit:
    def __init__(self, app: Any):  # an ASGI application (Django's handler)
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = max_request_bytes()
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _too_large(scope, send)
            return
        received = 0
        cut_off = started = False

        async def bounded_receive() -> Message:
            nonlocal received, cut_off
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    cut_off = True
                    return {"type": "http.disconnect"}  # Django stops reading
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, bounded_receive, tracked_send)
        if cut_off and not started:
            await _too_large(scope, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _too_large(scope: Scope, send: Send) -> None:
    if str(scope.get("path", "")).startswith("/api/"):
        body = orjson.dumps({"status": 0, "code": "413", "message": "request body too large"})
        content_type = b"application/json"
    else:
        body = b"Request body too large.\n"
        content_type = b"text/plain; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
