"""The staff dashboard on the admin home: panels the apps register, each shown only to staff
who may view what it reads.

`core` sits under every app and names none of them, so each app registers its panels from
its `AppConfig.ready()` (as the learner panels of `accounts.panels` are registered): a
`DashboardPanel` renders one box (a chart, a list of bars), an `ExpiringSoon` one line of
the shared "expires soon" box. Both name the model they read; a staff user without the
admin's view permission on it does not see them.

Every read is an aggregate or a short, indexed list in the app's selectors: a fixed number
of queries whatever the number of codes (tests/core/test_dashboard.py lists them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import Count, QuerySet, Window
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

PERIODS = (30, 90)  # days of activity the charts show (a switch on the page)
EXPIRY_DAYS = 30
EXPIRING_SHOWN = 5  # objects named per line of the "expires soon" box


@dataclass(frozen=True)
class Period:
    """The activity window the panels show: the last `days` days up to `now`."""

    days: int
    now: dt.datetime

    @property
    def start(self) -> dt.datetime:
        """Midnight UTC `days - 1` days ago: `days` whole calendar days, today included."""
        today = self.now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        return today - dt.timedelta(days=self.days - 1)

    def dates(self) -> list[dt.date]:
        first = self.start.date()
        return [first + dt.timedelta(days=i) for i in range(self.days)]


@dataclass(frozen=True)
class DashboardPanel:
    key: str  # registering the same key again replaces the panel
    order: int
    model: type  # shown to staff who may view this model in the admin
    render: Callable[[Period], str]  # → HTML (a SafeString)


@dataclass(frozen=True)
class Expiring:
    """What one model has expiring in the window: how many, the soonest few as
    (text, admin URL), and the admin list filtered to the window."""

    count: int
    soonest: list[tuple[str, str]] = field(default_factory=list)
    list_url: str = ""


@dataclass(frozen=True)
class ExpiringSoon:
    key: str
    order: int
    model: type
    label: str  # "Licenses"
    read: Callable[[dt.datetime, dt.datetime], Expiring]  # (from, until) → what expires


_panels: dict[str, DashboardPanel] = {}
_expiring: dict[str, ExpiringSoon] = {}


def register_dashboard(*entries: DashboardPanel | ExpiringSoon) -> None:
    for entry in entries:
        (_panels if isinstance(entry, DashboardPanel) else _expiring)[entry.key] = entry


def may_view(request, model: type) -> bool:
    """The admin's own rule: the model is registered and the user may view it there."""
    model_admin = admin.site._registry.get(model)
    return model_admin is not None and model_admin.has_view_permission(request)


def date_range_url(changelist: str, field_path: str, since: dt.date, until: dt.date,
                   **extra: str) -> str:
    """The admin list `admin:<changelist>_changelist` filtered to `field_path` between two
    dates, inclusive (the changelist's date-range filter, `core.admin.DATE_RANGE`)."""
    query = {f"{field_path}__range__gte": since.isoformat(),
             f"{field_path}__range__lte": until.isoformat(), **extra}
    return f"{reverse(f'admin:{changelist}_changelist')}?{urlencode(query)}"


def expiry_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """From now to the end of the day `EXPIRY_DAYS` days ahead (UTC), as the lists filter."""
    last = (now + dt.timedelta(days=EXPIRY_DAYS)).astimezone(dt.UTC).date()
    return now, dt.datetime.combine(last, dt.time.max, tzinfo=dt.UTC)


def admin_name(model: type) -> str:
    return f"{model._meta.app_label}_{model._meta.model_name}"


def expiring_soon(*, key: str, order: int, model: type, label: str,
                  rows: Callable[[dt.datetime, dt.datetime], QuerySet], field_path: str,
                  describe: Callable[[object], str] = str, **list_filters: str) -> ExpiringSoon:
    """An "expires soon" line for `model`: `rows(since, until)` (soonest first) gives the
    soonest few, each linking to its admin page, and their number (one query: the count
    rides on each row as a window function); the line links the admin list filtered on
    `field_path` to the window (and `list_filters`)."""
    name = admin_name(model)

    def read(since: dt.datetime, until: dt.datetime) -> Expiring:
        shown = list(rows(since, until).annotate(_in_window=Window(Count("pk")))
                     [:EXPIRING_SHOWN])
        return Expiring(
            count=shown[0]._in_window if shown else 0,
            soonest=[(describe(obj), reverse(f"admin:{name}_change", args=[obj.pk]))
                     for obj in shown],
            list_url=date_range_url(name, field_path, since.date(), until.date(),
                                    **list_filters))

    return ExpiringSoon(key=key, order=order, model=model, label=label, read=read)


def period_from(request, now: dt.datetime | None = None) -> Period:
    try:
        days = int(request.GET.get("days", PERIODS[0]))
    except ValueError:
        days = PERIODS[0]
    return Period(days=days if days in PERIODS else PERIODS[0], now=now or timezone.now())


def render_dashboard(request) -> str:
    """Every panel and "expires soon" line this staff user may see (HTML)."""
    period = period_from(request)
    panels = [p.render(period) for p in sorted(_panels.values(), key=lambda p: (p.order, p.key))
              if may_view(request, p.model)]
    since, until = expiry_window(period.now)
    expiring = [(e.label, e.read(since, until))
                for e in sorted(_expiring.values(), key=lambda e: (e.order, e.key))
                if may_view(request, e.model)]
    return render_to_string("admin/dashboard/dashboard.html", {
        "period": period, "periods": PERIODS, "panels": panels, "expiring": expiring,
        "until": until, "expiry_days": EXPIRY_DAYS,
    }, request=request)
