"""Charts drawn on the server as inline SVG: no script, no network at run time.

Each chart carries its text alternative: the SVG is an image labelled by its own `<title>`
and `<desc>` (what it shows and the figures that matter), every mark has a `<title>` of its
own (a tooltip), and the panels that use them put the numbers in a table beside or under it.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

_ids = count(1)

WIDTH, HEIGHT, AXIS = 720, 170, 22  # the drawing's own units; it scales to its box


def column_chart(points: Sequence[tuple[str, int]], *, title: str, desc: str,
                 every: int = 7) -> SafeString:
    """One column per point `(label, value)`, labelled under every `every`th column."""
    n = next(_ids)
    top = max((value for _, value in points), default=0) or 1
    slot = WIDTH / max(len(points), 1)
    plot = HEIGHT - AXIS
    columns = format_html_join("", (
        '<rect x="{}" y="{}" width="{}" height="{}" class="chart-mark"><title>{}: {}</title>'
        '</rect>'), (
        (_n(i * slot + slot * 0.12), _n(plot - _height(value, top, plot)), _n(slot * 0.76),
         _n(_height(value, top, plot)), label, f"{value:,}")
        for i, (label, value) in enumerate(points)))
    ticks = format_html_join("", '<text x="{}" y="{}" class="chart-tick">{}</text>', (
        (_n(i * slot + slot * 0.12), HEIGHT - 6, label)
        for i, (label, _) in enumerate(points) if i % every == 0))
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" preserveAspectRatio="none" '
        'aria-labelledby="chart-{}-title chart-{}-desc">'
        '<title id="chart-{}-title">{}</title><desc id="chart-{}-desc">{}</desc>'
        '<line x1="0" y1="{}" x2="{}" y2="{}" class="chart-axis"/>'
        '<text x="2" y="11" class="chart-tick chart-top">{}</text>{}{}</svg>',
        WIDTH, HEIGHT, n, n, n, title, n, desc, plot, WIDTH, plot, f"{top:,}", columns, ticks)


def _height(value: int, top: int, plot: int) -> float:
    return value / top * (plot - 14)  # 14 units above the tallest column for its label


def _n(number: float) -> str:
    """A coordinate (format_html escapes its arguments, so numbers go in as text)."""
    return f"{number:.1f}"


def fill_bar(value: int, limit: int | None, *, label: str) -> SafeString:
    """A horizontal bar filled `value / limit` (an empty track for no limit), labelled
    `label` ("12 of 20 seats"); red from 90 % on."""
    share = min(value / limit, 1.0) if limit else 0.0
    level = "full" if limit and value >= limit * 0.9 else "ok"
    return format_html(
        '<svg class="fill-bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
        'aria-label="{}"><title>{}</title><rect width="100" height="10" class="fill-track"/>'
        '<rect width="{}" height="10" class="fill-{}"/></svg>',
        label, label, _n(share * 100), level)
