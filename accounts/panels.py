"""Learner panels: what the apps above accounts show on a learner's admin page.

`accounts` sits beneath the apps that hold a learner's things (catalog's grants, licensing's
seats, redemptions, coupon usages), so it names none of them. Each of those apps registers a
`LearnerPanel` from its `AppConfig.ready()` — the way licensing plugs its seats into the
catalog's access check — and the User admin renders whatever is registered, by `order`.

A panel renders HTML for one learner and the staff member looking (`viewer`: their
permissions decide which support tools it offers; None: read-only); `held` (optional)
counts the history it shows, which keeps the account from being deleted ("2 grant(s),
1 seat(s)"). Most panels are a table of the learner's latest rows with a link to the full,
filtered list: `history_panel(...)` builds one, with the tools (links to the app's admin
pages that roll back, revoke, extend…) each row and the panel offer that viewer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.throttles import redeem_throttle

PANEL_ROWS = 50


@dataclass(frozen=True)
class LearnerPanel:
    key: str  # registering the same key again replaces the panel
    order: int
    render: Callable[[object, object], str]  # (user, viewer) → HTML: a SafeString
    # (render_to_string, format_html); a plain str is shown escaped
    held: Callable[[object], dict[str, int]] | None = None  # user → {"seat(s)": 2}


_panels: dict[str, LearnerPanel] = {}


def register_learner_panels(*panels: LearnerPanel) -> None:
    for panel in panels:
        _panels[panel.key] = panel


def learner_panels() -> list[LearnerPanel]:
    return sorted(_panels.values(), key=lambda p: (p.order, p.key))


def when(moment) -> str:
    """A panel's time cell: "2025-01-31 09:30 UTC", or "—"."""
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "—"


Tools = list[tuple[str, str]]  # (label, url) links to a support tool's page


def history_panel(*, key: str, order: int, title: str, rows: Callable[[object], QuerySet],
                  admin_name: str, headings: Sequence[str],
                  cells: Callable[[object], list], held_as: str,
                  row_tools: Callable[[object, object], Tools] | None = None,
                  panel_tools: Callable[[object, object], Tools] | None = None
                  ) -> LearnerPanel:
    """A panel listing the latest `PANEL_ROWS` of `rows(user)` (newest first), each row
    linking to its admin page (`admin:<admin_name>_change`) and the heading to the list
    filtered to the learner (`?user=<id>`); it holds `held_as` ("seat(s)") history.
    `row_tools(row, viewer)` and `panel_tools(user, viewer)` are the support tools offered
    to a viewer (only those their permissions allow; none to no viewer)."""

    def render(user, viewer=None) -> str:
        queryset = rows(user)
        changelist = reverse(f"admin:{admin_name}_changelist")
        listed = [{"url": reverse(f"admin:{admin_name}_change", args=[row.pk]),
                   "cells": cells(row),
                   "tools": row_tools(row, viewer) if row_tools and viewer else []}
                  for row in queryset[:PANEL_ROWS]]
        return render_to_string("admin/accounts/user/history_panel.html", {
            "title": title, "count": queryset.count(), "headings": headings,
            "all_url": f"{changelist}?user={user.pk}", "rows": listed,
            "has_tools": any(row["tools"] for row in listed),
            "tools": panel_tools(user, viewer) if panel_tools and viewer else [],
        })

    def held(user) -> dict[str, int]:
        return {held_as: rows(user).count()}

    return LearnerPanel(key=key, order=order, render=render, held=held)


def what_they_hold(user, viewer=None) -> str:
    """Every registered panel for `user` as `viewer` may see it, in order (HTML)."""
    return render_to_string("admin/accounts/user/what_they_hold.html", {
        "panels": [panel.render(user, viewer) for panel in learner_panels()]})


def redeem_throttle_panel(user, viewer=None) -> str:
    """accounts' own panel: the learner's failed redemption attempts counted now, and the
    tool that clears them (with `accounts.clear_redeem_throttle`)."""
    throttle = redeem_throttle()
    return render_to_string("admin/accounts/user/redeem_throttle_panel.html", {
        "failures": throttle.failures(user=user), "limit": throttle.per_user,
        "window_minutes": throttle.window_seconds // 60,
        "clear_url": reverse("admin:accounts_user_clear_redeem_throttle", args=[user.pk])
        if viewer and viewer.has_perm("accounts.clear_redeem_throttle") else "",
    })


def history_held(user) -> dict[str, int]:
    """The history the panels count for `user`, in panel order."""
    counts: dict[str, int] = {}
    for panel in learner_panels():
        if panel.held:
            counts.update(panel.held(user))
    return counts
