"""A URLconf with the redeem page wired to a stand-in redeem service, for the page's tests.

The real `redemptions.services.redeem` is built in another issue; this stand-in keeps its
contract (`redeem(code_text, user, *, ip=None)`, a `DomainError` on refusal): a code is the
`external_id` of a catalog item, in any case, dashes and spaces ignored, and grants that item
for 30 days, once per learner.
"""

import datetime as dt

from django.urls import path
from django.utils import timezone

from catalog.models import CatalogItem, Entitlement, EntitlementSource
from catalog.redeem_page import RedeemPageView
from catalog.services import grant_entitlement
from config.urls import urlpatterns as site_urlpatterns
from core.errors import NotFound, RuleRefused

redeem_calls: list[tuple[str, object, object]] = []


def stand_in_redeem(code_text, user, *, ip=None):
    redeem_calls.append((code_text, user, ip))
    code = "".join(code_text.split()).replace("-", "").upper()
    item = CatalogItem.objects.filter(external_id=code).first() if code else None
    if item is None:
        raise NotFound("unknown_code", "There is no such code. Check it and try again.")
    if Entitlement.objects.filter(user=user, source_ref=code).exists():
        raise RuleRefused("already_redeemed", "You have already redeemed this code.")
    return grant_entitlement(user=user, item=item, source=EntitlementSource.REDEMPTION,
                             source_ref=code, expires_at=timezone.now() + dt.timedelta(days=30))


redeem_page = RedeemPageView.as_view(redeem=stand_in_redeem)

urlpatterns = [
    path("redeem/", redeem_page, name="redeem"),
    path("redeem/<slug:site>", redeem_page, name="redeem-site"),
    *site_urlpatterns,
]
