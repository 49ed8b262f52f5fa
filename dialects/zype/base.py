"""Zype's base views: its `api_key` (or a learner's `access_token`), Zype's envelope and
`{"response", "pagination"}` pages of ten."""

from rest_framework import authentication
from rest_framework.response import Response

from accounts.authentication import (
    AccessTokenParameterAuthentication,
    BearerAuthentication,
    ZypeApiKeyAuthentication,
)
from accounts.permissions import Authorised
from core.pagination import PagePagination
from dialects.common.base import DialectMixin
from dialects.zype.errors import zype_exception_handler
from redemptions.models import Code


class ZypePagination(PagePagination):
    default_per_page = 10

    def get_paginated_response(self, data):
        return Response({"response": data, "pagination": self.pagination_info()})

    def get_paginated_response_schema(self, schema):
        return {"type": "object", "properties": {
            "response": schema, "pagination": self.pagination_schema(with_count=False)}}


class ZypeView(DialectMixin):
    permission_model = Code
    authentication_classes = [ZypeApiKeyAuthentication, BearerAuthentication,
                              authentication.SessionAuthentication]
    permission_classes = [Authorised]
    exception_handler = staticmethod(zype_exception_handler)
    pagination_class = ZypePagination


class ZypeLearnerView(ZypeView):
    """Zype's consumer endpoints: the learner's `access_token` parameter comes first."""

    authentication_classes = [AccessTokenParameterAuthentication, BearerAuthentication,
                              authentication.SessionAuthentication]
