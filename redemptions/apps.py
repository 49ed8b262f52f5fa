from django.apps import AppConfig


class RedemptionsConfig(AppConfig):
    name = "redemptions"
    verbose_name = "Redemption codes"

    def ready(self) -> None:
        from accounts.panels import register_learner_panels
        from core.dashboard import register_dashboard
        from redemptions.dashboard import PANELS as DASHBOARD
        from redemptions.panels import PANELS

        register_learner_panels(*PANELS)  # what a learner's admin page shows of this app
        register_dashboard(*DASHBOARD)  # its panels on the staff dashboard
