import aicall.lib.secretbox
from django.db import migrations


def encrypt_existing(apps, schema_editor):
    # The historical field reads legacy plaintext as it is and encrypts on save.
    Trunk = apps.get_model("telephony", "Trunk")
    for trunk in Trunk.objects.exclude(password=""):
        trunk.save(update_fields=["password"])


def decrypt_existing(apps, schema_editor):
    Trunk = apps.get_model("telephony", "Trunk")
    with schema_editor.connection.cursor() as cursor:
        for pk, password in Trunk.objects.exclude(password="").values_list("pk", "password"):
            cursor.execute(
                "UPDATE telephony_trunk SET password = %s WHERE id = %s", [password[:200], pk]
            )


class Migration(migrations.Migration):
    dependencies = [("telephony", "0004_trunk_fallback")]

    operations = [
        migrations.AlterField(
            model_name="trunk",
            name="password",
            field=aicall.lib.secretbox.EncryptedTextField(blank=True),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
