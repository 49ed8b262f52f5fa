"""The native API's base views (`/api/v1/`): bearer or session credentials, the native
envelope and `{"results", "pagination"}` pages."""

from rest_framework import authentication
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import BearerAuthentication
from accounts.permissions import Authorised
from core.pagination import PagePagination
from dialects.common.base import DialectMixin
from dialects.native.errors import native_exception_handler


class NativePagination(PagePagination):
    def get_paginated_response(self, data):
        return Response({"results": data,
                         "pagination": {**self.pagination_info(), "count": self.count}})

    def get_paginated_response_schema(self, schema):
        return {"type": "object", "properties": {
            "results": schema, "pagination": self.pagination_schema(with_count=True)}}


class NativeView(DialectMixin):
    authentication_classes = [BearerAuthentication, authentication.SessionAuthentication]
    permission_classes = [Authorised]
    exception_handler = staticmethod(native_exception_handler)
    pagination_class = NativePagination


class NativeAPIView(NativeView, APIView):
    pass
