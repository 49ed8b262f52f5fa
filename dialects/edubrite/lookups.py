"""The objects EduBrite's parameters name (coupons by id or code, items, usages), each
unknown one a 404 in EduBrite's words; and the back-office check."""

from __future__ import annotations

from accounts.permissions import is_api_client, is_staff_user
from catalog.errors import ItemNotFound
from catalog.models import CatalogItem
from core.errors import NotAllowed
from core.filters import is_uuid
from coupons.errors import CouponCodeUnknown, CouponNotFound, UsageNotFound
from coupons.models import Coupon, CouponUsage
from dialects.edubrite.errors import NOT_ALLOWED


def coupon_by_id(ref: str) -> Coupon:
    coupon = Coupon.objects.filter(pk=ref).first() if is_uuid(ref) else None
    if coupon is None:
        coupon = Coupon.objects.by_code(ref).first()
    if coupon is None:
        raise CouponNotFound(message=f"No coupon has the id {ref!r}.")
    return coupon


def coupon_by_code(code: str) -> Coupon:
    coupon = Coupon.objects.by_code(code).first()
    if coupon is None:
        raise CouponCodeUnknown()
    return coupon


def catalog_item(ref: str, kinds: tuple[str, ...], param: str) -> CatalogItem:
    matches = [i for i in CatalogItem.objects.by_id_or_external(None, ref).filter(kind__in=kinds)]
    if len(matches) != 1:
        names = " or ".join(k.replace("_", " ") for k in kinds)
        raise ItemNotFound(message=f"No {names} has the id {ref!r}.", field=param)
    return matches[0]


def usage_by_id(ref: str) -> CouponUsage:
    usage = (CouponUsage.objects.select_related("user").filter(pk=ref).first()
             if is_uuid(ref) else None)
    if usage is None:
        raise UsageNotFound(message=f"No coupon usage has the id {ref!r}.")
    return usage


def back_office(request) -> None:
    if not (is_api_client(request.user) or is_staff_user(request.user)):
        raise NotAllowed(message=NOT_ALLOWED)
