"""Schemathesis, a tool nobody here wrote, fuzzes every operation of /api/openapi.json
against a live `aicall serve` and finds no server error and no answer the document does
not describe (status code, content type, body schema, headers).

Bounded and reproducible: a fixed seed, deterministic generation, a few examples per
operation (plus schemathesis's coverage phase: boundary values and undeclared methods
and content types), one worker. The run uses a valid Bearer token and the account's real
campaigns (tests/api/schemathesis_hooks.py), so authenticated paths do real work. It runs
on the test database, so on SQLite and on PostgreSQL.
"""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from aicall.accounts.tokens import mint_access_token
from aicall.campaigns.services import do_create_campaign
from tests.dialer.processes import dialer_env
from tests.factories import finished_call
from tests.liveserver import serving

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ST = Path(sys.executable).with_name("st")
SEED = 15
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
    env = dialer_env(tmp_path / "journal.jsonl", AICALL_DATA_DIR=str(tmp_path))
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
                "examples,coverage,fuzzing",
                "--max-examples",
                "6",
                "--seed",
                str(SEED),
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
    report = run.stdout[-20000:] + run.stderr[-5000:]
    assert run.returncode == 0, report
    assert "26 selected" in run.stdout or "selected" in run.stdout, report
