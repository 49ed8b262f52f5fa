"""What the apps above catalog add to the learner's My access page (`/account/access/`).

The page lists what the learner may open (`catalog.selectors.holdings`); other apps hold more
of the learner's things (licensing's seats) that belong on it, but `catalog` may not import
them. So each registers an `AccessSection` from its `AppConfig.ready()` — the way licensing
plugs its seats into the access check and the admin's learner panels are registered
(`accounts.panels`) — and the page renders whatever is registered, by `order`, under the
holdings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class AccessSection:
    key: str  # registering the same key again replaces the section
    order: int
    render: Callable[[object], str]  # user → HTML (a SafeString; "" shows nothing)


_sections: dict[str, AccessSection] = {}


def register_access_sections(*sections: AccessSection) -> None:
    for section in sections:
        _sections[section.key] = section


def access_sections() -> list[AccessSection]:
    return sorted(_sections.values(), key=lambda s: (s.order, s.key))


def render_access_sections(user) -> list[str]:
    """Each registered section's HTML for `user`, in order, the empty ones left out."""
    return [html for section in access_sections() if (html := section.render(user))]
