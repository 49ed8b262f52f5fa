from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = "Licensing"

    def ready(self) -> None:
        from catalog.access import register_provider
        from licensing.access import SeatAccessProvider

        register_provider(SeatAccessProvider())
