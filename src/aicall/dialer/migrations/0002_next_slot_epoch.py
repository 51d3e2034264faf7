from django.db import migrations


class Migration(migrations.Migration):
    """The start schedule is epoch seconds (a float), not a datetime: name it so."""

    dependencies = [("dialer", "0001_initial")]
    operations = [
        migrations.RenameField("pacingbucket", "next_slot_at", "next_slot_epoch"),
    ]
