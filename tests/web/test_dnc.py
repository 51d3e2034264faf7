from aicall.calls.models import DoNotCall
from tests.web.helpers import csv_file, xlsx_file


def test_add_invalid_and_remove(web, user):
    bad = web.post("/do-not-call/", {"phone_number": "12ab", "note": "giữ"})
    assert bad.status_code == 200 and "errorlist" in bad.text and 'value="giữ"' in bad.text
    assert web.post("/do-not-call/", {"phone_number": "0901 234 567"}).status_code == 302
    assert list(DoNotCall.objects.values_list("phone_e164", flat=True)) == ["+84901234567"]
    assert "+84901234567" in web.get("/do-not-call/").text
    web.post("/do-not-call/remove/", {"phone_number": "+84901234567"})
    assert not DoNotCall.objects.exists()


def test_upload_csv_and_xlsx(web, user, other_user):
    web.post("/do-not-call/upload/", {"file": csv_file([["sdt"], ["0901234567"], ["xx"]])})
    web.post("/do-not-call/upload/", {"file": xlsx_file([["0912345678"], [987654321]])})
    numbers = set(DoNotCall.objects.filter(owner=user).values_list("phone_e164", flat=True))
    assert numbers == {"+84901234567", "+84912345678", "+84987654321"}
    assert not DoNotCall.objects.filter(owner=other_user).exists()


def test_lists_are_per_account(web, other_web):
    web.post("/do-not-call/", {"phone_number": "0901234567"})
    assert "+84901234567" not in other_web.get("/do-not-call/").text
    other_web.post("/do-not-call/remove/", {"phone_number": "0901234567"})
    assert DoNotCall.objects.count() == 1
