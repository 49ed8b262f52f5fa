"""Seed the benchmark database (DATABASE_URL) for the HTTP rows; print what the rows need.

`python -m bench.seed` makes an API key; a catalog of 1,000 courses; one learner holding 200
entitlements and 10 seats (the access row asks about them) among 1,000 other learners with 20
entitlements each, so the entitlement table is not trivially small; for the redemption rows,
REDEEMERS learners (`r<n>@bench.example`, one per request) and a course whose offer the
redemption codes grant: REDEEM_CODES one-use codes `R` + 15 digits and one code allowing
HOT_USES, in two groups; for the list row, 10 videos with an offer each (`manage.py
generate_codes` makes the codes). Prints one JSON object with what the rows need.
Bench fixtures, not product writes: rows go in with bulk_create and COPY.
"""

import json
import os
import random
import uuid

import django

LEARNER_ITEMS = 200
LEARNER_SEATS = 10
OTHER_LEARNERS = 1_000
ITEMS_EACH = 20
CATALOG = 1_000
REDEEMERS = 160_000
REDEEM_CODES = 100_000
HOT_CODE, HOT_USES = "HOTR00000000000", 1_000
VIDEOS = 10


def redeem_code(n: int) -> str:
    return f"R{n:015d}"


def redeemer(n: int) -> str:
    return f"r{n}@bench.example"


def _copy_users(count: int) -> None:
    """`count` learners r0@… r<count-1>@… (no password), by COPY: bench fixtures."""
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User

    now = timezone.now()
    qn = connection.ops.quote_name
    columns = ("id", "email", "password", "full_name", "is_staff", "is_superuser", "is_active",
               "date_joined", "updated_at")
    sql = (f"COPY {qn(User._meta.db_table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN")
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for n in range(count):
            copy.write_row((uuid.uuid4(), redeemer(n), "!", "", False, False, True, now, now))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    from django.db import connection, transaction

    from accounts.models import ApiKey, User
    from catalog.models import CatalogItem, Client, Entitlement, ItemKind
    from licensing.models import License, Seat
    from redemptions.codes import Alphabet
    from redemptions.models import Code, CodeGroup
    from redemptions.services import OfferTerms, create_offer

    rng = random.Random(9)
    _, api_key = ApiKey.objects.create_key(name="bench", role="full")  # redeems, makes groups
    with transaction.atomic():
        items = CatalogItem.objects.bulk_create(
            CatalogItem(kind=ItemKind.COURSE, title=f"Bench course {n}", slug=f"bench-{n}",
                        external_id=f"BENCH-{n}") for n in range(CATALOG))
        learner = User.objects.create_user("bench-learner@example.com")
        others = User.objects.bulk_create(
            User(email=f"bench-{n}@example.com") for n in range(OTHER_LEARNERS))
        held = rng.sample(items, LEARNER_ITEMS)
        grants = [Entitlement(user=learner, item=item) for item in held]
        for user in others:
            grants += [Entitlement(user=user, item=item) for item in rng.sample(items, ITEMS_EACH)]
        Entitlement.objects.bulk_create(grants, batch_size=5_000)
        client = Client.objects.create(name="Bench client")
        licensed = [item for item in items if item not in set(held)]
        for n in range(LEARNER_SEATS):
            license = License.objects.create(client=client, name=f"Bench license {n}",
                                             seats_limit=100)
            license.courses.set(licensed[n * 5:(n + 1) * 5])
            Seat.objects.create(license=license, user=learner)

        _copy_users(REDEEMERS)
        course = CatalogItem.objects.create(kind=ItemKind.COURSE, title="Bench redeem course",
                                            external_id="BENCH-REDEEM")
        offer = create_offer(OfferTerms(name="Bench redeem offer", items=[course]))
        for label, per_code, texts in (
                ("Bench redeem codes", 1, [redeem_code(n) for n in range(REDEEM_CODES)]),
                ("Bench hot code", HOT_USES, [HOT_CODE])):
            group = CodeGroup.objects.create(
                label=label, offer=offer, code_length=16, alphabet=Alphabet.DIGITS,
                total_codes_count=len(texts), redemptions_per_code=per_code, uploaded=True)
            Code.objects._insert(group, texts, course.pk)

        videos = [CatalogItem.objects.create(kind=ItemKind.VIDEO, title=f"Bench video {n}",
                                             external_id=f"bench-video-{n}")
                  for n in range(VIDEOS)]
        video_offers = [create_offer(OfferTerms(name=video.title, items=[video]))
                        for video in videos]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(json.dumps({"api_key": api_key, "learner": learner.email,
                      "items": [str(item.pk) for item in held],
                      "seat_items": [str(item.pk) for item in licensed[:LEARNER_SEATS * 5]],
                      "course": str(items[0].pk),
                      "redeem_course": str(course.pk), "hot_code": HOT_CODE,
                      "hot_uses": HOT_USES, "redeem_codes": REDEEM_CODES,
                      "videos": [{"id": str(v.pk), "external_id": v.external_id,
                                  "offer": str(o.pk)} for v, o in zip(videos, video_offers,
                                                                      strict=True)]}))


if __name__ == "__main__":
    main()
