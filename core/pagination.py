"""Page-number pagination with `page` (from 1) and `per_page` (at most 500).

Each dialect subclasses `PagePagination` for its own envelope and default page size (the native
one in `dialects.native.base`, Zype's in `dialects.zype.base`).
"""

from __future__ import annotations

import math

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination

MAX_PER_PAGE = 500


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
        self.count = queryset.count()
        self.pages = math.ceil(self.count / self.per_page) if self.count else 0
        start = (self.page - 1) * self.per_page
        if start >= self.count:
            return []
        return list(queryset[start:start + self.per_page])

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
            "pages": {"type": "integer"},
        }
        if with_count:
            props["count"] = {"type": "integer"}
        return {"type": "object", "properties": props}
