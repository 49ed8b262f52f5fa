"""Coupon codes go through `normalize_code` everywhere: stored canonical and unique, found
however they are typed, shown back as written; the migration that made the stored ones
canonical refuses codes that would become one."""

import importlib

import pytest
from django.apps import apps

from coupons import services
from coupons.errors import CouponCodeTaken, CouponInvalid
from coupons.models import Coupon, CouponType, EntityType

pytestmark = pytest.mark.django_db

MIGRATION = importlib.import_module("coupons.migrations.0004_normalise_coupon_codes")


def _create(code):
    return services.create_coupon(code=code, type=CouponType.USAGE, entity_type=EntityType.SITE)


def _stored(code, display_code=""):
    """A coupon as the migration finds it: the code as it was stored before (as written)."""
    return Coupon.objects.create(code=code, display_code=display_code, type=CouponType.USAGE,
                                 entity_type=EntityType.SITE)


def test_a_code_is_stored_canonical_beside_the_text_as_written():
    coupon = _create("  spring-10 ")
    assert (coupon.code, coupon.display_code) == ("SPRING10", "spring-10")


@pytest.mark.parametrize("typed", ["SPRING10", "spring 10", "Spring–10", " spring_10 "])
def test_a_coupon_is_found_however_its_code_is_typed(typed):
    coupon = _create("spring-10")
    assert list(Coupon.objects.by_code(typed)) == [coupon]


def test_a_code_differing_only_by_case_dashes_or_spaces_is_taken():
    _create("spring-10")
    with pytest.raises(CouponCodeTaken):
        _create("SPRING 10")
    assert Coupon.objects.count() == 1


def test_a_code_of_separators_only_is_refused():
    with pytest.raises(CouponInvalid) as refused:
        _create(" - _ ")
    assert refused.value.field == "code"
    assert not Coupon.objects.exists()


def test_the_migration_makes_stored_codes_canonical_and_keeps_them_as_written():
    _stored("partner1-free")
    _stored("TEN")
    MIGRATION.normalise(apps, None)
    assert sorted(Coupon.objects.values_list("code", "display_code")) == [
        ("PARTNER1FREE", "partner1-free"), ("TEN", "TEN")]


def test_the_migration_refuses_codes_that_would_become_one_listing_them_and_changes_nothing():
    _stored("spring-10")
    _stored("SPRING 10")
    _stored("summer")
    with pytest.raises(RuntimeError) as refused:
        MIGRATION.normalise(apps, None)
    assert "SPRING10: 'SPRING 10', 'spring-10'" in str(refused.value)
    assert "summer" not in str(refused.value)
    assert sorted(Coupon.objects.values_list("code", flat=True)) == [
        "SPRING 10", "spring-10", "summer"]


def test_the_migration_reversed_gives_the_codes_back_as_written():
    _stored("partner1-free")
    MIGRATION.normalise(apps, None)
    MIGRATION.restore(apps, None)
    assert Coupon.objects.get().code == "partner1-free"
