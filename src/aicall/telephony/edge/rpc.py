"""JSON-RPC to the running edge over Kamailio's jsonrpcs Unix datagram socket (0600)."""

from __future__ import annotations

import itertools
import json
import os
import socket
import tempfile
from pathlib import Path
from typing import Any

_ids = itertools.count(1)


class EdgeRpcError(RuntimeError):
    """The edge is not running, did not answer in time, or refused the command."""


def call(sock_path: Path, method: str, *params: Any, timeout: float = 3.0) -> Any:
    """Run one RPC command (`uac.reg_dump`, `dispatcher.reload`, …) and return its result."""
    request = {"jsonrpc": "2.0", "method": method, "params": list(params), "id": next(_ids)}
    # A datagram reply needs an address to come back to: a socket of our own, next to it.
    reply_dir = tempfile.mkdtemp(prefix="rpc-", dir=sock_path.parent)
    reply_path = os.path.join(reply_dir, "reply.sock")
    client = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        client.bind(reply_path)
        client.settimeout(timeout)
        client.sendto(json.dumps(request).encode(), str(sock_path))
        chunks = []
        data, _ = client.recvfrom(1 << 20)
        chunks.append(data)
        client.settimeout(0.05)
        while True:  # big answers come in several datagrams
            try:
                text = b"".join(chunks)
                answer = json.loads(text)
                break
            except json.JSONDecodeError:
                try:
                    data, _ = client.recvfrom(1 << 20)
                except TimeoutError as exc:
                    raise EdgeRpcError(f"{method}: truncated answer") from exc
                chunks.append(data)
    except (OSError, TimeoutError) as exc:
        raise EdgeRpcError(f"{method}: {exc}") from exc
    finally:
        client.close()
        try:
            os.unlink(reply_path)
        except OSError:
            pass
        os.rmdir(reply_dir)
    if "error" in answer:
        raise EdgeRpcError(f"{method}: {answer['error'].get('message', answer['error'])}")
    return answer.get("result")
