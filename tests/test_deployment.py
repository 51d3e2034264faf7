"""Deployment defaults: allowed hosts, HTTPS settings, who may read metrics."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.test import Client


def settings_in_a_fresh_process(tmp_path, **env):
    """The settings a process started with this environment gets (or its error)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("AICALL_")}
    base["AICALL_DATA_DIR"] = str(tmp_path)
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({k: getattr(settings, k, None) for k in ("
        "'ALLOWED_HOSTS', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SECURE_HSTS_SECONDS', 'SECURE_PROXY_SSL_HEADER', 'SECURE_SSL_REDIRECT')}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "DJANGO_SETTINGS_MODULE": "aicall.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return (json.loads(done.stdout) if done.returncode == 0 else None), done.stderr


def test_allowed_hosts_default_to_loopback_and_refuse_a_star(tmp_path):
    values, _ = settings_in_a_fresh_process(tmp_path)
    assert values["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "[::1]"]
    values, error = settings_in_a_fresh_process(tmp_path, AICALL_ALLOWED_HOSTS="*")
    assert values is None and "AICALL_ALLOWED_HOSTS=*" in error and "AICALL_DEV=1" in error
    values, _ = settings_in_a_fresh_process(tmp_path, AICALL_ALLOWED_HOSTS="*", AICALL_DEV="1")
    assert values["ALLOWED_HOSTS"] == ["*"]
    values, _ = settings_in_a_fresh_process(
        tmp_path, AICALL_ALLOWED_HOSTS="calls.example.com, api.example.com"
    )
    assert values["ALLOWED_HOSTS"] == ["calls.example.com", "api.example.com"]


def test_https_turns_on_secure_cookies_hsts_and_the_proxy_header(tmp_path):
    plain, _ = settings_in_a_fresh_process(tmp_path)
    assert not plain["SESSION_COOKIE_SECURE"] and not plain["SECURE_HSTS_SECONDS"]
    secure, _ = settings_in_a_fresh_process(tmp_path, AICALL_HTTPS="1")
    assert secure["SESSION_COOKIE_SECURE"] and secure["CSRF_COOKIE_SECURE"]
    assert secure["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert secure["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert secure["SECURE_SSL_REDIRECT"] is True


def test_serve_refuses_to_listen_beyond_loopback_without_host_names(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AICALL_", "DATABASE_URL"))}
    env["AICALL_DATA_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "aicall", "serve", "--host", "0.0.0.0", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and "needs AICALL_ALLOWED_HOSTS" in done.stderr


def test_an_unknown_host_header_is_refused(db):
    # The test runner adds "testserver"; any other name than the loopback ones is refused.
    assert Client().get("/login/", HTTP_HOST="evil.example").status_code == 400
    assert Client().get("/login/", HTTP_HOST="127.0.0.1:8000").status_code == 200


def test_https_cookies_and_hsts_on_answers(db, settings, user):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client(HTTP_X_FORWARDED_PROTO="https")
    page = client.get("/login/")
    assert page["Strict-Transport-Security"] == "max-age=3600"
    assert page.cookies["csrftoken"]["secure"]
    signed_in = client.post(
        "/login/",
        {
            "username": "owner@example.com",
            "password": "correct horse battery",
            "csrfmiddlewaretoken": page.cookies["csrftoken"].value,
        },
    )
    assert signed_in.status_code == 302 and signed_in.cookies["sessionid"]["secure"]


def test_metrics_need_a_token_or_an_allowed_address(db, settings):
    settings.AICALL = {**settings.AICALL, "METRICS_TOKEN": "s3cr3t-scrape-token"}
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="::1").get("/metrics").status_code == 200
    stranger = Client(REMOTE_ADDR="203.0.113.5")
    assert stranger.get("/metrics").status_code == 403
    assert stranger.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    ok = stranger.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cr3t-scrape-token")
    assert ok.status_code == 200 and b"python_info" in ok.content
    settings.AICALL = {**settings.AICALL, "METRICS_TOKEN": "", "METRICS_ALLOW": "10.1.0.0/16"}
    assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 403
    # No token configured: no Bearer value opens it.
    assert stranger.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_dialer_metrics_port_beyond_loopback_needs_a_token(tmp_path, settings):
    if "sqlite" not in settings.DATABASES["default"]["ENGINE"]:
        pytest.skip("a dialer on a SQLite file of its own, on the SQLite pass")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AICALL_", "DATABASE_URL"))}
    env["AICALL_DATA_DIR"] = str(tmp_path)
    run = [sys.executable, "-m", "aicall"]
    subprocess.run([*run, "migrate", "-v0"], env=env, check=True, timeout=300)
    refused = subprocess.run(
        [*run, "dialer", "--metrics-port", "1", "--metrics-addr", "0.0.0.0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "AICALL_METRICS_TOKEN" in refused.stderr
    port = _free_port()
    dialer = subprocess.Popen(
        [*run, "dialer", "--metrics-port", str(port), "--metrics-addr", "0.0.0.0"],
        env={**env, "AICALL_METRICS_TOKEN": "dialer-token", "AICALL_METRICS_ALLOW": "10.9.9.9"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
            except urllib.error.HTTPError as exc:
                assert exc.code == 403  # loopback is not in this allow-list, no token
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        request = urllib.request.Request(url, headers={"Authorization": "Bearer dialer-token"})
        assert b"aicall_dialer" in urllib.request.urlopen(request, timeout=5).read()
    finally:
        dialer.terminate()
        dialer.wait(timeout=60)
