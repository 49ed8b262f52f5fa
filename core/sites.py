"""Entitle's admin site: Django's, with the plumbing of the integrations in one section.

The OAuth provider's tables (applications, tokens, grants) and the models an app marks with
`admin_section = INTEGRATIONS` on its `ModelAdmin` (EduBrite's API sessions) are listed on
the admin home and in the sidebar under one "Integrations" heading instead of among the
business's apps. As for every app, only the models this staff user has a permission on are
listed, and the heading only when there is one.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import reverse

INTEGRATIONS = "Integrations"
SECTION_OF_APP = {"oauth2_provider": INTEGRATIONS}  # libraries' apps, whole


class EntitleAdminSite(admin.AdminSite):
    def section_of(self, model: type) -> str | None:
        model_admin = self._registry.get(model)
        return (getattr(model_admin, "admin_section", None)
                or SECTION_OF_APP.get(model._meta.app_label))

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        if app_label is not None:  # an app's own page lists its models, wherever they sit
            return app_list
        sections: dict[str, list[dict]] = {}
        for app in app_list:
            kept = []
            for model in app["models"]:
                section = self.section_of(model["model"])
                (sections.setdefault(section, []) if section else kept).append(model)
            app["models"] = kept
        app_list = [app for app in app_list if app["models"]]
        for name, models in sorted(sections.items()):
            app_list.append({
                "name": name, "app_label": name.lower(), "models": sorted(
                    models, key=lambda m: m["name"]),
                "app_url": reverse("admin:index") + f"#{name.lower()}",
                "has_module_perms": True,
            })
        return app_list


class EntitleAdminConfig(AdminConfig):
    """Django's admin app with this site as `admin.site` (INSTALLED_APPS names it)."""

    default_site = "core.sites.EntitleAdminSite"
