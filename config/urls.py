"""URL wiring: the admin, OAuth2, the schema, the native API and every dialect.

This is the only module that imports dialect modules; each app adds its own routes here.
"""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from accounts.api import v1 as accounts_v1
from catalog.api import v1 as catalog_v1
from coupons.api import edubrite
from coupons.api import v1 as coupons_v1
from licensing.api import thought_industries as licensing_ti
from licensing.api import v1 as licensing_v1


class OptionalSlashRouter(SimpleRouter):
    """`/api/v1/codes` and `/api/v1/codes/` both answer (clients differ)."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


v1 = OptionalSlashRouter()
v1.register("catalog-items", catalog_v1.CatalogItemViewSet, basename="catalog-item")
v1.register("clients", catalog_v1.ClientViewSet, basename="client")
v1.register("entitlements", catalog_v1.EntitlementViewSet, basename="entitlement")
v1.register("learner-groups", accounts_v1.LearnerGroupViewSet, basename="learner-group")
v1.register("memberships", accounts_v1.MembershipViewSet, basename="membership")
v1.register("licenses", licensing_v1.LicenseViewSet, basename="license")
v1.register("seats", licensing_v1.SeatViewSet, basename="seat")
v1.register("coupons", coupons_v1.CouponViewSet, basename="coupon")
v1.register("coupon-usages", coupons_v1.CouponUsageViewSet, basename="coupon-usage")
v1.register("group-offerings", coupons_v1.GroupOfferingViewSet, basename="group-offering")

v1_extra = [
    path("access", catalog_v1.AccessView.as_view(), name="access"),
]

edubrite_paths = [
    path("couponService.do", edubrite.CouponServiceView.as_view(),
         name="edubrite-coupon-service"),
    path("eventService.do", edubrite.EventServiceView.as_view(), name="edubrite-event-service"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("oauth/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/v1/", include(v1_extra + v1.urls)),
    path("incoming/v2/licenses", licensing_ti.LicensesView.as_view(), name="ti-licenses"),
    path("incoming/v2/licenses/<uuid:pk>", licensing_ti.LicenseDetailView.as_view(),
         name="ti-license"),
    path("incoming/v2/clients/<uuid:pk>/licenses", licensing_ti.ClientLicensesView.as_view(),
         name="ti-client-licenses"),
    path("", include(edubrite_paths)),
    path("oltpublish/site/", include(edubrite_paths)),
    path("oltpublish/site/connect.do", edubrite.ConnectView.as_view(), name="edubrite-connect"),
]

handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
handler400 = "core.views.bad_request"
