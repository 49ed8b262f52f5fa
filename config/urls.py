"""URL wiring: the admin, OAuth2, the schema, the native API and every dialect.

This is the only module that imports dialect modules; each app adds its own routes here.
"""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from accounts import views as accounts_views
from accounts.api import v1 as accounts_v1
from catalog import views as catalog_views
from catalog.api import v1 as catalog_v1


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

v1_extra = [
    path("access", catalog_v1.AccessView.as_view(), name="access"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("oauth/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/v1/", include(v1_extra + v1.urls)),
    # Learner web (templates/): landing, account pages, what I hold.
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("accounts/login/", accounts_views.LearnerLoginView.as_view(), name="login"),
    path("accounts/logout/", accounts_views.LearnerLogoutView.as_view(), name="logout"),
    path("accounts/register/", accounts_views.RegisterView.as_view(), name="register"),
    path("account/access/", catalog_views.MyAccessView.as_view(), name="my-access"),
]

handler404 = "core.views.page_not_found"
handler500 = "core.views.server_error"
handler400 = "core.views.bad_request"
