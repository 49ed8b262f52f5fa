from django.apps import AppConfig


class CouponsConfig(AppConfig):
    name = "coupons"
    verbose_name = "Coupons"

    def ready(self) -> None:
        from accounts.code_kinds import register_code_kinds
        from accounts.panels import register_learner_panels
        from core.dashboard import register_dashboard
        from coupons.code_kinds import CODE_KINDS
        from coupons.dashboard import PANELS as DASHBOARD
        from coupons.panels import PANELS

        register_learner_panels(*PANELS)  # what a learner's admin page shows of this app
        register_code_kinds(*CODE_KINDS)  # a coupon typed on the redeem page
        register_dashboard(*DASHBOARD)  # its panels on the staff dashboard
