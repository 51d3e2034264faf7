from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0005_contact_columns"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="menu_audio",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
