"""URL wiring: the admin, OAuth2, the schema, the native API and every dialect.

This is the only module that imports dialect modules (settings name two by dotted path); it
also says which dialect's envelope answers which path prefix on 400, 404 and 500 pages.
"""

from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from oauth2_provider import urls as oauth2_urls
from rest_framework.routers import SimpleRouter

from accounts import views as accounts_views
from catalog import views as catalog_views
from core.health import healthz, readyz
from core.metrics import metrics_view
from core.views import error_handlers
from dialects.edubrite import views as edubrite
from dialects.edubrite.errors import render_edubrite
from dialects.native import accounts as accounts_v1
from dialects.native import catalog as catalog_v1
from dialects.native import coupons as coupons_v1
from dialects.native import events as events_v1
from dialects.native import jobs as jobs_v1
from dialects.native import licensing as licensing_v1
from dialects.native import redemptions as redemptions_v1
from dialects.native.errors import render_native
from dialects.thought_industries import codes as redemptions_ti
from dialects.thought_industries import events as events_ti
from dialects.thought_industries import licenses as licensing_ti
from dialects.thought_industries.errors import render_thought_industries
from dialects.tizra import views as redemptions_tizra
from dialects.tizra.errors import render_tizra
from dialects.zype import codes as redemptions_zype
from dialects.zype.errors import render_zype
from redemptions import views as redemptions_views


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
v1.register("offers", redemptions_v1.OfferViewSet, basename="offer")
v1.register("code-groups", redemptions_v1.CodeGroupViewSet, basename="code-group")
v1.register("codes", redemptions_v1.CodeViewSet, basename="code")
v1.register("redemptions", redemptions_v1.RedemptionViewSet, basename="redemption")
v1.register("webhook-endpoints", events_v1.WebhookEndpointViewSet, basename="webhook-endpoint")

v1_extra = [
    path("access", catalog_v1.AccessView.as_view(), name="access"),
    re_path(r"^events/?$", events_v1.EventListView.as_view(), name="events"),
    re_path(r"^jobs/(?P<pk>[^/]+)/?$", jobs_v1.JobView.as_view(), name="job"),
    re_path(r"^jobs/(?P<pk>[^/]+)/cancel/?$", jobs_v1.JobCancelView.as_view(),
            name="job-cancel"),
    re_path(r"^exports/?$", jobs_v1.ExportView.as_view(), name="exports"),
    re_path(r"^exports/(?P<pk>[^/]+)/file/?$", jobs_v1.ExportFileView.as_view(),
            name="export-file"),
    re_path(r"^redeem/?$", redemptions_v1.RedeemView.as_view(), name="api-redeem"),
    re_path(r"^redeem/check/?$", redemptions_v1.RedeemCheckView.as_view(),
            name="api-redeem-check"),
]

thought_industries = [
    re_path(r"^redemptionCodes/?$", redemptions_ti.RedemptionCodeGroupListView.as_view(),
            name="ti-redemption-code-groups"),
    re_path(r"^redemptionCodes/(?P<pk>[^/]+)/?$",
            redemptions_ti.RedemptionCodeGroupDetailView.as_view(),
            name="ti-redemption-code-group"),
    re_path(r"^events/redemptionCodeRedeem/?$",
            events_ti.RedemptionCodeRedeemEventsView.as_view(), name="ti-events-redeem"),
    re_path(r"^redemptionCodes/(?P<pk>[^/]+)/codes/?$",
            redemptions_ti.RedemptionCodeGroupCodesView.as_view(),
            name="ti-redemption-code-group-codes"),
]

zype = [  # the seed's path forms too (`/redemption_codes/redemption_code`, …)
    re_path(r"^redemption_codes/?$", redemptions_zype.RedemptionCodeListView.as_view(),
            name="zype-redemption-codes"),
    re_path(r"^redemption_codes/redemption_code/?$",
            redemptions_zype.RedemptionCodeCreateAliasView.as_view()),
    re_path(r"^redemption_codes/bulk_create/?$",
            redemptions_zype.RedemptionCodeBulkCreateView.as_view(),
            name="zype-redemption-codes-bulk-create"),
    re_path(r"^redemption_codes/bulk_create/redemption_codes/?$",
            redemptions_zype.RedemptionCodeBulkCreateAliasView.as_view()),
    re_path(r"^redemption_codes/redeem/?$", redemptions_zype.RedeemView.as_view(),
            name="zype-redemption-codes-redeem"),
    re_path(r"^redemption_codes/(?P<pk>[^/]+)/?$",
            redemptions_zype.RedemptionCodeDetailView.as_view(), name="zype-redemption-code"),
]

