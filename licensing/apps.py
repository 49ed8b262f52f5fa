from django.apps import AppConfig


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = "Licensing"

    def ready(self) -> None:
        from accounts.panels import register_learner_panels
        from catalog.access import register_provider
        from catalog.sections import register_access_sections
        from core.dashboard import register_dashboard
        from licensing.access import SeatAccessProvider
        from licensing.dashboard import PANELS as DASHBOARD
        from licensing.panels import ACCESS_SECTIONS, PANELS

        register_provider(SeatAccessProvider())
        register_learner_panels(*PANELS)  # the learner's admin page shows their seats
        register_access_sections(*ACCESS_SECTIONS)  # and so does their My access page
        register_dashboard(*DASHBOARD)  # its panels on the staff dashboard
