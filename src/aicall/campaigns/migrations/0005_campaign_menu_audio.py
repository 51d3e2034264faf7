from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0004_merge_20261202_0549"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="menu_audio",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
