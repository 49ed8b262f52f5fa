"""DRF's content negotiation, with the answer to the usual request found without parsing.

Almost every API call asks for anything (`Accept: */*`, or no header) or for JSON by name,
and gets the view's first renderer: DRF parses the header and every renderer's media type
to say so, on every request (about 2 % of a redemption's CPU). Any other request is
negotiated by DRF as before; `tests/core/test_negotiation.py` compares the two."""

from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        accept = request.META.get("HTTP_ACCEPT", "*/*")
        if renderers and format_suffix is None \
                and self.settings.URL_FORMAT_OVERRIDE not in request.query_params:
            first = renderers[0]
            # what DRF answers to these: the first renderer, under its own media type
            if accept == "*/*" or accept == first.media_type:
                return first, first.media_type
        return super().select_renderer(request, renderers, format_suffix)
