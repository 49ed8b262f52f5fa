from django.apps import AppConfig


class RedemptionsConfig(AppConfig):
    name = "redemptions"
    verbose_name = "Redemption codes"
