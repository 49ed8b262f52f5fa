"""Zype-style filters for every list endpoint, in every dialect (API.md).

A view declares what may be filtered with a `ZypeFilters` spec::

    zype_filters = ZypeFilters(
        equal={"code": "code", "video_id": "offer__items__id"},
        times={"created_at": "created_at", "redeemed_at": "last_redeemed_at"},
        text=["code", "group__label"],
    )

and gets `<field>=v`; `<time>`, `<time>.gt|.gte|.lt|.lte` with ISO 8601 or Unix timestamps;
`id=` / `id!=` (comma lists); `q=` keyword search over the text fields. The filter set is
built with django-filter, so the schema lists every parameter; an unparseable value is a 400
that names the parameter.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import django_filters
from django import forms
from django.db.models import BooleanField, Q, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import get_model_field
from rest_framework.exceptions import ValidationError

from core.time import parse_instant

RANGE_SUFFIXES = ("gt", "gte", "lt", "lte")


class InstantField(forms.Field):
    """ISO 8601 date or date-time, or a Unix timestamp, as an aware UTC datetime."""

    default_error_messages = {
        "invalid": "Enter an ISO 8601 time (2017-01-01T00:00:00-00:00 or 2017-01-01) "
                   "or a Unix timestamp (1483228800).",
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return parse_instant(value)
        except ValueError as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


class InstantFilter(django_filters.Filter):
    field_class = InstantField


class CommaListField(forms.Field):
    """A comma-separated list, each element checked by `element` (UUIDs by default)."""

    def __init__(self, *args, element=None, **kwargs):
        self.element = element or forms.UUIDField()
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        parts = [part.strip() for part in str(value).split(",") if part.strip()]
        if not parts:
            return None
        try:
            return [self.element.clean(part) for part in parts]
        except forms.ValidationError as exc:
            raise forms.ValidationError(
                f"Enter one id or a comma-separated list of ids; {exc.messages[0]}",
                code="invalid",
            ) from exc


class StrictBooleanField(forms.Field):
    """true/false/1/0 (any case); anything else is an error, not "no filter"."""

    TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no"}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Enter true or false.", code="invalid")


class StrictBooleanFilter(django_filters.Filter):
    field_class = StrictBooleanField


class IdListFilter(django_filters.Filter):
    field_class = CommaListField

    def filter(self, qs, value):
        if not value:
            return qs
        lookup = {f"{self.field_name}__in": value}
        return qs.exclude(**lookup) if self.exclude else qs.filter(**lookup)


class KeywordFilter(django_filters.CharFilter):
    """`q=`: every word must appear in at least one of the text fields (case-insensitive)."""

    def __init__(self, *args, text_fields=(), **kwargs):
        self.text_fields = list(text_fields)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value or not self.text_fields:
            return qs
        for word in value.split()[:10]:
            match = Q()
            for name in self.text_fields:
                match |= Q(**{f"{name}__icontains": word})
            qs = qs.filter(match)
        return qs


class InstantEqualFilter(InstantFilter):
    """`<time>=v`: the same instant, or any time that day when v is a bare date."""

    def filter(self, qs, value):
        if value is None:
            return qs
        raw = self.parent.data.get(self.field_name_param, "") if self.parent else ""
        if len(str(raw).strip()) == 10 and "-" in str(raw):
            return qs.filter(**{f"{self.field_name}__date": value.date()})
        return qs.filter(**{self.field_name: value})


@dataclass(frozen=True)
class ZypeFilters:
    """What a list endpoint may be filtered by (see the module docstring)."""

    equal: dict[str, str | django_filters.Filter] = field(default_factory=dict)
    times: dict[str, str] = field(default_factory=dict)
    text: list[str] = field(default_factory=list)
    id_field: str = "id"
    id_element: type[forms.Field] = forms.UUIDField

    def build(self, model) -> type[django_filters.FilterSet]:
        filters: dict[str, django_filters.Filter] = {
            "id": IdListFilter(field_name=self.id_field, element=self.id_element(),
                               help_text="One id or a comma-separated list."),
            "id!": IdListFilter(field_name=self.id_field, element=self.id_element(), exclude=True,
                                help_text="Exclude these ids (comma-separated)."),
        }
        for param, target in self.equal.items():
            filters[param] = (target if isinstance(target, django_filters.Filter)
                              else _equality_filter(model, target))
        for param, path in self.times.items():
            exact = InstantEqualFilter(field_name=path, help_text=f"{param}: ISO 8601 or Unix time")
            exact.field_name_param = param
            filters[param] = exact
            for suffix in RANGE_SUFFIXES:
                filters[f"{param}.{suffix}"] = InstantFilter(
                    field_name=path, lookup_expr=suffix,
                    help_text=f"{param} {suffix}: ISO 8601 or Unix time",
                )
        if self.text:
            filters["q"] = KeywordFilter(text_fields=self.text,
                                         help_text="Keyword search: " + ", ".join(self.text))
        meta = type("Meta", (), {"model": model, "fields": []})
        return type(f"{model.__name__}ZypeFilterSet", (django_filters.FilterSet,),
                    {**filters, "Meta": meta})


def _equality_filter(model, path: str) -> django_filters.Filter:
    """A filter typed by the model field at `path`, so `is_active=maybe` is a clean 400."""
    model_field = get_model_field(model, path)
    if model_field is None:
        raise ValueError(f"{model.__name__} has no field {path!r}")
    if model_field.is_relation:
        model_field = model_field.target_field
    if isinstance(model_field, BooleanField):
        return StrictBooleanFilter(field_name=path)
    return django_filters.FilterSet.filter_for_field(model_field, path, "exact")


class ZypeFilterBackend(DjangoFilterBackend):
    """Filters from the view's `zype_filters`; a bad value is a 400 naming the parameter."""

    def get_filterset_class(self, view, queryset=None):
        spec: ZypeFilters | None = getattr(view, "zype_filters", None)
        if spec is None:
            return super().get_filterset_class(view, queryset)
        cache = view.__class__.__dict__.get("_zype_filterset_cache")
        if cache is None:
            model = queryset.model if queryset is not None else view.get_queryset().model
            cache = spec.build(model)
            view.__class__._zype_filterset_cache = cache
        return cache

    def filter_queryset(self, request, queryset: QuerySet, view) -> QuerySet:
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return filterset.qs


def is_uuid(value: object) -> bool:
    try:
        uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return False
    return True
