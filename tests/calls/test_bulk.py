"""The bulk SQL's column specification is the models' fields, and its statements work."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQL
from django.utils import timezone

from aicall.calls.bulk import CALL, CALL_ATTEMPT, Table, update_rows
from aicall.calls.dialing import (
    AttemptResult,
    CallResult,
    ClaimedRow,
    InFlightRow,
    NewAttempt,
    do_claim_calls,
)
from aicall.calls.models import Call, CallAttempt
from aicall.calls.services import NewCall, import_contacts

# The PostgreSQL types, also when the tests run on SQLite (no connection is opened).
_PG = PostgreSQL({**connection.settings_dict, "ENGINE": "django.db.backends.postgresql"})


@pytest.mark.parametrize(("table", "model"), [(CALL, Call), (CALL_ATTEMPT, CallAttempt)])
def test_the_specification_is_the_models_fields(table: Table, model):
    fields = model._meta.concrete_fields
    assert table.name == model._meta.db_table
    assert [c.name for c in table.columns] == [f.column for f in fields]
    assert [c.pg_type for c in table.columns] == [f.db_type(_PG) for f in fields]


@pytest.mark.parametrize(
    ("record", "table"),
    [
        (NewCall, CALL),
        (CallResult, CALL),
        (ClaimedRow, CALL),
        (InFlightRow, CALL),
        (AttemptResult, CALL_ATTEMPT),
        (NewAttempt, CALL_ATTEMPT),
    ],
)
def test_every_record_names_columns_of_its_table(record, table: Table):
    names = {c.name for c in table.columns}
    assert set(record._fields) <= names


def test_updates_keep_a_null_column_clip_text_and_set_constants(db, ivr_campaign):
    outcome = import_contacts(ivr_campaign, [{"phone_number": "0901234560"}])
    call = Call.objects.get(pk=outcome.call_ids[0])
    Call.objects.filter(pk=call.pk).update(claimed_by="d1", status="dialing")
    now = timezone.now()
    update_rows(
        CALL,
        [
            CallResult(
                id=call.pk,
                status="done",
                state=40,
                due_at=None,
                caller_id="0281234567",
                called_at=now,
                answered_at=now,
                ended_at=now + timedelta(seconds=3),
                duration_seconds=3,
                key_presses=[["1", 2.0]],
                key_press="1 (2)",
                hangup_cause="X" * 100,
                sip_code=200,
                recording="",
                carrier="sandbox",
            )
        ],
        key=("id",),
        constants={"claimed_by": "''"},
        keep_when_null=("due_at",),
    )
    stored = Call.objects.get(pk=call.pk)
    assert stored.due_at == call.due_at  # kept
    assert stored.hangup_cause == "X" * 64  # cut to the column's width
    assert stored.claimed_by == ""
    assert stored.key_presses == [["1", 2.0]]
    assert (stored.state, stored.duration_seconds, stored.called_at) == (40, 3, now)


def test_an_import_stores_every_column_as_the_orm_would(db, ivr_campaign):
    contact = {"phone_number": "0901234561", "ho_ten": "Nguyễn Văn A", "order_no": "DH-42"}
    call = Call.objects.get(pk=import_contacts(ivr_campaign, [contact]).call_ids[0])
    assert call.custom_fields == {"order_no": "DH-42"}
    assert call.key_presses == [] and call.status == "queued" and call.attempt_count == 0
    assert (call.phone_e164, call.phone_as_sent, call.ho_ten) == (
        "+84901234561",
        "0901234561",
        "Nguyễn Văn A",
    )
    assert call.created_at == call.due_at and call.owner_id == ivr_campaign.owner_id


def test_a_claim_stores_its_attempt_row_as_the_orm_would(db, ivr_campaign):
    call_id = import_contacts(ivr_campaign, [{"phone_number": "0901234562"}]).call_ids[0]
    now = timezone.now()
    (claimed,) = do_claim_calls("d1", [call_id], now)
    stored = CallAttempt.objects.get(call_id=call_id)
    expected = CallAttempt(call_id=call_id, attempt=1, called_at=now, dialer="d1")
    fields = [f.attname for f in CallAttempt._meta.concrete_fields if f.attname != "id"]
    assert [getattr(stored, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert claimed.attempt_count == 1


def test_sqlite_datetimes_are_stored_as_django_stores_them():
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from aicall.calls.bulk import _adapters

    (adapt,) = _adapters(CALL_ATTEMPT, ["called_at"])
    django_adapt = connection.ops.adapt_datetimefield_value
    for value in [
        timezone.now(),
        datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),  # no microseconds
        datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")),
        None,
    ]:
        assert adapt(value) == django_adapt(value)


def test_a_webhook_event_carries_the_export_call_object_with_its_attempt():
    from aicall.calls.events import CallEvent, event_payload
    from aicall.calls.queries import ExportRow, call_object

    row = ExportRow(7, "02873001234", "+84901234567", None, 12, "1", "NORMAL CLEARING", 40)
    payload = event_payload(CallEvent(row, attempt=2, sandbox=True), "call.finished", 3)
    assert payload == {
        "event": "call.finished",
        "data": {**call_object(row), "campaign_id": 3, "attempt": 2, "sandbox": True},
    }
    assert payload["data"]["call_id"] == 7 and payload["data"]["callee_id"] == "0901234567"
