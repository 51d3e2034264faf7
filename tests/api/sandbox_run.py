"""Run a campaign's calls through the sandbox and read them back from the export API."""

from aicall.campaigns.services import do_start_campaign
from aicall.telephony.sandbox import SandboxCarrier
from tests.dialer.conftest import settled, wait_until

TWO_CONTACTS = [{"phone_number": "0901234560"}, {"phone_number": "0901234561"}]


def sandbox_calls(api, token, campaign, harness, contacts=TWO_CONTACTS) -> dict[str, dict]:
    """Import `contacts`, start the campaign, let the sandbox settle it: export calls by callee."""
    status, _ = api.post(
        f"/api/campaigns/{campaign.pk}/import", {"access_token": token, "contacts": contacts}
    )
    assert status == 200
    do_start_campaign(campaign)
    h = harness(SandboxCarrier(speed=400))
    wait_until(settled(campaign), timeout=30)
    h.stop()
    _, body = api.get(f"/api/campaigns/{campaign.pk}/export", access_token=token)
    return {c["callee_id"]: c for c in body["results"]["calls"]}
