from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import schema  # noqa: F401  (registers the OpenAPI auth extensions)
        from accounts.dashboard import PANELS
        from accounts.panels import LearnerPanel, redeem_throttle_panel, register_learner_panels
        from core.dashboard import register_dashboard

        register_learner_panels(LearnerPanel(key="accounts.redeem_throttle", order=60,
                                             render=redeem_throttle_panel))
        register_dashboard(*PANELS)  # the staff dashboard's lines of this app
