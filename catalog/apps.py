from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = "Catalog and access"

    def ready(self) -> None:
        from accounts.panels import register_learner_panels
        from catalog.panels import PANELS

        register_learner_panels(*PANELS)  # what a learner's admin page shows of this app
