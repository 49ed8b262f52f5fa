"""A small business for the admin's screenshots: a month of redemptions over four code
groups, a license tree near full, coupons with uses and approvals pending, and things that
expire soon. Made through the services; only the redemption times are moved back, as a
month of history would have them."""

import datetime as dt
import random

from django.utils import timezone

GROUPS = [  # label, codes, redeemed, expires in (days)
    ("Spring campaign", 400, 48, 12), ("Partner week", 120, 30, 25),
    ("Webinar giveaway", 80, 12, None), ("Autumn", 200, 6, None),
]
COUPONS = [  # code, limit, uses, of which pending, expires in (days)
    ("WELCOME10", 100, 64, 3, 6), ("VIP", 20, 19, 2, None), ("SPRING", 250, 40, 0, 27),
]


def make_busy_business(seed: int = 7) -> None:
    from catalog.models import ItemKind
    from coupons.models import CouponType, UsageStatus
    from licensing import services as licensing
    from redemptions import services as redemptions
    from redemptions.models import Redemption
    from tests.coupons.factories import CouponFactory, CouponUsageFactory
    from tests.factories import CatalogItemFactory, ClientFactory, MembershipFactory, UserFactory
    from tests.licensing.factories import SeatFactory

    rng = random.Random(seed)
    now = timezone.now()
    in_days = lambda days: now + dt.timedelta(days=days) if days else None  # noqa: E731
    bundle = CatalogItemFactory(kind=ItemKind.BUNDLE, title="Starter Bundle",
                                includes=[CatalogItemFactory(title="Onboarding Essentials")])
    learners = [UserFactory() for _ in range(50)]
    for label, count, redeemed, ends in GROUPS:
        group = redemptions.create_code_group(
            label=label, count=count, code_length=10, expiration_date=in_days(ends),
            offer=redemptions.OfferTerms(name=label, items=[bundle], access_days=365))
        codes = group.codes.order_by("id")[:redeemed]
        for code, learner in zip(codes, rng.sample(learners, k=redeemed), strict=True):
            redemption = redemptions.redeem(code.code, learner)
            days_ago = min(int(rng.expovariate(1 / 9)), 29)  # busier lately
            day = now - dt.timedelta(days=days_ago)
            # earlier that UTC day, never the day before: the month's window starts at a
            # midnight 29 days back, and every one of these is in it at any hour
            at = max(day - dt.timedelta(hours=rng.random() * 8),
                     day.replace(hour=0, minute=0, second=0, microsecond=0))
            Redemption.objects.filter(pk=redemption.pk).update(redeemed_at=at)
    acme = ClientFactory(name="Acme Corp")
    company = licensing.create_license(client=acme, name="Acme company", seats_limit=50,
                                       expiration_date=in_days(18))
    sales = licensing.create_license(client=acme, name="Acme sales", parent=company)
    globex = licensing.create_license(client=ClientFactory(name="Globex"), name="Globex staff",
                                      seats_limit=20)
    for license, seats in ((company, 8), (sales, 38), (globex, 9)):
        for _ in range(seats):
            SeatFactory(license=license)
    for code, limit, uses, pending, ends in COUPONS:
        coupon = CouponFactory(code=code, type=CouponType.USAGE, value_count=limit,
                               exp_date=in_days(ends))
        for n in range(uses):
            CouponUsageFactory(coupon=coupon, status=UsageStatus.PENDING if n < pending
                               else UsageStatus.APPROVED)
    for days in (2, 9, 21):
        MembershipFactory(expires_at=in_days(days))
