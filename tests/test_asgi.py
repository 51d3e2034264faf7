"""Which requests the web process sends to its download lane (asgi.is_download)."""

import pytest

from aicall.asgi import is_download


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/api/campaigns/3/export", b"format=csv&start_time=0", True),
        ("/api/users/call-log", b"FORMAT=x&format=CSV", True),
        ("/api/campaigns/3/export.csv", b"", True),
        ("/campaigns/3/calls/download.xlsx", b"", True),
        ("/calls/7/recording.wav", b"", True),
        ("/api/campaigns/3/export", b"start_time=0&limit=100", False),
        ("/api/campaigns/3/export", b"format=json", False),
        ("/api/campaigns/3/export", b"xformat=csv", False),
        ("/campaigns/3/calls", b"", False),
    ],
)
def test_files_streamed_to_the_client_are_downloads_pages_are_not(path, query, expected):
    assert is_download({"type": "http", "path": path, "query_string": query}) is expected
