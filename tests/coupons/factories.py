"""Factories for the coupons app; nothing is built at import time."""

import factory

from catalog.models import ItemKind
from core.codes import normalize_code
from coupons.models import Coupon, CouponType, CouponUsage, EntityType, GroupOffering, UsageStatus
from tests.factories import CatalogItemFactory, LearnerGroupFactory, UserFactory


class CouponFactory(factory.django.DjangoModelFactory):
    """A site-wide, full-value coupon; pass `type`/`entity_type` and their values to vary."""

    class Meta:
        model = Coupon

    code = factory.Sequence(lambda n: f"COUPON-{n}")
    display_code = factory.SelfAttribute("code")
    type = CouponType.USAGE
    entity_type = EntityType.SITE

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Stored canonical, as `coupons.services.create_coupon` stores it."""
        kwargs["code"] = normalize_code(kwargs["code"])
        return super()._create(model_class, *args, **kwargs)


class SessionFactory(CatalogItemFactory):
    kind = ItemKind.COURSE_SESSION
    title = factory.Sequence(lambda n: f"Course session {n}")
    slug = factory.Sequence(lambda n: f"course-session-{n}")


class CouponUsageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CouponUsage

    coupon = factory.SubFactory(CouponFactory)
    user = factory.SubFactory(UserFactory)
    item = factory.SubFactory(SessionFactory)
    price_cents = factory.SelfAttribute("item.price_cents")
    discount_cents = factory.SelfAttribute("item.price_cents")
    final_price_cents = 0
    status = UsageStatus.PENDING


class GroupOfferingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupOffering

    group = factory.SubFactory(LearnerGroupFactory)
    item = factory.SubFactory(SessionFactory)