edubrite_paths = [
    path("couponService.do", edubrite.CouponServiceView.as_view(),
         name="edubrite-coupon-service"),
    path("eventService.do", edubrite.EventServiceView.as_view(), name="edubrite-event-service"),
    path("connect.do", edubrite.ConnectView.as_view(), name="edubrite-connect"),
    path("home.do", edubrite.ConnectView.as_view(), name="edubrite-home"),
    re_path(r"^(?P<service>[^/]+\.do)$", edubrite.UnknownServiceView.as_view()),
]


def tizra_routes(site: str, suffix: str) -> list:
    """Tizra's admin-api under `<prefix>redemptions` (the site named, or left out)."""
    return [
        re_path(rf"^{site}redemptions/?$", redemptions_tizra.BatchListView.as_view(),
                name=f"tizra-batches{suffix}"),
        re_path(rf"^{site}redemptions/(?P<batch>[^/]+)/?$",
                redemptions_tizra.BatchView.as_view(), name=f"tizra-batch{suffix}"),
        re_path(rf"^{site}redemptions/(?P<batch>[^/]+)/(?P<access_code>[^/]+)/?$",
                redemptions_tizra.BatchCodeView.as_view(), name=f"tizra-batch-code{suffix}"),
    ]


tizra = tizra_routes("", "") + tizra_routes(r"(?P<site>[^/]+)/", "-site")

urlpatterns = [
    # Probes and the Prometheus scraper (README, "Health, metrics and logs").
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    # Only the OAuth2 endpoints, not django-oauth-toolkit's public application management
    # views: staff holding the permission register applications in the admin.
    path("oauth/", include((oauth2_urls.base_urlpatterns, "oauth2_provider"),
                           namespace="oauth2_provider")),
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
    path("incoming/v2/", include(thought_industries)),
    # Learner web (templates/): landing, account pages, what I hold.
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("accounts/login/", accounts_views.LearnerLoginView.as_view(), name="login"),
    path("accounts/logout/", accounts_views.LearnerLogoutView.as_view(), name="logout"),
    path("accounts/register/", accounts_views.RegisterView.as_view(), name="register"),
    path("accounts/register/sent/", accounts_views.RegisterSentView.as_view(),
         name="register_sent"),
    path("accounts/register/confirm/<str:token>/", accounts_views.RegisterConfirmView.as_view(),
         name="register_confirm"),
    path("accounts/password/reset/", accounts_views.PasswordResetView.as_view(),
         name="password_reset"),
    path("accounts/password/reset/sent/", accounts_views.PasswordResetDoneView.as_view(),
         name="password_reset_done"),
    path("accounts/password/reset/<uidb64>/<token>/",
         accounts_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("accounts/password/reset/done/", accounts_views.PasswordResetCompleteView.as_view(),
         name="password_reset_complete"),
    path("account/password/", accounts_views.PasswordChangeView.as_view(),
         name="password_change"),
    path("account/access/", catalog_views.MyAccessView.as_view(), name="my-access"),
    path("admin-api/", include(tizra)),
    path("redeem/", redemptions_views.RedeemPageView.as_view(), name="redeem"),
    path("redeem/<slug:site>", redemptions_views.RedeemPageView.as_view(), name="redeem-site"),
    path("", include(zype)),
]

# Which envelope a request outside DRF (an unmatched URL, a crash) is answered in, by path:
# the first prefix that matches wins.
ENVELOPES_BY_PREFIX = [
    ("/couponService.do", render_edubrite),
    ("/eventService.do", render_edubrite),
    ("/oltpublish/", render_edubrite),
    ("/api/", render_native),
    ("/incoming/", render_thought_industries),
    ("/redemption_codes", render_zype),
    ("/admin-api/", render_tizra),
]
handler400, handler403, handler404, handler500 = error_handlers(ENVELOPES_BY_PREFIX)
