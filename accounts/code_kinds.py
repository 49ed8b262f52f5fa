"""Other kinds of codes a learner may type on the redeem page.

The redeem page (redemptions) knows redemption codes. Learners also hold coupon codes
(coupons) and type them in the same box; but redemptions and coupons may not import each
other. So an app registers a `CodeKind` from its `AppConfig.ready()` — as the apps register
their learner panels (`accounts.panels`) — and when a typed code is no redemption code, the
page asks each registered kind, by `order`, what the code is (`describe_code`):

- `describe(text, user)` → a `CodeDescription` in the learner's words (what it is for, and
  whether it can be used right here), or None when the code is not of this kind;
- `use(text, user)` → a `CodeUse` (what happened), or raises the app's `DomainError` (the
  redeem throttle counts it, as every refusal on the page).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CodeDescription:
    kind: str  # the CodeKind's key, which the page sends back to use it
    heading: str  # "This is a coupon"
    summary: str  # "100% off “Negotiation Workshop” (course session)"
    details: list[str] = field(default_factory=list)  # "Usable until 31 December 2026"
    usable_here: bool = False  # it grants access by itself: the page offers to use it
    use_label: str = ""  # the button: "Apply the coupon"
    refusal: str = ""  # why it cannot be used now (expired, used up…), in plain words


@dataclass(frozen=True)
class CodeUse:
    heading: str  # "Coupon applied"
    message: str  # "Coupon FREEWORK is applied."
    pending: bool = False  # waits for someone's approval: nothing is granted yet


@dataclass(frozen=True)
class CodeKind:
    key: str
    order: int
    describe: Callable[[str, object], CodeDescription | None]
    use: Callable[[str, object], CodeUse]


_kinds: dict[str, CodeKind] = {}


def register_code_kinds(*kinds: CodeKind) -> None:
    for kind in kinds:
        _kinds[kind.key] = kind


def code_kind(key: str) -> CodeKind | None:
    return _kinds.get(key)


def describe_code(text: str, user) -> CodeDescription | None:
    """What `text` is, asked of each registered kind in order; None when none knows it."""
    for kind in sorted(_kinds.values(), key=lambda k: (k.order, k.key)):
        description = kind.describe(text, user)
        if description is not None:
            return description
    return None
