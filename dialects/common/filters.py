"""Query filters that more than one dialect offers."""

import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from core.filters import KeywordFilter, is_uuid
from redemptions.codes import normalize_code
from redemptions.selectors import codes_matching


@extend_schema_field(OpenApiTypes.STR)
class CodeTextFilter(django_filters.CharFilter):
    """`code=`: the code as anyone may type it (any case, dashes and spaces ignored)."""

    def __init__(self, *args, path: str = "code", **kwargs):
        self.path = path
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        return qs.filter(**{self.path: normalize_code(value)}) if value else qs


@extend_schema_field(OpenApiTypes.STR)
class CodeKeywordFilter(KeywordFilter):
    """`q=` over codes (or what holds them): what is a code, typed any way, or the start of
    codes is looked up by the code's unique index first (`selectors.codes_matching`), and
    only a value that is neither goes to the keyword search over `text_fields`."""

    def __init__(self, *args, code_path: str = "pk", **kwargs):
        self.code_path = code_path
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        match = codes_matching(value) if value else None
        if match is not None and match.certain:
            return qs.filter(**{f"{self.code_path}__in": match.codes.values("pk")})
        return super().filter(qs, value)


@extend_schema_field(OpenApiTypes.STR)
class LearnerFilter(django_filters.CharFilter):
    """`user=`: a learner by id or email (API.md); a value that is neither is a 400."""

    def __init__(self, *args, path: str = "user", **kwargs):
        self.path = path
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        text = value.strip()
        if "@" in text:
            return qs.filter(**{f"{self.path}__email__iexact": text})
        if not is_uuid(text):
            raise ValidationError({self.field_name: ["Give a learner's id or email."]})
        return qs.filter(**{f"{self.path}_id": text})


class WholeNumberFilter(django_filters.NumberFilter):
    """A whole number within a bigint's range (an id), else a 400 naming the parameter."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 0)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)
