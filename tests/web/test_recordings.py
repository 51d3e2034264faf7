from django.utils import timezone

from aicall.calls.models import Call, CallStatus

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 28


def _recorded_call(campaign, media_root, relative="recordings/2026/11/26/1-1.wav"):
    path = media_root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(WAV)
    return Call.objects.create(
        campaign=campaign,
        owner_id=campaign.owner_id,
        phone_e164="+84901234560",
        phone_as_sent="0901234560",
        status=CallStatus.DONE,
        state=40,
        called_at=timezone.now(),
        duration_seconds=8,
        recording=relative,
    )


def test_owner_listens_to_a_recording_from_the_calls_table(web, ivr_campaign, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call = _recorded_call(ivr_campaign, tmp_path)
    page = web.get(f"/campaigns/{ivr_campaign.pk}/calls/").content.decode()
    assert f'src="/calls/{call.pk}/recording.wav"' in page
    response = web.get(f"/calls/{call.pk}/recording.wav")
    assert response.status_code == 200 and response["Content-Type"] == "audio/wav"
    assert b"".join(response.streaming_content) == WAV


def test_another_account_and_missing_files_get_404(
    web, other_web, ivr_campaign, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    call = _recorded_call(ivr_campaign, tmp_path)
    assert other_web.get(f"/calls/{call.pk}/recording.wav").status_code == 404
    Call.objects.filter(pk=call.pk).update(recording="../../etc/passwd")
    assert web.get(f"/calls/{call.pk}/recording.wav").status_code == 404
    Call.objects.filter(pk=call.pk).update(recording="")
    assert web.get(f"/calls/{call.pk}/recording.wav").status_code == 404
