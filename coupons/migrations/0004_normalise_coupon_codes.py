"""Stored coupon codes become canonical (`core.codes.normalize_code`, as redemption codes are),
each keeping the text as written in `display_code`.

Two coupons whose codes differ only by case, dashes or spaces (`SPRING-10`, `spring 10`) would
become one code, and a code of separators only would become none: the migration then changes
nothing and refuses, listing them, for staff to rename all but one of each (the admin, or
EduBrite's and the native API's update) and run it again. Reversed, the codes are given back
as written."""

from collections import defaultdict

from django.db import migrations

from core.codes import normalize_code


def normalise(apps, schema_editor):
    Coupon = apps.get_model("coupons", "Coupon")
    written_as = defaultdict(list)
    for code in Coupon.objects.order_by("code").values_list("code", flat=True).iterator():
        written_as[normalize_code(code)].append(code)
    clashes = sorted((canonical, codes) for canonical, codes in written_as.items()
                     if len(codes) > 1 or not canonical)
    if clashes:
        lines = [f"  {canonical or '(nothing left)'}: {', '.join(map(repr, codes))}"
                 for canonical, codes in clashes]
        raise RuntimeError(
            "These coupon codes become the same (or an empty) code once case, dashes and "
            "spaces are ignored; rename all but one of each group, then migrate again:\n"
            + "\n".join(lines))
    changed = []
    for coupon in Coupon.objects.only("pk", "code").iterator():
        coupon.display_code = coupon.code
        coupon.code = normalize_code(coupon.code)
        changed.append(coupon)
    Coupon.objects.bulk_update(changed, ["code", "display_code"], batch_size=1000)


def restore(apps, schema_editor):
    Coupon = apps.get_model("coupons", "Coupon")
    changed = []
    for coupon in Coupon.objects.only("pk", "display_code").iterator():
        coupon.code = coupon.display_code
        changed.append(coupon)
    Coupon.objects.bulk_update(changed, ["code"], batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("coupons", "0003_coupon_display_code"),
    ]

    operations = [
        migrations.RunPython(normalise, restore),
    ]
