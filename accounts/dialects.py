"""Base views for each API dialect: its credentials, its error envelope, its pagination.

A dialect module subclasses one of these and stays thin (parse, call a service, render).
"""

from rest_framework import authentication
from rest_framework.views import APIView

from accounts.authentication import (
    AccessTokenParameterAuthentication,
    AuthCodeAuthentication,
    BearerAuthentication,
    StaffBasicAuthentication,
    ZypeApiKeyAuthentication,
)
from accounts.permissions import IsApiClientOrStaff
from core import envelopes
from core.pagination import NativePagination, PagePagination, ZypePagination
from core.parsers import check_request


class DialectMixin:
    """Picks the dialect's exception handler (DRF asks the view for it), and refuses unreadable
    input before content negotiation, credentials or throttles (`core.parsers`)."""

    exception_handler = staticmethod(envelopes.native_exception_handler)

    def get_exception_handler(self):
        return self.exception_handler

    def initial(self, request, *args, **kwargs):
        self.format_kwarg = self.get_format_suffix(**kwargs)  # a refusal's renderer needs it
        check_request(request, kwargs)
        super().initial(request, *args, **kwargs)


class NativeView(DialectMixin):
    authentication_classes = [BearerAuthentication, authentication.SessionAuthentication]
    permission_classes = [IsApiClientOrStaff]
    pagination_class = NativePagination


class ThoughtIndustriesView(DialectMixin):
    authentication_classes = [BearerAuthentication, authentication.SessionAuthentication]
    permission_classes = [IsApiClientOrStaff]
    exception_handler = staticmethod(envelopes.thought_industries_exception_handler)
    pagination_class = PagePagination


class ZypeView(DialectMixin):
    authentication_classes = [ZypeApiKeyAuthentication, BearerAuthentication,
                              authentication.SessionAuthentication]
    permission_classes = [IsApiClientOrStaff]
    exception_handler = staticmethod(envelopes.zype_exception_handler)
    pagination_class = ZypePagination


class ZypeLearnerView(ZypeView):
    """Zype's consumer endpoints: the learner's `access_token` parameter comes first."""

    authentication_classes = [AccessTokenParameterAuthentication, BearerAuthentication,
                              authentication.SessionAuthentication]


class TizraView(DialectMixin):
    authentication_classes = [BearerAuthentication, StaffBasicAuthentication,
                              authentication.SessionAuthentication]
    permission_classes = [IsApiClientOrStaff]
    exception_handler = staticmethod(envelopes.tizra_exception_handler)
    pagination_class = PagePagination


class EduBriteView(DialectMixin):
    """EduBrite's `authCode`; the connect.do session handshake is added by the coupons app."""

    authentication_classes = [AuthCodeAuthentication, authentication.SessionAuthentication]
    permission_classes = [IsApiClientOrStaff]


class NativeAPIView(NativeView, APIView):
    pass
