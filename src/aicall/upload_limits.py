"""The size limit on every uploaded file (contacts, do-not-call lists, campaign audio).

`SizeLimitUploadHandler` runs first in `FILE_UPLOAD_HANDLERS`: it counts each file's bytes
as Django's multipart parser reads them and skips the file once it passes
`AICALL_MAX_UPLOAD_BYTES` (default 20 MiB), so an oversized file is never stored whole,
neither in memory nor in a temporary file: the part of it already written is deleted and
the rest of it is read and dropped. The other form fields are still parsed (a CSRF token
after the file keeps working). A view then asks `upload_too_large(request, file)` to
tell the person why their file is missing, instead of "this field is required".
"""

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest


def max_upload_bytes() -> int:
    """The largest file an upload may carry, in bytes (`AICALL_MAX_UPLOAD_BYTES`)."""
    return int(settings.AICALL["MAX_UPLOAD_BYTES"])


def max_upload_megabytes() -> str:
    """The limit as people read it in messages: "20" for 20 MiB."""
    return f"{max_upload_bytes() / (1024 * 1024):g}"


def upload_too_large(request: HttpRequest, upload: UploadedFile | None = None) -> bool:
    """Whether this request's file was dropped at the limit, or `upload` is over it."""
    if getattr(request, "aicall_upload_too_large", False):
        return True
    return upload is not None and (upload.size or 0) > max_upload_bytes()


class SizeLimitUploadHandler(FileUploadHandler):
    """Skips a file as soon as it passes the limit (see the module's docstring)."""

    def new_file(self, field_name, file_name, content_type, content_length, *args, **kwargs):
        super().new_file(field_name, file_name, content_type, content_length, *args, **kwargs)
        self.received_bytes = 0
        if content_length is not None and content_length > max_upload_bytes():
            self._refuse()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received_bytes += len(raw_data)
        if self.received_bytes > max_upload_bytes():
            self._refuse()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) builds the file

    def _refuse(self) -> None:
        if self.request is not None:
            self.request.aicall_upload_too_large = True  # type: ignore[attr-defined]
        raise SkipFile
