"""Tizra's base view: bearer, staff Basic or session credentials, Tizra's envelope, page
pagination."""

from rest_framework import authentication

from accounts.authentication import BearerAuthentication, StaffBasicAuthentication
from accounts.permissions import Authorised
from core.pagination import PagePagination
from dialects.common.base import DialectMixin
from dialects.tizra.errors import tizra_exception_handler


class TizraView(DialectMixin):
    authentication_classes = [BearerAuthentication, StaffBasicAuthentication,
                              authentication.SessionAuthentication]
    permission_classes = [Authorised]
    exception_handler = staticmethod(tizra_exception_handler)
    pagination_class = PagePagination
