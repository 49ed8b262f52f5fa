"""Error reports (500 emails to ADMINS, the debug page) that show no credential and no code.

Django's `SafeExceptionReporterFilter` hides settings and headers whose names look secret and
POST fields a view marks sensitive, but shows the query string (`?api_key=…`, `?authCode=…`,
`?access_token=…`) in the request URL, in `GET` and in `QUERY_STRING`, and every local
variable of every frame. Here the rule of the access log (`core.logs.SENSITIVE_NAME`) applies
to all of them: query parameters, POST fields, request headers and local variables whose
names look secret are masked, and a request shown anywhere shows its masked path.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from core.logs import MASK, SENSITIVE_NAME, masked_full_path, masked_query

# META entries that hold a URL with its query string: the raw request line (gunicorn's
# RAW_URI, uWSGI's REQUEST_URI) or a previous page's.
_URL_META = ("RAW_URI", "REQUEST_URI", "HTTP_REFERER")


def _masked_multivaluedict(values: MultiValueDict) -> MultiValueDict:
    cleansed = values.copy()
    for name in cleansed:
        if SENSITIVE_NAME.search(name):
            cleansed.setlist(name, [MASK])
    return cleansed


class MaskingExceptionReporterFilter(SafeExceptionReporterFilter):
    cleansed_substitute = MASK

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        if isinstance(meta.get("QUERY_STRING"), str):
            meta["QUERY_STRING"] = masked_query(meta["QUERY_STRING"])
        for name in _URL_META:
            if isinstance(meta.get(name), str):
                meta[name] = _masked_url(meta[name])
        return meta

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return _masked_multivaluedict(super().get_post_parameters(request))

    def cleanse_special_types(self, request, value):
        try:
            if isinstance(value, HttpRequest):
                return f"<{type(value).__name__}: {value.method} {masked_full_path(value)!r}>"
            if isinstance(value, MultiValueDict):
                return _masked_multivaluedict(value)
        except Exception as exc:
            return f"{exc!r} while evaluating a value"
        return value

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, MASK if SENSITIVE_NAME.search(name) else value)
                for name, value in super().get_traceback_frame_variables(request, tb_frame)]


def _masked_url(url: str) -> str:
    path, mark, query = url.partition("?")
    return path + mark + masked_query(query) if mark else url


class MaskingExceptionReporter(ExceptionReporter):
    """The report's request URL and GET section with the query string masked."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        if self.request is not None:
            data["request_GET_items"] = _masked_multivaluedict(self.request.GET).items()
            host = self.request._get_raw_host()
            data["request_insecure_uri"] = (
                f"{self.request.scheme}://{host}{masked_full_path(self.request)}")
        return data
