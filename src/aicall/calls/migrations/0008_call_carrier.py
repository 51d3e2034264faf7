"""Which carrier placed a call (and each attempt, with its trunk).

`calls_call.carrier` is added with a plain `ALTER TABLE ... ADD COLUMN ... DEFAULT ''`:
Django would rebuild the whole table on SQLite for a NOT NULL column with a default,
dropping the finished-count triggers of 0004 (and copying every row). The database keeps
the default, because imports insert calls with raw SQL that names its own columns.
"""

from django.db import migrations, models

ADD = "ALTER TABLE calls_call ADD COLUMN carrier varchar(16) NOT NULL DEFAULT ''"
DROP = "ALTER TABLE calls_call DROP COLUMN carrier"


def add_column(apps, schema_editor):
    schema_editor.execute(ADD)


def drop_column(apps, schema_editor):
    schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("calls", "0007_contact_text_unlimited")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="call",
                    name="carrier",
                    field=models.CharField(blank=True, db_default="", default="", max_length=16),
                ),
            ],
            database_operations=[migrations.RunPython(add_column, drop_column)],
        ),
        migrations.AddField(
            model_name="callattempt",
            name="carrier",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.AddField(
            model_name="callattempt",
            name="trunk_name",
            field=models.CharField(blank=True, max_length=100),
        ),
    ]
