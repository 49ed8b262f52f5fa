"""Mixed load on PostgreSQL: redeem (service and HTTP), list, generate and assign seats at once,
with real threads for a few seconds; then the invariants, audited in SQL-backed queries.

The offer grants a course and a seat on a license of 6 seats, so redemptions and direct seat
assignments race for the same seats; one code allows 15 redemptions and many learners try
it; a generator keeps adding groups while the Zype list and the native code list are read.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection
from django.db.models import F, Sum
from rest_framework.test import APIClient

from catalog.models import Entitlement, ItemKind
from core.errors import DomainError
from licensing import services as licensing
from licensing.models import Seat
from redemptions import services
from redemptions.models import Code, CodeGroup, Redemption
from tests.factories import ApiKeyFactory, CatalogItemFactory, UserFactory
from tests.licensing.factories import LicenseFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SECONDS = 3.0
SEATS = 6
HOT_USES = 15


def run_for(seconds: float, workers: dict[str, callable]) -> dict[str, list]:
    """Run each `workers[name](rng)` in a loop in its own thread, all released together, for
    `seconds`; what each call returned, per name. Any unexpected exception fails the test."""
    barrier = threading.Barrier(len(workers))
    outcomes: dict[str, list] = {name: [] for name in workers}
    crashes: list[BaseException] = []

    def loop(name, work, seed):
        rng = random.Random(seed)
        try:
            barrier.wait()
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                outcomes[name].append(work(rng))
        except BaseException as exc:  # shown by the assertion below
            crashes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=loop, args=(name, work, seed))
               for seed, (name, work) in enumerate(workers.items())]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert crashes == []
    return outcomes


def test_redeem_list_generate_and_seats_at_once_keep_every_invariant():
    course = CatalogItemFactory(kind=ItemKind.COURSE)
    video = CatalogItemFactory(kind=ItemKind.VIDEO, external_id="mixed-video")
    license = LicenseFactory(seats_limit=SEATS)
    offer = services.create_offer(services.OfferTerms(name="Mixed", items=[course],
                                                      licenses=[license]))
    group = services.create_code_group(label="Mixed", offer=offer, count=40, code_length=12)
    hot = services.create_code(offer=offer, code="MIXEDHOTCODE", max_redemptions=HOT_USES)
    services.create_code_group(label="Videos", count=30, code_length=12,
                               offer=services.OfferTerms(name="Video", items=[video]))
    codes = [*group.codes.values_list("code", flat=True), *[hot.code] * 20]
    learners = [UserFactory() for _ in range(30)]
    _, key = ApiKeyFactory.create_with_key()

    def redeem(rng):
        try:
            services.redeem(rng.choice(codes), rng.choice(learners))
            return True
        except DomainError:
            return False

    http = APIClient()  # each used by one thread only
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    lister = APIClient()

    def redeem_over_http(rng):
        response = http.post("/api/v1/redeem", {"code": rng.choice(codes),
                                                  "user": rng.choice(learners).email},
                               format="json")
        assert response.status_code in (201, 404, 409, 422, 429), response.content
        return response.status_code == 201

    def list_codes(rng):
        zype = lister.get("/redemption_codes", {"api_key": key, "video_id": "mixed-video",
                                                "created_at.gte": "2020-01-01"})
        assert zype.status_code == 200, zype.content
        native = lister.get("/api/v1/codes", {"redeemed": "true"},
                            HTTP_AUTHORIZATION=f"Bearer {key}")
        assert native.status_code == 200, native.content
        return len(zype.json()["response"])

    def generate(rng):
        made = services.create_code_group(label="More", offer=offer, count=200, code_length=12)
        return made.total_codes_count

    def assign_seat(rng):
        try:
            licensing.assign_seat(license=license, user=rng.choice(learners))
            return True
        except DomainError:
            return False

    outcomes = run_for(SECONDS, {"redeem 1": redeem, "redeem 2": redeem,
                                 "redeem over HTTP": redeem_over_http, "list": list_codes,
                                 "generate": generate, "assign seats": assign_seat})

    assert all(outcomes.values()), {name: len(o) for name, o in outcomes.items()}
    successes = sum(sum(outcomes[name]) for name in ("redeem 1", "redeem 2",
                                                     "redeem over HTTP"))
    assert successes > 0
    # successes = redemptions = the codes' counts
    assert Redemption.objects.active().count() == successes
    assert Code.objects.aggregate(n=Sum("redemptions_count"))["n"] == successes
    # no code over its limit, no remaining count negative
    assert not Code.objects.filter(redemptions_count__gt=F("max_redemptions")).exists()
    assert Code.objects.get(pk=hot.pk).redemptions_count <= HOT_USES
    # no seat limit passed
    assert Seat.objects.active().filter(license=license).count() <= SEATS
    # every redemption has its grants: the course, and its learner holds a seat
    for redemption in Redemption.objects.active():
        assert Entitlement.objects.filter(source="redemption", source_ref=str(redemption.pk),
                                          item=course, revoked_at__isnull=True).count() == 1
        assert Seat.objects.active().filter(license=license, user=redemption.user_id).exists()
    # and each grant has its redemption
    assert Entitlement.objects.filter(source="redemption").count() == successes
    # every generated group has all its codes
    for made in CodeGroup.objects.all():
        assert made.codes.count() == made.total_codes_count
