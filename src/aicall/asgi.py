import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aicall.settings")


class SyncChainASGIHandler(ASGIHandler):
    """Django's ASGI handler with the middleware chain and the view run in one thread hop.

    Django builds an async chain under ASGI: every middleware that can run both ways (most
    of Django's own) runs async, and the sync ones (ours, and every view) are wrapped, so a
    request went back and forth between the event loop and its thread once per middleware
    method, each trip waiting for a busy event loop's turn. The views are all sync: the
    whole chain runs sync, called once in the request's thread.
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request):  # type: ignore[no-untyped-def]
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


django.setup(set_prefix=False)
django_application = SyncChainASGIHandler()

from aicall.api.csv_export import wants_csv  # noqa: E402 - needs the settings above
from aicall.body_limit import BodyLimit  # noqa: E402
from aicall.lib.concurrency import ConcurrencyLimit  # noqa: E402
from aicall.lib.write_gate import yield_to_other_processes  # noqa: E402

# Many request threads write here; the dialer's writes go first (lib/write_gate.py).
yield_to_other_processes()

_FILE_SUFFIXES = (".csv", ".xlsx", ".wav")


def is_download(scope: Mapping[str, Any]) -> bool:
    """A file streamed for as long as the client takes to read it: the API's and the
    website's CSV and Excel downloads (`….csv`, `download.xlsx`, `format=csv`), recordings
    and audio previews (`….wav`)."""
    if scope.get("path", "").endswith(_FILE_SUFFIXES):
        return True
    query = scope.get("query_string", b"")
    return b"format" in query and wants_csv(dict(parse_qsl(query.decode("latin-1"))))


# Threads (and database connections) for requests that read, for those that write and for
# downloads (lib/concurrency.py); the rest wait their turn on the event loop. A write whose
# turn has come lets queued reads go first, for at most 2 s: an import takes seconds of a
# client's patience anyway, an export page should take milliseconds.
application = ConcurrencyLimit(
    BodyLimit(django_application),
    reads=int(os.environ.get("AICALL_WEB_CONCURRENCY", "2")),
    writes=int(os.environ.get("AICALL_WEB_WRITE_CONCURRENCY", "2")),
    writes_give_way=2.0,
    downloads=int(os.environ.get("AICALL_WEB_DOWNLOAD_CONCURRENCY", "4")),
    is_download=is_download,
)
