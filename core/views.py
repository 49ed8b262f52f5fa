"""Error pages that answer API paths in their dialect's envelope and the rest as HTML, in the
site's own style (`templates/400.html`, `403.html`, `404.html`, `500.html`; Django's debug
pages appear only with DEBUG on).

`config/urls.py` builds them with its table of path prefixes and envelopes, so core names no
dialect.
"""

from django.views import defaults

from core.envelopes import Renderer, json_problem_response


def error_handlers(renderers: list[tuple[str, Renderer]]):
    """The URLconf's 400, 403, 404 and 500 views: a path in `renderers` answers in that
    envelope."""

    def bad_request(request, exception=None):
        response = json_problem_response(renderers, request.path, 400, "bad_request",
                                         "Bad request.")
        return response or defaults.bad_request(request, exception)

    def permission_denied(request, exception=None):
        response = json_problem_response(
            renderers, request.path, 403, "permission_denied",
            "You do not have permission to perform this action.")
        return response or defaults.permission_denied(request, exception)

    def page_not_found(request, exception=None):
        response = json_problem_response(renderers, request.path, 404, "not_found",
                                         "Not found.")
        return response or defaults.page_not_found(request, exception)

    def server_error(request):
        response = json_problem_response(
            renderers, request.path, 500, "server_error",
            "Something went wrong on our side; it has been logged.")
        return response or defaults.server_error(request)

    return bad_request, permission_denied, page_not_found, server_error
