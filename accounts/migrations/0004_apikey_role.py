"""API keys get a role; keys made before roles existed keep every power (`full`)."""

from django.db import migrations, models

ROLES = [("read-only", "read-only"), ("codes", "codes"), ("licensing", "licensing"),
         ("coupons", "coupons"), ("full", "full")]


def existing_keys_full(apps, schema_editor):
    apps.get_model("accounts", "ApiKey").objects.update(role="full")


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0003_user_clear_redeem_throttle_permission"),
    ]

    operations = [
        migrations.AddField(
            model_name="apikey",
            name="role",
            field=models.CharField(
                choices=ROLES, default="read-only", max_length=20,
                help_text="The Django permissions the key carries (README, Permissions)."),
        ),
        migrations.RunPython(existing_keys_full, migrations.RunPython.noop),
    ]
