import csv
import io
from datetime import UTC, datetime, timedelta

from django.test import Client

from aicall.accounts.callerids import do_verify_caller_id
from aicall.api.csv_export import COLUMNS
from aicall.campaigns.services import do_create_campaign
from tests.factories import finished_call

T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


def _dataset(user, other_user):
    user.created_at = T0 - timedelta(days=1)
    user.save(update_fields=["created_at"])
    do_verify_caller_id(user.pk, "028")
    first = do_create_campaign(user.pk, {"name": "a", "campaign_type": "ivr", "caller_id": "028"})
    second = do_create_campaign(user.pk, {"name": "b", "campaign_type": "ivr"})
    theirs = do_create_campaign(other_user.pk, {"name": "t", "campaign_type": "ivr"})
    for i in range(1234):
        campaign = first if i % 3 else second
        finished_call(
            campaign,
            f"+849{i:08d}"[:12],
            T0 + timedelta(seconds=i // 2),  # ties on called_at: ordered by call_id
            state=40 if i % 4 else 50,
            key_press='1 (2), "#" (3)' if i % 5 == 0 else "1 (2)",
            note="NORMAL CLEARING" if i % 4 else "USER BUSY",
        )
    finished_call(theirs, "+84901234567", T0)
    return first, second


def _json_pages(client, path, params):
    calls, offset = [], 0
    while True:
        body = client.get(path, {**params, "limit": "1000", "offset": str(offset)}).json()
        calls += body["results"]["calls"]
        offset += 1000
        if offset >= body["results"]["total"]:
            return calls


def _csv_rows(response) -> list[dict]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames) == COLUMNS
    return list(reader)


def _as_text(calls: list[dict]) -> list[dict]:
    return [{k: str(v) for k, v in call.items()} for call in calls]


def test_csv_equals_json_export_for_the_same_query(user, other_user, token):
    first, _ = _dataset(user, other_user)
    client = Client()
    window = {
        "access_token": token,
        "start_time": str(int((T0 + timedelta(seconds=10)).timestamp() * 1000)),
        "end_time": str(int((T0 + timedelta(seconds=500)).timestamp() * 1000)),
    }
    for path in (f"/api/campaigns/{first.pk}/export", "/api/users/call-log"):
        expected = _json_pages(client, path, window)
        assert len(expected) > 300
        # limit/offset do not page a download: the whole range comes back.
        response = client.get(path, {**window, "format": "csv", "limit": "5", "offset": "7"})
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert _csv_rows(response) == _as_text(expected)


def test_csv_default_range_and_errors_stay_json(user, other_user, token):
    first, second = _dataset(user, other_user)
    client = Client()
    rows = _csv_rows(client.get("/api/users/call-log", {"access_token": token, "format": "csv"}))
    assert len(rows) == 1234  # none of the other account's
    bad = client.get(f"/api/campaigns/{first.pk}/export", {"format": "csv", "access_token": "x"})
    assert bad.status_code == 401 and bad.json()["code"] == "401"
    foreign = client.get("/api/campaigns/999999/export", {"format": "csv", "access_token": token})
    assert foreign.status_code == 404 and foreign.json()["code"] == "01"
    empty = client.get(
        f"/api/campaigns/{second.pk}/export",
        {"format": "csv", "access_token": token, "end_time": "1000"},
    )
    assert b"".join(empty.streaming_content) == (",".join(COLUMNS) + "\r\n").encode()


def test_csv_download_carries_an_etag_and_answers_304_while_unchanged(user, other_user, token):
    first, _ = _dataset(user, other_user)
    client = Client()
    path = f"/api/campaigns/{first.pk}/export"
    since = str(int((T0 - timedelta(hours=1)).timestamp() * 1000))
    params = {"access_token": token, "format": "csv", "start_time": since}
    download = client.get(path, params)
    etag = download["ETag"]
    assert etag.startswith('"') and download["Cache-Control"] == "no-store"
    assert len(_csv_rows(download)) == 822  # two thirds of 1,234: first's calls
    same = client.get(path, params, headers={"If-None-Match": etag})
    assert same.status_code == 304 and same.content == b""
    assert same["ETag"] == etag and same["Cache-Control"] == "no-store"
    # The JSON page of the same query is another representation, with another tag.
    assert client.get(path, {"access_token": token, "start_time": since})["ETag"] != etag
    # Another account's new call changes nothing; a new call of this campaign does.
    theirs = do_create_campaign(other_user.pk, {"name": "t2", "campaign_type": "ivr"})
    finished_call(theirs, "+84901234568", T0)
    assert client.get(path, params, headers={"If-None-Match": etag}).status_code == 304
    finished_call(first, "+84901234569", T0 + timedelta(hours=1))
    changed = client.get(path, params, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert len(_csv_rows(changed)) == 823
    # The call-log's download has its own tag, and honours it too.
    log = client.get("/api/users/call-log", params)
    assert log["ETag"] not in (etag, changed["ETag"])
    again = client.get("/api/users/call-log", params, headers={"If-None-Match": log["ETag"]})
    assert again.status_code == 304


def test_csv_only_paths_answer_the_same_download(user, other_user, token):
    first, _ = _dataset(user, other_user)
    theirs = do_create_campaign(other_user.pk, {"name": "t3", "campaign_type": "ivr"})
    client = Client()
    since = str(int((T0 - timedelta(hours=1)).timestamp() * 1000))
    params = {"access_token": token, "start_time": since}
    pairs = [
        (f"/api/campaigns/{first.pk}/export.csv", f"/api/campaigns/{first.pk}/export"),
        ("/api/users/call-log.csv", "/api/users/call-log"),
    ]
    for csv_path, json_path in pairs:
        plain = client.get(csv_path, params)
        same = client.get(json_path, {**params, "format": "csv"})
        assert plain.status_code == 200 and plain["Content-Type"] == "text/csv; charset=utf-8"
        rows = _csv_rows(plain)
        assert rows == _csv_rows(same) and len(rows) > 400
        assert plain["ETag"] == same["ETag"]
        assert (
            client.get(csv_path, params, headers={"If-None-Match": plain["ETag"]}).status_code
            == 304
        )
    # Another account's campaign is "01", a bad token "401": JSON, as on export.
    refused = client.get(f"/api/campaigns/{theirs.pk}/export.csv", params)
    assert refused.status_code == 404 and refused.json()["code"] == "01"
    for path, _ in pairs:
        denied = client.get(path, {"access_token": "nope"})
        assert denied.status_code == 401 and denied.json()["code"] == "401"
