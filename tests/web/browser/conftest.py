"""A real `aicall serve` (website, API, sandbox dialer) and Debian's Chromium driving it."""

import json
import os
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.liveserver import RUN, clean_env, serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
EMAIL, PASSWORD = "browser@example.com", "browser test passphrase"


def _postgres_database(base_url: str):
    """A database of its own for the server (created now, dropped at the end)."""
    import psycopg

    name = f"aicall_browser_{uuid.uuid4().hex[:8]}"
    admin_url = urlunsplit(urlsplit(base_url)._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit(urlsplit(base_url)._replace(path=f"/{name}")), drop


class Server:
    def __init__(self, base_url: str, secret_key: str, log_path: Path):
        self.base_url = base_url
        self.secret_key = secret_key
        self.log_path = log_path

    def api(self, path: str, **params):
        response = httpx.get(self.base_url + path, params=params, timeout=30)
        return response.status_code, response.json()

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("aicall-browser")
    env = clean_env(data_dir, AICALL_SANDBOX_SPEED="50", AICALL_LOG_LEVEL="WARNING")
    drop = None
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"], drop = _postgres_database(os.environ["DATABASE_URL"])
    subprocess.run([*RUN, "migrate", "-v0"], env=env, check=True, timeout=300)
    created = subprocess.run(
        [*RUN, "createuser", "--email", EMAIL, "--password", PASSWORD],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    secret_key = json.loads(created.stdout)["secret_key"]
    # The journey's campaign shows this caller ID: the operator verifies it first.
    subprocess.run(
        [*RUN, "callerid", "add", "--email", EMAIL, "0281234567"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    log_path = data_dir / "serve.log"
    try:
        with serving(env, log_path) as (base_url, _pid):
            yield Server(base_url, secret_key, log_path)
    finally:
        if drop:
            drop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(
        viewport={"width": 1280, "height": 860}, accept_downloads=True, locale="en-US"
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def shot(page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def sign_in(page, server) -> None:
    page.goto(server.base_url + "/login/")
    page.fill("#id_username", EMAIL)
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url("**/dashboard/")
