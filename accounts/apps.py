from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import schema  # noqa: F401  (registers the OpenAPI auth extensions)
        from accounts.panels import LearnerPanel, redeem_throttle_panel, register_learner_panels

        register_learner_panels(LearnerPanel(key="accounts.redeem_throttle", order=60,
                                             render=redeem_throttle_panel))
