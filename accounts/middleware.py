"""Answers a throttled password check raised outside DRF (the admin login, the OAuth token
endpoint): 429 with `Retry-After`, as the dialects' tables do inside DRF."""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse

from accounts.errors import TooManyAttempts


class TooManyAttemptsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, TooManyAttempts):
            return None
        if request.path.startswith("/oauth/"):
            # RFC 6749's error body; the token endpoint's clients read `error`.
            response = JsonResponse({"error": "slow_down",
                                     "error_description": exception.message}, status=429)
        else:
            response = HttpResponse(exception.message, status=429,
                                    content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(exception.retry_after)
        return response
