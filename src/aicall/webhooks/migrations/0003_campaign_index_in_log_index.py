"""Drop the campaign foreign key's own index: `webhook_campaign_log` leads with the campaign.

A plain DROP INDEX on both databases (Django would rebuild the whole table on SQLite).
"""

from django.db import migrations, models

INDEX = "webhooks_webhookdelivery_campaign_id_1a8900c3"


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0002_retry_deadline_and_last_attempt")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="webhookdelivery",
                    name="campaign",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=models.deletion.CASCADE,
                        to="campaigns.campaign",
                    ),
                )
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    f'CREATE INDEX "{INDEX}" ON "webhooks_webhookdelivery" ("campaign_id")',
                )
            ],
        )
    ]
