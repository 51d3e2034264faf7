"""A live `aicall serve` keeps its memory while refusing a 25 MB CSV and .xlsx zip bombs.

The server's resident memory is sampled from /proc every few milliseconds during each
upload; the test process's own memory is not what is measured.
"""

import json
import os
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.liveserver import RUN, clean_env, serving
from tests.web.helpers import write_bomb_sheet, write_shared_strings, xlsx_with_parts

pytestmark = pytest.mark.slow
EMAIL, PASSWORD = "uploads@example.com", "upload test passphrase"
MB = 1024 * 1024


def rss_bytes(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024


class PeakRss(threading.Thread):
    """The highest RSS of a process while the `with` block runs."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.002)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.join()
        self.peak = max(self.peak, rss_bytes(self.pid))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    if os.environ.get("DATABASE_URL"):
        pytest.skip("one live server on a SQLite file of its own is enough (SQLite pass)")
    data_dir = tmp_path_factory.mktemp("aicall-uploads")
    env = clean_env(data_dir, AICALL_LOG_LEVEL="WARNING")
    subprocess.run([*RUN, "migrate", "-v0"], env=env, check=True, timeout=300)
    subprocess.run(
        [*RUN, "createuser", "--email", EMAIL, "--password", PASSWORD],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    made = subprocess.run(
        [*RUN, "campaign", "create", "--email", EMAIL, "--name", "Big", "--type", "ivr"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    campaign_id = json.loads(made.stdout)["campaign_id"]
    with serving(env, data_dir / "serve.log", "--no-dialer", "--no-webhooks") as (url, pid):
        with httpx.Client(base_url=url, timeout=120) as client:
            client.get("/login/")
            signed_in = client.post(
                "/login/",
                data={
                    "username": EMAIL,
                    "password": PASSWORD,
                    "csrfmiddlewaretoken": client.cookies["csrftoken"],
                },
            )
            assert signed_in.status_code == 302, signed_in.text[:300]
            yield client, pid, campaign_id, data_dir


def post_file(client, url: str, name: str, path: Path) -> httpx.Response:
    page = client.get(url if "do-not-call" not in url else "/do-not-call/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    with path.open("rb") as file:
        return client.post(url, data={"csrfmiddlewaretoken": token}, files={"file": (name, file)})


def stored_uploads(data_dir: Path) -> list[Path]:
    root = data_dir / "media" / "uploads"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_25_mb_csv_and_xlsx_bombs_are_refused_in_little_memory(live, tmp_path):
    client, pid, campaign_id, data_dir = live
    url = f"/campaigns/{campaign_id}/contacts/"
    small = tmp_path / "small.csv"
    small.write_text("phone_number,ho_ten\n0901234567,Nguyễn Văn An\n", encoding="utf-8")
    # Warm up every code path once (imports, template caches) before measuring.
    assert post_file(client, url, "small.csv", small).status_code == 302

    big = tmp_path / "big.csv"
    line = "0901234567,Nguyễn Văn An,anh,DH-000001\n".encode()
    with big.open("wb") as out:
        out.write(b"phone_number,ho_ten,danh_xung,ma_don_hang\n")
        out.write(line * (25 * MB // len(line) + 1))
    assert big.stat().st_size > 25 * MB

    sheet_bomb = tmp_path / "sheet-bomb.xlsx"
    sheet_bomb.write_bytes(
        xlsx_with_parts({"xl/worksheets/sheet1.xml": write_bomb_sheet(1024 * MB)})
    )
    strings_bomb = tmp_path / "strings-bomb.xlsx"
    strings_bomb.write_bytes(
        xlsx_with_parts({"xl/sharedStrings.xml": write_shared_strings(5_000_000)})
    )
    assert sheet_bomb.stat().st_size < 5 * MB and strings_bomb.stat().st_size < 5 * MB

    cases = [
        (url, "big.csv", big, "Tệp lớn hơn 20 MB"),
        ("/do-not-call/upload/", "big.csv", big, "Tệp lớn hơn 20 MB"),
        (url, "bomb.xlsx", sheet_bomb, "giải nén ra nhiều dữ liệu hơn mức cho phép"),
        (url, "strings.xlsx", strings_bomb, "giải nén ra nhiều dữ liệu hơn mức cho phép"),
        ("/do-not-call/upload/", "bomb.xlsx", sheet_bomb, "giải nén ra nhiều dữ liệu"),
    ]
    before_files = set(stored_uploads(data_dir))
    for target, name, path, message in cases:
        baseline = rss_bytes(pid)
        with PeakRss(pid) as rss:
            answer = post_file(client, target, name, path)
        growth = rss.peak - baseline
        print(f"{target} {name}: RSS {baseline / MB:.0f} MB -> peak {rss.peak / MB:.0f} MB")
        assert answer.status_code == 200, answer.text[:300]
        assert message in answer.text, (name, answer.text[-2000:])
        assert growth < 100 * MB, f"{name}: the server grew by {growth / MB:.0f} MB"
    # Nothing of the refused files was kept.
    assert set(stored_uploads(data_dir)) == before_files


def raw_request(base_url: str, head: bytes, body_chunks=(), timeout=30.0) -> bytes:
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head)
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading: what we want
        answer = b""
        try:
            while data := sock.recv(65536):
                answer += data
        except (ConnectionResetError, TimeoutError):
            pass
        return answer


def test_a_body_declared_too_large_is_refused_before_it_is_read(live):
    client, pid, campaign_id, _ = live
    base = str(client.base_url).rstrip("/")
    for path, expected in (
        (f"/campaigns/{campaign_id}/contacts/", b"Request body too large"),
        ("/api/campaigns/1/import", b'"code":"413"'),
        ("/login/", b"Request body too large"),
    ):
        started = time.monotonic()
        answer = raw_request(
            base,
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {10 * 1024 * MB}\r\n\r\n".encode(),
            [b"x" * 65536],
        )
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        assert expected in answer
        assert time.monotonic() - started < 10


def test_a_chunked_body_is_cut_off_at_the_cap(live):
    client, pid, _, data_dir = live
    base = str(client.base_url).rstrip("/")
    baseline = rss_bytes(pid)
    chunk = b"x" * MB
    framed = b"%x\r\n%s\r\n" % (len(chunk), chunk)

    def body():
        for _ in range(200):  # 200 MB, far past the 65 MB cap
            yield framed
        yield b"0\r\n\r\n"

    with PeakRss(pid) as rss:
        answer = raw_request(
            base,
            b"POST /api/campaigns/1/import HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
            body(),
        )
    # Read all the way, the body would have reached the view (401: no access_token).
    assert answer.startswith(b"HTTP/1.1 413") and b'"code":"413"' in answer, answer[:300]
    assert rss.peak - baseline < 100 * MB
    # The server is still there and well.
    assert client.get("/campaigns/").status_code == 200
