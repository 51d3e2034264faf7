from aicall.api.responses import MSG_BAD_CAMPAIGN, MSG_BAD_CONTACTS, MSG_CAMPAIGN_STOPPED
from aicall.calls.models import Call
from aicall.campaigns.services import do_stop_campaign


def import_path(campaign) -> str:
    return f"/api/campaigns/{campaign.pk}/import"


def test_import_accepts_contacts_in_request_order_and_echoes_numbers(api, token, ivr_campaign):
    contacts = [
        {"phone_number": "0901234567", "danh_xung": "anh", "ho_ten": "Nguyễn Văn A"},
        {"phone_number": "+84 91 234 5678", "ho_ten": "B", "order_no": "DH-1"},
        {"phone_number": "84-93.123.4567"},
    ]
    status, body = api.post(
        import_path(ivr_campaign), {"access_token": token, "contacts": contacts}
    )
    assert status == 200
    assert body["status"] == 1
    assert body["message"] == "Ghi nhận thành công 3 trên 3 bản ghi"
    assert [r["phone_number"] for r in body["results"]] == [c["phone_number"] for c in contacts]
    ids = [r["call_id"] for r in body["results"]]
    calls = {c.pk: c for c in Call.objects.filter(pk__in=ids)}
    assert [calls[i].phone_e164 for i in ids] == ["+84901234567", "+84912345678", "+84931234567"]
    assert calls[ids[0]].danh_xung == "anh" and calls[ids[0]].ho_ten == "Nguyễn Văn A"
    assert calls[ids[1]].custom_fields == {"order_no": "DH-1"}
    assert all(c.owner_id == ivr_campaign.owner_id for c in calls.values())


def test_import_drops_repeats_and_skips_invalid_elements(api, token, ivr_campaign):
    contacts = [
        {"phone_number": "0901234567"},
        {"phone_number": "+84901234567"},  # same number as the first: dropped
        {"phone_number": "12345"},  # not a number
        {"ho_ten": "no phone"},
        "not an object",
        {"phone_number": "090 123 4568"},
    ]
    status, body = api.post(
        import_path(ivr_campaign), {"access_token": token, "contacts": contacts}
    )
    assert status == 200
    assert body["message"] == "Ghi nhận thành công 2 trên 6 bản ghi"
    assert [r["phone_number"] for r in body["results"]] == ["0901234567", "090 123 4568"]
    assert Call.objects.filter(campaign=ivr_campaign).count() == 2


def test_otp_codes_in_range_are_accepted_and_integers_zero_padded(api, token, otp_campaign):
    contacts = [
        {"phone_number": "0901000001", "otp_code": "000001"},
        {"phone_number": "0901000002", "otp_code": "999999"},
        {"phone_number": "0901000003", "otp_code": 42},
        {"phone_number": "0901000004", "otp_code": "000000"},
        {"phone_number": "0901000005", "otp_code": "12345"},
        {"phone_number": "0901000006", "otp_code": 1000000},
        {"phone_number": "0901000007"},
        {"phone_number": "0901000008", "otp_code": "12a456"},
        {"phone_number": "0901000009", "otp_code": 0},
    ]
    status, body = api.post(
        import_path(otp_campaign), {"access_token": token, "contacts": contacts}
    )
    assert status == 200
    assert body["message"] == "Ghi nhận thành công 3 trên 9 bản ghi"
    codes = dict(Call.objects.filter(campaign=otp_campaign).values_list("phone_e164", "otp_code"))
    assert codes == {"+84901000001": "000001", "+84901000002": "999999", "+84901000003": "000042"}


def test_stopped_otp_campaign_refuses_the_whole_request(api, token, otp_campaign):
    do_stop_campaign(otp_campaign)
    body = {
        "access_token": token,
        "contacts": [{"phone_number": "0901234567", "otp_code": "123456"}],
    }
    status, answer = api.post(import_path(otp_campaign), body)
    assert (status, answer) == (
        409,
        {"status": 0, "code": "03", "message": MSG_CAMPAIGN_STOPPED},
    )
    assert not Call.objects.exists()


def test_stopped_ivr_campaign_still_accepts(api, token, ivr_campaign):
    assert not ivr_campaign.is_running
    status, body = api.post(
        import_path(ivr_campaign),
        {"access_token": token, "contacts": [{"phone_number": "0901234567"}]},
    )
    assert status == 200 and body["status"] == 1


