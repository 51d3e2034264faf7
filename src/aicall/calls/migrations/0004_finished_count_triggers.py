"""SQLite only: triggers keep calls_finishedcallcount exact (see FinishedCallCount).

On PostgreSQL several dialers settle calls at once; a shared counter row per campaign and
per account would serialise them (and two batches touching campaigns in opposite orders
would deadlock), so there export counts the index instead.
"""

from django.db import migrations

COUNTER = "calls_finishedcallcount"


def _bump(scope: str, column: str, row: str, delta: str) -> str:
    return (
        f"INSERT INTO {COUNTER} (scope, scope_id, finished) VALUES ('{scope}', {row}.{column}, "
        f"{delta}) ON CONFLICT (scope, scope_id) DO UPDATE SET finished = finished + {delta};"
    )


def _both(row: str, delta: str) -> str:
    return _bump("campaign", "campaign_id", row, delta) + _bump("owner", "owner_id", row, delta)


SIGNED_CHANGE = "(CASE WHEN NEW.status = 'done' THEN 1 ELSE -1 END)"
TRIGGERS = [
    "CREATE TRIGGER call_finished_insert AFTER INSERT ON calls_call WHEN NEW.status = 'done' "
    f"BEGIN {_both('NEW', '1')} END",
    "CREATE TRIGGER call_finished_delete AFTER DELETE ON calls_call WHEN OLD.status = 'done' "
    f"BEGIN {_both('OLD', '-1')} END",
    "CREATE TRIGGER call_finished_update AFTER UPDATE OF status ON calls_call "
    "WHEN (OLD.status = 'done') <> (NEW.status = 'done') "
    f"BEGIN {_both('NEW', SIGNED_CHANGE)} END",
]
BACKFILL = [
    f"INSERT INTO {COUNTER} (scope, scope_id, finished) SELECT 'campaign', campaign_id, COUNT(*) "
    "FROM calls_call WHERE status = 'done' GROUP BY campaign_id",
    f"INSERT INTO {COUNTER} (scope, scope_id, finished) SELECT 'owner', owner_id, COUNT(*) "
    "FROM calls_call WHERE status = 'done' GROUP BY owner_id",
]
DROP = [
    "DROP TRIGGER IF EXISTS call_finished_insert",
    "DROP TRIGGER IF EXISTS call_finished_delete",
    "DROP TRIGGER IF EXISTS call_finished_update",
    f"DELETE FROM {COUNTER}",
]


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in BACKFILL + TRIGGERS:
        schema_editor.execute(statement)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in DROP:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("calls", "0003_finished_counters")]
    operations = [migrations.RunPython(install, remove)]
