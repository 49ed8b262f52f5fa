"""`Cache-Control: no-store` on every API answer: they carry learners' data, codes and
credentials, which no browser or shared cache should keep. Which paths are API paths is a
setting (`API_PATH_PREFIXES`: every dialect's, the native API's and OAuth's)."""

from __future__ import annotations

from django.conf import settings
from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.prefixes = tuple(settings.API_PATH_PREFIXES)

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.prefixes):
            patch_cache_control(response, no_store=True)
        return response
