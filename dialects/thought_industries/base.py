"""Thought Industries' base view: bearer or session credentials, TI's envelope, page
pagination (the code lists use TI's cursors, `dialects.thought_industries.pagination`)."""

from rest_framework import authentication

from accounts.authentication import BearerAuthentication
from accounts.permissions import Authorised
from core.pagination import PagePagination
from dialects.common.base import DialectMixin
from dialects.thought_industries.errors import thought_industries_exception_handler


class ThoughtIndustriesView(DialectMixin):
    authentication_classes = [BearerAuthentication, authentication.SessionAuthentication]
    permission_classes = [Authorised]
    exception_handler = staticmethod(thought_industries_exception_handler)
    pagination_class = PagePagination
