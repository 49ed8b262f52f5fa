"""Query filters that more than one dialect offers."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from redemptions.codes import normalize_code


@extend_schema_field(OpenApiTypes.STR)
class CodeTextFilter(django_filters.CharFilter):
    """`code=`: the code as anyone may type it (any case, dashes and spaces ignored)."""

    def __init__(self, *args, path: str = "code", **kwargs):
        self.path = path
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        return qs.filter(**{self.path: normalize_code(value)}) if value else qs