def test_contacts_missing_or_not_an_array_is_400(api, token, ivr_campaign):
    expected = {"status": 0, "code": "400", "message": MSG_BAD_CONTACTS}
    for body in (
        {"access_token": token},
        {"access_token": token, "contacts": {"a": 1}},
        {"access_token": token, "contacts": "0901234567"},
    ):
        assert api.post(import_path(ivr_campaign), body) == (400, expected)
    assert api.post(import_path(ivr_campaign), raw=b"{not json", query=f"access_token={token}") == (
        400,
        expected,
    )
    assert not Call.objects.exists()


def test_unknown_or_foreign_campaign_is_01(api, token, other_user):
    from aicall.campaigns.services import do_create_campaign

    foreign = do_create_campaign(other_user.pk, {"name": "theirs", "campaign_type": "ivr"})
    expected = {"status": 0, "code": "01", "message": MSG_BAD_CAMPAIGN}
    body = {"access_token": token, "contacts": [{"phone_number": "0901234567"}]}
    assert api.post(import_path(foreign), body) == (404, expected)
    assert api.post("/api/campaigns/999999/import", body) == (404, expected)
    assert api.post("/api/campaigns/abc/import", body) == (404, expected)
    assert not Call.objects.exists()


def test_token_in_query_string_on_post_with_trailing_tab(api, token, ivr_campaign):
    raw = b'{"contacts": [{"phone_number": "0901234567"}]}\t'
    status, body = api.post(import_path(ivr_campaign), raw=raw, query=f"access_token={token}")
    assert status == 200 and body["results"][0]["phone_number"] == "0901234567"


def test_token_as_bearer_header(api, token, ivr_campaign):
    status, body = api.post(
        import_path(ivr_campaign),
        {"contacts": [{"phone_number": "0901234567"}]},
        Authorization=f"Bearer {token}",
    )
    assert status == 200 and body["status"] == 1


def test_every_contact_value_is_stored_exactly_as_sent(api, token, ivr_campaign):
    """Awkward text and nested custom fields survive the one-statement insert unchanged."""
    custom = {
        "order": {"items": [{"sku": 'A"1\\', "qty": 2}], "total": 1.5, "paid": True},
        "note": "chị Hà 😀\nline two\t'quoted'",
        "missing": None,
        "big": 18446744073709551615,
    }
    contacts = [
        {"phone_number": 901234567, "ho_ten": 'Trần "Thị" O\'Brien \\ 😀'},
        {"phone_number": "0912345678", "danh_xung": "chị " * 60, "ho_ten": "N" * 500, **custom},
    ]
    status, body = api.post(
        import_path(ivr_campaign), {"access_token": token, "contacts": contacts}
    )
    assert status == 200, body
    assert [r["phone_number"] for r in body["results"]] == [901234567, "0912345678"]
    first, second = (Call.objects.get(pk=r["call_id"]) for r in body["results"])
    assert (first.phone_e164, first.phone_as_sent) == ("+84901234567", "901234567")
    assert first.ho_ten == 'Trần "Thị" O\'Brien \\ 😀' and first.custom_fields == {}
    assert second.danh_xung == "chị " * 60 and second.ho_ten == "N" * 500
    assert second.custom_fields == custom
    assert (second.status, second.attempt_count, second.key_presses) == ("queued", 0, [])
    assert second.created_at == second.due_at and second.priority == 1


def test_text_with_a_nul_character_is_skipped_and_frees_its_number(api, token, ivr_campaign):
    """PostgreSQL cannot store U+0000: such an element is skipped (counted), never a 500."""
    contacts = [
        {"phone_number": "0901234567", "ho_ten": "a\u0000b"},
        {"phone_number": "0901234568", "order": {"note": "\u0000"}},
        {"phone_number": "0901234569\u0000"},
        {"phone_number": "0901234567", "ho_ten": "clean repeat of the first number"},
    ]
    status, body = api.post(
        import_path(ivr_campaign), {"access_token": token, "contacts": contacts}
    )
    assert status == 200
    assert body["message"] == "Ghi nhận thành công 1 trên 4 bản ghi"
    assert [r["phone_number"] for r in body["results"]] == ["0901234567"]
    assert Call.objects.get(campaign=ivr_campaign).ho_ten == "clean repeat of the first number"
