"""A webhook receiver on 127.0.0.1 (free port) that checks signatures like a customer's."""

import threading
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson

from aicall.webhooks.signing import SignatureError, verify


class _Server(ThreadingHTTPServer):
    request_queue_size = 256  # the default 5 drops connections under a burst of POSTs
    daemon_threads = True


class Receiver:
    """Refuses the first `fail_first` attempts of each message (HTTP 500, or `hang_seconds`
    of silence when set), then answers 204. Keeps every verified event."""

    def __init__(self, secret: str, fail_first: int = 0, hang_seconds: float = 0.0):
        self.secret = secret
        self.fail_first = fail_first
        self.hang_seconds = hang_seconds
        self.attempts: Counter[str] = Counter()
        self.events: dict[str, list[dict]] = defaultdict(list)
        self.bad_signatures = 0
        self.lock = threading.Lock()
        self.server = _Server(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    verify(receiver.secret, headers, body)
                except SignatureError:
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                msg_id = headers["webhook-id"]
                with receiver.lock:
                    receiver.attempts[msg_id] += 1
                    failing = receiver.attempts[msg_id] <= receiver.fail_first
                if failing and receiver.hang_seconds:
                    threading.Event().wait(receiver.hang_seconds)
                if failing:
                    self.send_response(500)
                    self.end_headers()
                    return
                with receiver.lock:
                    receiver.events[msg_id].append(orjson.loads(body))
                self.send_response(204)
                self.end_headers()

        return Handler

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
