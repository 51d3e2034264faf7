"""A client generated from the served /api/openapi.json by openapi-python-client (a tool
nobody here wrote), at test time and offline, does a whole round trip against a live
`aicall serve` with its sandbox dialer: create and list a campaign, import contacts
(with an Idempotency-Key), wait for the calls, export them as JSON and as CSV (with the
ETag and a 304), and the account's call-log download. Every answer is parsed by the
generated models, so a field the document gets wrong fails here.
"""

import csv
import importlib
import io
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from aicall.accounts.tokens import mint_access_token
from tests.dialer.processes import dialer_env
from tests.liveserver import serving

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "aicall_generated"
# Sandbox numbers by last digit: 0 listens, 1 presses 1, 3 busy, 5 rejects.
NUMBERS = ["0901234560", "0901234561", "0901234563", "0901234565"]
EXPECTED = {
    "0901234560": (40, "NORMAL CLEARING", ""),
    "0901234561": (40, "NORMAL CLEARING", "1 (2)"),
    "0901234563": (50, "USER BUSY", ""),
    "0901234565": (50, "CALL REJECTED", ""),
}


def _generate(doc_url: str, where: Path):
    """The generated package, imported from `where` (no network: the document is a file)."""
    doc = where / "openapi.json"
    doc.write_bytes(httpx.get(doc_url, timeout=30).content)
    config = where / "generator.yaml"
    config.write_text("post_hooks: []\n")  # no formatter run: not needed to import it
    made = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(doc),
            "--meta",
            "none",
            "--config",
            str(config),
            "--output-path",
            str(where / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    # Every operation was generated except the WAV preview's answer (no audio media type
    # in the generator); nothing else may be left out.
    warnings = [line for line in made.stdout.splitlines() if line.startswith("WARNING")]
    assert all("preview.wav" in line for line in warnings), made.stdout
    sys.path.insert(0, str(where))
    try:
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]
        return importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))


def _module(package, name: str):
    return importlib.import_module(f"{package.__name__}.{name}")


def test_generated_client_round_trip_with_csv(user, tmp_path):
    token = mint_access_token(user)
    env = dialer_env(
        tmp_path / "journal.jsonl",
        AICALL_DATA_DIR=str(tmp_path),
        AICALL_SECRET=settings.SECRET_KEY,
        AICALL_SANDBOX_SPEED="1000",
    )
    with serving(env, tmp_path / "serve.log", "--no-webhooks") as (url, _):
        gen = _generate(f"{url}/api/openapi.json", tmp_path)
        api = "api.campaigns_extension.aicall_api_campaigns_"
        original = "api.original_api.aicall_api_original_"
        downloads = "api.csv_downloads_extension.aicall_api_downloads_"
        models = _module(gen, "models")
        client = gen.AuthenticatedClient(base_url=url, token=token, timeout=httpx.Timeout(60))

        created = _module(gen, api + "create_campaign").sync(
            client=client,
            body=models.CampaignCreateIn(
                name="Generated client",
                campaign_type=models.CampaignCreateInCampaignType.IVR,
                caller_id="0281234567",
                script="Xin chào {danh_xung} {ho_ten}",
                calling_hours="00:00-24:00",
            ),
        )
        assert isinstance(created, models.CampaignSuccess), created
        campaign = created.results
        assert campaign.status == "draft" and campaign.name == "Generated client"
        cid = str(campaign.campaign_id)
        started = _module(gen, api + "start_campaign").sync(campaign_id=cid, client=client)
        assert started.results.status == "running"

        listed = _module(gen, api + "list_campaigns").sync(client=client)
        assert isinstance(listed, models.CampaignListSuccess)
        assert [c.campaign_id for c in listed.results.campaigns] == [campaign.campaign_id]
        assert listed.results.total == 1

        contacts = []
        for number in NUMBERS:
            contact = models.Contact(phone_number=number, danh_xung="anh", ho_ten="Nam")
            contact["ma_don"] = "A-" + number[-1]  # a custom field, kept with the contact
            contacts.append(contact)
        importer = _module(gen, original + "import_contacts")
        body = models.ImportBody(contacts=contacts)
        imported = importer.sync(campaign_id=cid, client=client, body=body, idempotency_key="k1")
        assert isinstance(imported, models.ImportSuccess), imported
        assert imported.message == "Ghi nhận thành công 4 trên 4 bản ghi"
        assert [r.phone_number for r in imported.results] == NUMBERS
        again = importer.sync_detailed(
            campaign_id=cid, client=client, body=body, idempotency_key="k1"
        )
        assert again.headers["Idempotent-Replayed"] == "true"
        assert [r.call_id for r in again.parsed.results] == [r.call_id for r in imported.results]

        progress = _module(gen, api + "progress")
        deadline = time.monotonic() + 90
        while True:
            counts = progress.sync(campaign_id=cid, client=client).results
            if counts.answered + counts.failed == len(NUMBERS):
                break
            assert time.monotonic() < deadline, counts
            time.sleep(0.2)
        assert (counts.answered, counts.failed, counts.total) == (2, 2, 4)

        page = _module(gen, original + "export_calls").sync(
            campaign_id=cid, client=client, limit=100
        )
        assert isinstance(page, models.CallPageSuccess), page
        assert page.results.total == 4 and page.results.limit == 100
        calls = page.results.calls
        assert {c.callee_id: (c.state, c.note, c.key_press) for c in calls} == EXPECTED
        order = [(c.called_at, c.call_id) for c in calls]
        assert order == sorted(order)  # oldest first, ties by call_id
        assert {c.call_id for c in calls} == {r.call_id for r in imported.results}

        export_csv = _module(gen, downloads + "export_csv")
        download = export_csv.sync_detailed(campaign_id=cid, client=client)
        assert download.status_code == 200 and download.headers["ETag"]
        rows = list(csv.DictReader(io.StringIO(download.parsed)))
        as_text = [{k: str(v) for k, v in c.to_dict().items()} for c in calls]
        assert rows == as_text
        unchanged = export_csv.sync_detailed(
            campaign_id=cid, client=client, if_none_match=download.headers["ETag"]
        )
        assert unchanged.status_code == 304 and unchanged.content == b""

        log = _module(gen, downloads + "call_log_csv").sync(client=client)
        assert list(csv.DictReader(io.StringIO(log))) == as_text

        refused = _module(gen, original + "export_calls").sync(
            campaign_id=str(campaign.campaign_id + 1000), client=client
        )
        assert isinstance(refused, models.Failure)
        assert (refused.code, refused.message) == ("01", "campaign_id không hợp lệ")
