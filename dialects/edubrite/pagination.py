"""EduBrite's lists: pages and the Zype-style filters over form parameters."""

from __future__ import annotations

from rest_framework.response import Response

from core.errors import InvalidInput
from core.filters import ZypeFilterBackend
from core.pagination import PagePagination
from dialects.edubrite.envelope import ok
from dialects.edubrite.params import form_params

NOT_SET = -1  # the Java client's `PagedList.currPage` before anyone sets it


def page_from_curr_page(raw: str) -> str | None:
    """Our `page` (from 1) for EduBrite's `currPage`, which counts from 0: the Java client's
    `PagedList` starts it at -1 ("not set": the first page) and has more pages while
    `currPage < totalPages - 1`. Anything else is a 400 naming currPage."""
    text = raw.strip()
    try:
        index = int(text)
    except ValueError:
        index = NOT_SET - 1
    if index < NOT_SET:
        raise InvalidInput("invalid", "currPage must be a whole number from 0 up (-1: the "
                                      "first page).", field="currPage")
    return None if index == NOT_SET else str(index + 1)


class EduBritePagination(PagePagination):
    """`page`/`per_page` from the form parameters, or EduBrite's `currPage` (from 0) and
    `pageSize`; the answer's pagination carries both namings (`currPage` from 0, `pageSize`,
    `numPages`, `numItems`: the Java client's `PagedList`)."""

    def paginate_queryset(self, queryset, request, view=None):
        params = form_params(request)
        if "page" not in params and "currPage" in params:
            page = page_from_curr_page(params["currPage"])
            if page is not None:
                params["page"] = page
        if "per_page" not in params and "pageSize" in params:
            params["per_page"] = params["pageSize"]
        shim = type("FormRequest", (), {"query_params": params})()
        return super().paginate_queryset(queryset, shim, view)

    def envelope(self, key: str, rows: list) -> Response:
        return ok(None, None, **{key: rows, "pagination": {
            **self.pagination_info(), "count": self.count, "currPage": self.page - 1,
            "pageSize": self.per_page, "numPages": self.pages, "numItems": self.count}})


class EduBriteFilterBackend(ZypeFilterBackend):
    """Zype-style filters read from the form parameters too (EduBrite clients POST them)."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        kwargs["data"] = form_params(request)
        return kwargs
