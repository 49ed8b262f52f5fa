from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import schema  # noqa: F401  (registers the OpenAPI auth extensions)
        from accounts.dashboard import PANELS
        from core.dashboard import register_dashboard

        register_dashboard(*PANELS)  # the staff dashboard's lines of this app
