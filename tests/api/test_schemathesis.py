"""Schemathesis, a tool nobody here wrote, fuzzes every operation of /api/openapi.json
against a live `aicall serve` and finds no server error and no answer the document does
not describe (status code, content type, body schema, headers).

Bounded and reproducible: deterministic generation (no seed, no example database), eight
examples per operation, one worker. Schemathesis's coverage phase (boundary values,
undeclared methods and content types) takes minutes here, so it is not part of the run;
what it found is pinned by tests/api/test_fuzz_findings.py. The run uses a valid Bearer
token and the account's real campaigns (tests/api/schemathesis_hooks.py), so
authenticated paths do real work. It runs on the test database, so on SQLite and on
PostgreSQL.
"""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.utils import timezone

from aicall.accounts.tokens import mint_access_token
from aicall.campaigns.services import do_create_campaign
from tests.dialer.processes import dialer_env
from tests.factories import finished_call
from tests.liveserver import serving

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ST = Path(sys.executable).with_name("st")
EXAMPLES = 8  # per operation
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)


def _campaigns_with_calls(user) -> list[int]:
    ids = []
    for kind in ("ivr", "voice_otp"):
        campaign = do_create_campaign(
            user.pk,
            {
                "name": f"Fuzz {kind}",
                "campaign_type": kind,
                "caller_id": "0281234567",
                "calling_hours": "00:00-24:00",
                "script": "Xin chào {danh_xung} {ho_ten}",
            },
            start=True,
        )
        start = timezone.now() - timedelta(hours=1)
        for i in range(12):
            finished_call(
                campaign, f"+8490{i:07d}", start + timedelta(minutes=i), state=(40, 50)[i % 2]
            )
        ids.append(campaign.pk)
    return ids


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(user, tmp_path):
    campaign_ids = _campaigns_with_calls(user)
    token = mint_access_token(user)
    env = dialer_env(
        tmp_path / "journal.jsonl", AICALL_DATA_DIR=str(tmp_path), AICALL_SECRET=settings.SECRET_KEY
    )
    with serving(env, tmp_path / "serve.log", "--no-dialer", "--no-webhooks") as (url, _):
        run = subprocess.run(
            [
                str(ST),
                "run",
                f"{url}/api/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                CHECKS,
                "--phases",
                "examples,fuzzing",
                "--max-examples",
                str(EXAMPLES),
                "--generation-deterministic",
                "--workers",
                "1",
                "--request-timeout",
                "30",
                "--suppress-health-check",
                "all",
                "--warnings",
                "off",
                "--no-color",
                "--output-sanitize",
                "false",
            ],
            env={
                **os.environ,
                "SCHEMATHESIS_HOOKS": "tests.api.schemathesis_hooks",
                "AICALL_ST_CAMPAIGN_IDS": ",".join(map(str, campaign_ids)),
                "PYTHONPATH": str(ROOT),
            },
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )
        metrics = httpx.get(f"{url}/metrics", timeout=30).text
        doc = httpx.get(f"{url}/api/openapi.json", timeout=30).json()
    report = run.stdout[-20000:] + run.stderr[-5000:]
    assert run.returncode == 0, report
    assert _operations(run.stdout) >= 28, report
    # The token and the campaigns worked (the server's own request counter, by route and
    # status): every authenticated operation got past authentication, and most did work.
    answered = _answers(metrics)
    documented = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    authenticated = documented - {("GET", "/api/users/generate-access-token")}
    past_auth = {op for op, status in answered if status != "401"}
    assert not authenticated - past_auth, sorted(authenticated - past_auth)
    succeeded = {op for op, status in answered if status == "200"}
    assert len(succeeded & documented) >= 18, sorted(documented - succeeded)


def _answers(metrics: str) -> set[tuple[tuple[str, str], str]]:
    """((method, path), status) of every answer the server counted."""
    found = re.findall(
        r'aicall_api_requests_total\{method="(\w+)",route="([^"]+)",status="(\d+)"', metrics
    )
    return {((m, r.replace("<", "{").replace(">", "}")), status) for m, r, status in found}


def _operations(output: str) -> int:
    found = re.search(r"Operations:\s+(\d+) selected / (\d+) total", output)
    assert found and found[1] == found[2], output[:3000]  # every operation
    return int(found[1])
