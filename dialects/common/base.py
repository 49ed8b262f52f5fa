"""What every dialect's base view shares: the dialect picks its own exception handler.

Each dialect's `base.py` subclasses `DialectMixin` with its credentials, envelope and
pagination; its views stay thin (parse, call a service, render).
"""

from core.parsers import check_request


class DialectMixin:
    """Picks the dialect's exception handler (DRF asks the view for it; a view that names
    none falls back to the project's default, `REST_FRAMEWORK["EXCEPTION_HANDLER"]`), and
    refuses unreadable input before content negotiation, credentials or throttles
    (`core.parsers`)."""

    exception_handler = None

    def get_exception_handler(self):
        return self.exception_handler or super().get_exception_handler()

    def initial(self, request, *args, **kwargs):
        self.format_kwarg = self.get_format_suffix(**kwargs)  # a refusal's renderer needs it
        check_request(request, kwargs)
        super().initial(request, *args, **kwargs)
