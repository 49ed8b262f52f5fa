"""Reads of coupons shared by the APIs and the admin: what a coupon serves, which site is ours.

What a coupon serves (API.md, EduBrite's manual):

- SITE: every active paid item (`price_cents > 0`) not `excluded_from_site_coupons`.
- GROUP: what the group offers: the items listed for it as `GroupOffering`s (staff keep them in
  the admin or `/api/v1/group-offerings`), and what those items include (a program session the
  group offers brings its course sessions, as access to a container does).
- PROGRAM_SESSION: that program session and the course sessions it includes (through
  `includes`, transitively).
- COURSE_SESSION / EVENT: that item only.

Inactive items are served by no coupon.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Count, ExpressionWrapper, F, FloatField, Q, QuerySet
from django.db.models.functions import Cast, NullIf

from catalog.access import covering_items_sql, descendant_ids
from catalog.models import CatalogItem, ItemKind
from coupons.models import HOLDING, Coupon, CouponUsage, EntityType, GroupOffering, UsageStatus


def served_items(coupon: Coupon) -> QuerySet[CatalogItem]:
    """Every item this coupon can be used for (see the module docstring)."""
    items = CatalogItem.objects.active()
    if coupon.entity_type == EntityType.SITE:
        return items.filter(price_cents__gt=0, excluded_from_site_coupons=False)
    if coupon.entity_type == EntityType.GROUP:
        offered = GroupOffering.objects.filter(group_id=coupon.group_id)
        return items.filter(pk__in=descendant_ids(offered.values_list("item_id", flat=True)))
    if coupon.entity_type == EntityType.PROGRAM_SESSION:
        return items.filter(Q(pk=coupon.item_id) | Q(
            kind=ItemKind.COURSE_SESSION, pk__in=descendant_ids([coupon.item_id])))
    return items.filter(pk=coupon.item_id)


def serves(coupon: Coupon, item: CatalogItem) -> bool:
    """Whether the coupon can be used for `item` (one query, none for SITE)."""
    if not item.is_active:
        return False
    if coupon.entity_type == EntityType.SITE:
        return item.price_cents > 0 and not item.excluded_from_site_coupons
    if coupon.entity_type == EntityType.GROUP:
        return GroupOffering.objects.filter(
            group_id=coupon.group_id, item_id__in=covering_items_sql(item.pk)).exists()
    if coupon.entity_type == EntityType.PROGRAM_SESSION:
        if item.pk == coupon.item_id:
            return True
        return item.kind == ItemKind.COURSE_SESSION and CatalogItem.objects.filter(
            pk=coupon.item_id).filter(pk__in=covering_items_sql(item.pk)).exists()
    return item.pk == coupon.item_id


def site_names(request_host: str | None = None) -> set[str]:
    """What names our site for a SITE coupon's `entityId`: its id, slug, URL, host."""
    names = {settings.SITE_ID_TEXT, settings.SITE_SLUG, settings.SITE_URL}
    host = urlsplit(settings.SITE_URL).netloc
    names |= {host, host.split(":")[0]}
    if request_host:
        names |= {request_host, request_host.split(":")[0]}
    return {n.strip().rstrip("/").lower() for n in names if n and n.strip()}


def is_our_site(ref: str, *, request_host: str | None = None) -> bool:
    """`ref` is our site's id, slug, URL (any scheme, trailing slash) or host name."""
    text = str(ref).strip().rstrip("/").lower()
    if "://" in text:
        text_host = urlsplit(text).netloc
        return text in site_names(request_host) or text_host in site_names(request_host)
    return text in site_names(request_host)


# --- the staff dashboard ---------------------------------------------------------------------

def coupons_by_use(limit: int = 10) -> list[Coupon]:
    """The `limit` active coupons with a use limit closest to it, fullest first; each
    annotated with `uses` (pending and approved usages). One grouped query."""
    uses = Count("usages", filter=Q(usages__status__in=HOLDING))
    share = ExpressionWrapper(Cast(uses, FloatField()) / NullIf(F("value_count"), 0),
                              output_field=FloatField())
    return list(Coupon.objects.active().filter(value_count__isnull=False)
                .annotate(uses=uses, share=share)
                .order_by(F("share").desc(nulls_first=True), "-uses", "code")[:limit])


def pending_usages_count() -> int:
    """Usages waiting for approval (one count on the status)."""
    return CouponUsage.objects.filter(status=UsageStatus.PENDING).count()


def coupons_expiring(since: dt.datetime, until: dt.datetime) -> QuerySet[Coupon]:
    """Active coupons whose last day falls in the window, soonest first."""
    return Coupon.objects.active().filter(exp_date__gte=since, exp_date__lte=until)\
        .order_by("exp_date", "code")
