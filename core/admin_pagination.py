"""A paginator for the admin's lists of millions of rows: it never counts the whole table.

Django's admin counts every row the list matches on each page view (`paginator.count`): a
scan of millions of codes per click. `BoundedPaginator` instead offers at most `max_pages`
pages and counts no further than they reach — an unfiltered list's total is PostgreSQL's
estimate (`pg_class.reltuples`, kept by autovacuum's ANALYZE), a filtered list's is exact up
to the bound and "more than N" beyond it — so a page costs the same at any table size, and a
page past the bound is refused (the admin's "?e=1") instead of reading a deep OFFSET. Deeper
rows are reached by narrowing: a search, a filter, a group's own list.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from core.pagination import estimated_rows

MAX_PAGES = 1_000


class BoundedPaginator(Paginator):
    """At most `max_pages` pages; `count` never past them, `total_text` says what is known
    of the total ("about 10,000,000" — an estimate — or "more than 100,000", or exact)."""

    max_pages = MAX_PAGES

    @cached_property
    def bound(self) -> int:
        return self.max_pages * self.per_page

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not rows.query.where:
            estimate = estimated_rows(rows.model)
            if estimate is not None and estimate > self.bound:
                self.total_text = f"about {estimate:,}"
                return self.bound
        found = rows.order_by().values("pk")[:self.bound + 1].count()
        if found > self.bound:
            self.total_text = f"more than {self.bound:,}"
            return self.bound
        self.total_text = f"{found:,}"
        return found
