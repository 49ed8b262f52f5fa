"""Page-number pagination with `page` (from 1) and `per_page` (at most 500), and list totals
that do not scan.

Each dialect subclasses `PagePagination` for its own envelope and default page size (the native
one in `dialects.native.base`, Zype's in `dialects.zype.base`).

A total (`count`, Zype's `pages`, Thought Industries' `pageInfo.total`) is exact, from a count
or from what the view knows already (`known_total`: a ready group's codes, kept with the group
in the same transaction as its codes), except where counting would be a scan of millions of
rows per page: an unfiltered list of a table of more than ESTIMATE_ABOVE rows says PostgreSQL's
estimate of the table (`pg_class.reltuples`, kept by autovacuum's ANALYZE), and a filtered list
is counted only up to COUNTED_UP_TO rows — beyond that it says the planner's estimate of the
filtered query (at least COUNTED_UP_TO + 1). Either way the pages still end exactly where the
rows do (a page past the estimate is served while rows remain).
"""

from __future__ import annotations

import json
import math

from django.db import connection
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination

MAX_PER_PAGE = 500
ESTIMATE_ABOVE = 1_000_000
COUNTED_UP_TO = 100_000
ESTIMATE_NOTE = (f"Exact, except on an unfiltered list of more than {ESTIMATE_ABOVE:,} rows "
                 f"and a filtered one matching more than {COUNTED_UP_TO:,}: there PostgreSQL's "
                 "estimate (the pages still end where the rows do).")


def estimated_rows(model) -> int | None:
    """PostgreSQL's estimate of the rows in `model`'s table; None before it was analysed (or
    elsewhere than on PostgreSQL)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                       [connection.ops.quote_name(model._meta.db_table)])
        row = cursor.fetchone()
    return row[0] if row and row[0] >= 0 else None


def list_total(queryset, known: int | None = None) -> tuple[int, bool]:
    """(the total of `queryset`'s rows, whether it is an estimate): `known` when the view
    knows it; an unfiltered list of a table over ESTIMATE_ABOVE rows, the estimate; else a
    count."""
    if known is not None:
        return known, False
    if not queryset.query.where:
        estimate = estimated_rows(queryset.model)
        if estimate is not None and estimate > ESTIMATE_ABOVE:
            return estimate, True
        return queryset.count(), False
    if connection.vendor != "postgresql":
        return queryset.count(), False
    counted = queryset.order_by().values("pk")[:COUNTED_UP_TO + 1].count()  # stops there
    if counted <= COUNTED_UP_TO:
        return counted, False
    return max(planned_rows(queryset), COUNTED_UP_TO + 1), True


def planned_rows(queryset) -> int:
    """The planner's estimate of the rows `queryset` matches (EXPLAIN, nothing run)."""
    plan = json.loads(queryset.order_by().values("pk").explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def known_total(view) -> int | None:
    """The total a view knows without counting (`view.known_total()`), if it offers one."""
    method = getattr(view, "known_total", None)
    return method() if method is not None else None


def _positive_int(request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if value < 1:
        raise ValidationError({name: [f"{name} must be a whole number from 1 up."]})
    return value


class PagePagination(BasePagination):
    default_per_page = 50
    page_param = "page"
    per_page_param = "per_page"

    def paginate_queryset(self, queryset, request, view=None):
        self.page = _positive_int(request, self.page_param, 1)
        self.per_page = min(_positive_int(request, self.per_page_param, self.default_per_page),
                            MAX_PER_PAGE)
        self.count, self.estimated = list_total(queryset, known_total(view))
        self.pages = math.ceil(self.count / self.per_page) if self.count else 0
        start = (self.page - 1) * self.per_page
        if not self.estimated:
            return [] if start >= self.count else list(queryset[start:start + self.per_page])
        rows = list(queryset[start:start + self.per_page + 1])  # where the rows really end
        more = len(rows) > self.per_page
        self.pages = max(self.pages, self.page + 1) if more else \
            (self.page if rows else min(self.pages, self.page - 1))
        return rows[:self.per_page]

    def pagination_info(self) -> dict:
        return {
            "current": self.page,
            "previous": self.page - 1 if self.page > 1 else None,
            "next": self.page + 1 if self.page < self.pages else None,
            "per_page": self.per_page,
            "pages": self.pages,
        }

    def get_schema_operation_parameters(self, view):
        return [
            {"name": self.page_param, "in": "query", "required": False,
             "description": "Page number, from 1.", "schema": {"type": "integer", "minimum": 1}},
            {"name": self.per_page_param, "in": "query", "required": False,
             "description": f"Results per page (default {self.default_per_page}, at most "
                            f"{MAX_PER_PAGE}).",
             "schema": {"type": "integer", "minimum": 1}},
        ]

    @staticmethod
    def pagination_schema(with_count: bool) -> dict:
        props = {
            "current": {"type": "integer"},
            "previous": {"type": "integer", "nullable": True},
            "next": {"type": "integer", "nullable": True},
            "per_page": {"type": "integer"},
            "pages": {"type": "integer", "description": ESTIMATE_NOTE},
        }
        if with_count:
            props["count"] = {"type": "integer", "description": ESTIMATE_NOTE}
        return {"type": "object", "properties": props}
