from django.db import migrations, models


class Migration(migrations.Migration):
    """Coupon codes become canonical (0004 rewrites the stored ones): the text as written
    moves beside them, and uniqueness becomes exact on the canonical text (stricter than the
    case-insensitive index it replaces once 0004 has run)."""

    dependencies = [
        ("coupons", "0002_couponusage_approve_permission"),
    ]

    operations = [
        migrations.AddField(
            model_name="coupon",
            name="display_code",
            field=models.CharField(
                default="", max_length=100,
                help_text="The code as its creator wrote it (`partner1-free`): what EduBrite's "
                          "clients sent and are shown back."),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="coupon",
            name="code",
            field=models.CharField(
                max_length=100,
                help_text="What learners type, canonical (`normalize_code`: upper case, no "
                          "dashes or spaces), so any way of typing it matches."),
        ),
        migrations.AddConstraint(
            model_name="coupon",
            constraint=models.UniqueConstraint(fields=["code"], name="coupon_code_unique"),
        ),
        migrations.RemoveConstraint(
            model_name="coupon",
            name="coupon_code_unique_ci",
        ),
    ]

