"""HTTP conveniences under /api/: OPTIONS and HEAD on every path, compressed answers.

CORS itself is django-cors-headers (settings.CORS_*); these middlewares sit inside it.
"""

from collections.abc import AsyncIterator, Callable, Iterator

import brotli
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_vary_headers
from django.utils.regex_helper import _lazy_re_compile

API_PREFIX = "/api/"
# Below this a compressed answer saves less than the headers it adds.
MIN_COMPRESS_BYTES = 1024
# Brotli quality 5 compresses a 63 kB export to about the size of gzip -6 in less time;
# 11 (the library's default) costs ~50x more CPU for a few per cent.
BROTLI_QUALITY = 5
_ACCEPTS_BR = _lazy_re_compile(r"\bbr\b")


class ApiMethodsMiddleware:
    """`OPTIONS` answers 204 with `Allow` on every API path; `HEAD` runs the GET without a body.

    The allowed methods are what the API's router itself answers for the path (its 405
    lists them), so a new endpoint needs nothing here. Preflight requests (with
    `Access-Control-Request-Method`) never get here: django-cors-headers answers them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX) or request.method not in ("OPTIONS", "HEAD"):
            return self.get_response(request)
        if request.method == "OPTIONS":
            return self._options(request)
        request.method = "GET"
        response = self.get_response(request)
        request.method = "HEAD"
        return _without_body(response)

    def _options(self, request: HttpRequest) -> HttpResponse:
        probe = self.get_response(request)
        if probe.status_code != 405:
            return probe  # 404 for an unknown path (JSON), or whatever the route answered
        methods = {m.strip().upper() for m in probe.get("Allow", "").split(",") if m.strip()}
        if "GET" in methods:
            methods.add("HEAD")
        methods.add("OPTIONS")
        response = HttpResponse(status=204)
        response["Allow"] = ", ".join(sorted(methods))
        return response


def _without_body(response: HttpResponse) -> HttpResponse:
    if isinstance(response, StreamingHttpResponse):
        headless = HttpResponse(status=response.status_code)
        for name, value in response.items():
            headless[name] = value
        return headless
    length = len(response.content)
    response.content = b""
    response["Content-Length"] = str(length)
    return response


def _compressible(request: HttpRequest, response: HttpResponse) -> bool:
    if not request.path.startswith(API_PREFIX) or response.has_header("Content-Encoding"):
        return False
    if not response.streaming and len(response.content) < MIN_COMPRESS_BYTES:
        return False
    content_type = response.get("Content-Type", "")
    return content_type.startswith(("application/json", "text/csv"))


class ApiGZipMiddleware(GZipMiddleware):
    """Django's gzip, for large JSON and CSV answers of the API only.

    The website stays uncompressed: its pages carry CSRF tokens next to reflected input,
    the BREACH pattern; the API's answers carry no secret next to what a caller sent.
    """

    def process_response(self, request, response):  # type: ignore[no-untyped-def]
        if not _compressible(request, response):
            return response
        return super().process_response(request, response)


class ApiBrotliMiddleware:
    """Brotli (`Content-Encoding: br`) for clients that ask for it; gzip (outside) otherwise."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        accepts = request.META.get("HTTP_ACCEPT_ENCODING", "")
        if not _ACCEPTS_BR.search(accepts) or not _compressible(request, response):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if response.streaming:
            assert isinstance(response, StreamingHttpResponse)
            if response.is_async:
                response.streaming_content = _brotli_async(response.streaming_content)
            else:
                response.streaming_content = _brotli_sync(response.streaming_content)
            del response["Content-Length"]
        else:
            compressed = brotli.compress(response.content, quality=BROTLI_QUALITY)
            if len(compressed) >= len(response.content):
                return response
            response.content = compressed
            response["Content-Length"] = str(len(compressed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response["ETag"] = "W/" + etag  # as GZipMiddleware does: the bytes differ
        response["Content-Encoding"] = "br"
        return response


def _brotli_sync(chunks: Iterator[bytes]) -> Iterator[bytes]:
    compressor = brotli.Compressor(quality=BROTLI_QUALITY)
    for chunk in chunks:
        out = compressor.process(chunk)
        if out:
            yield out
    yield compressor.finish()


async def _brotli_async(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    compressor = brotli.Compressor(quality=BROTLI_QUALITY)
    async for chunk in chunks:
        out = compressor.process(chunk)
        if out:
            yield out
    yield compressor.finish()
