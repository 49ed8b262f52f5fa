"""Seed the benchmark database (DATABASE_URL) for the HTTP rows; print what the rows need.

`python -m bench.seed` makes an API key; a catalog of 1,000 courses; one learner holding 200
entitlements (the access row asks about them) among 1,000 other learners with 20 each, so the
entitlement table is not trivially small. Prints one JSON object: api_key, learner, items.
Bench fixtures, not product writes: rows go in with bulk_create.
"""

import json
import os
import random

import django

LEARNER_ITEMS = 200
OTHER_LEARNERS = 1_000
ITEMS_EACH = 20
CATALOG = 1_000


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    django.setup()
    from django.db import transaction

    from accounts.models import ApiKey, User
    from catalog.models import CatalogItem, Entitlement, ItemKind

    rng = random.Random(9)
    _, api_key = ApiKey.objects.create_key(name="bench")
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
    print(json.dumps({"api_key": api_key, "learner": learner.email,
                      "items": [str(item.pk) for item in held]}))


if __name__ == "__main__":
    main()
