"""`core.negotiation.ContentNegotiation` picks what DRF's own negotiation picks."""

import pytest
from django.http import Http404
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.test import APIRequestFactory

from core.negotiation import ContentNegotiation
from dialects.common.csv import CSVRenderer

ACCEPTS = [None, "*/*", "application/json", "text/html", "text/csv", "application/xml",
           "application/json; indent=4", "*/*;q=0.8", "text/html,application/json;q=0.9",
           "application/*", "", "application/json, */*"]
RENDERERS = [[JSONRenderer, BrowsableAPIRenderer], [JSONRenderer, CSVRenderer],
             [BrowsableAPIRenderer, JSONRenderer], [CSVRenderer]]


def choice(negotiation, accept, renderers, query=""):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    request = Request(APIRequestFactory().get(f"/x{query}", **headers))
    try:
        renderer, media_type = negotiation.select_renderer(request, [r() for r in renderers])
    except NotAcceptable:
        return "406"
    except Http404:  # ?format= naming no renderer of the view
        return "404"
    return type(renderer), media_type


@pytest.mark.parametrize("query", ["", "?format=json", "?format=api"])
@pytest.mark.parametrize("renderers", RENDERERS)
@pytest.mark.parametrize("accept", ACCEPTS)
def test_the_renderer_and_media_type_are_drfs_own(accept, renderers, query):
    assert choice(ContentNegotiation(), accept, renderers, query) == \
        choice(DefaultContentNegotiation(), accept, renderers, query)


def test_it_is_the_apis_negotiation():
    assert api_settings.DEFAULT_CONTENT_NEGOTIATION_CLASS is ContentNegotiation
