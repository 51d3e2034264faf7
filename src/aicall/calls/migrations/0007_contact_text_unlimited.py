"""danh_xung and ho_ten become text without a length limit.

SQLite never enforced varchar lengths, and Django would rebuild the whole table there for
this change, dropping the finished-count triggers of 0004: so the column type changes on
PostgreSQL only and SQLite's schema stays as it is.
"""

from django.db import migrations, models

WIDEN = "ALTER TABLE calls_call ALTER COLUMN danh_xung TYPE text, ALTER COLUMN ho_ten TYPE text"
NARROW = (
    "ALTER TABLE calls_call ALTER COLUMN danh_xung TYPE varchar(100), "
    "ALTER COLUMN ho_ten TYPE varchar(200)"
)


def widen(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WIDEN)


def narrow(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(NARROW)


class Migration(migrations.Migration):
    dependencies = [("calls", "0006_partial_indexes")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="call", name="danh_xung", field=models.TextField(blank=True)
                ),
                migrations.AlterField(
                    model_name="call", name="ho_ten", field=models.TextField(blank=True)
                ),
            ],
            database_operations=[migrations.RunPython(widen, narrow)],
        )
    ]
