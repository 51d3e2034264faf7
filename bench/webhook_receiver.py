"""A fast webhook receiver for bench/webhooks.py: verifies every signature, counts events.

Run by the bench as `uvicorn webhook_receiver:app`; BENCH_WEBHOOK_SECRET holds the secret.
GET /count answers `{"events": n, "bad": m}`.
"""

import os

import orjson

from aicall.webhooks.signing import SignatureError, verify

SECRET = os.environ["BENCH_WEBHOOK_SECRET"]
counts = {"events": 0, "bad": 0}


async def _body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    if scope["method"] == "GET":
        payload = orjson.dumps(counts)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": payload})
        return
    body = await _body(receive)
    headers = {k.decode(): v.decode() for k, v in scope["headers"]}
    try:
        verify(SECRET, headers, body)
        counts["events"] += 1
        status = 204
    except SignatureError:
        counts["bad"] += 1
        status = 401
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b""})
