"""What every dialect's base view shares: the dialect picks its own exception handler.

Each dialect's `base.py` subclasses `DialectMixin` with its credentials, envelope and
pagination; its views stay thin (parse, call a service, render).
"""


class DialectMixin:
    """Picks the dialect's exception handler (DRF asks the view for it); a view that names
    none falls back to the project's default (`REST_FRAMEWORK["EXCEPTION_HANDLER"]`)."""

    exception_handler = None

    def get_exception_handler(self):
        return self.exception_handler or super().get_exception_handler()
