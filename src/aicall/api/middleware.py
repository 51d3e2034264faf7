"""Under /api/ every answer is JSON, including the framework's own 404/405/413/500."""

import logging
from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from aicall.api.responses import fail

log = logging.getLogger(__name__)

_MESSAGES = {
    400: "bad request",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    413: "request body too large",
    500: "internal error",
}


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if response.status_code >= 400 and not content_type.startswith("application/json"):
            status = response.status_code
            allow = response.get("Allow")
            response = fail(str(status), _MESSAGES.get(status, "error"), status)
            if allow:
                response["Allow"] = allow
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not request.path.startswith("/api/"):
            return None
        if isinstance(exc, RequestDataTooBig):
            return fail("413", _MESSAGES[413], 413)
        log.exception("unhandled error in %s %s", request.method, request.path)
        return fail("500", _MESSAGES[500], 500)
