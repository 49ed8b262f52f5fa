"""EduBrite's lists: pages and the Zype-style filters over form parameters."""

from __future__ import annotations

from rest_framework.response import Response

from core.filters import ZypeFilterBackend
from core.pagination import PagePagination
from dialects.edubrite.envelope import ok
from dialects.edubrite.params import form_params


class EduBritePagination(PagePagination):
    """`page`/`per_page` (or EduBrite's `currPage`/`pageSize`) from the form parameters."""

    def paginate_queryset(self, queryset, request, view=None):
        params = form_params(request)
        for alias, name in (("currPage", "page"), ("pageSize", "per_page")):
            if name not in params and alias in params:
                params[name] = params[alias]
        shim = type("FormRequest", (), {"query_params": params})()
        return super().paginate_queryset(queryset, shim, view)

    def envelope(self, key: str, rows: list) -> Response:
        return ok(None, None, **{key: rows, "pagination": {
            **self.pagination_info(), "count": self.count}})


class EduBriteFilterBackend(ZypeFilterBackend):
    """Zype-style filters read from the form parameters too (EduBrite clients POST them)."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        kwargs["data"] = form_params(request)
        return kwargs
