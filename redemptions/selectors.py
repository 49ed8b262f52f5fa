"""Reads shared by the redemption APIs, the admin and the learner pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Lookup,
    Prefetch,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncDate
from django.utils.http import url_has_allowed_host_and_scheme

from catalog.models import CatalogItem, EntitlementSource
from licensing.models import Seat
from redemptions.codes import is_canonical, normalize_code
from redemptions.models import Code, CodeGroup, GenerationRequest, Redemption

TITLE_PREFIX = "title:"  # Tizra's patterns may say which field they match; we match titles


def _pattern(raw: object) -> str:
    text = str(raw).strip()
    if text.lower().startswith(TITLE_PREFIX):
        text = text[len(TITLE_PREFIX):].strip()
    return text


def items_matching(specification: dict) -> QuerySet[CatalogItem]:
    """Active items whose titles match: every `all` pattern, one `any` (when given), no
    `excluded` one (case-insensitive substrings). Without `all` or `any` patterns, nothing:
    an exclusion alone never opens the whole catalog."""
    every = [p for p in map(_pattern, specification.get("all") or []) if p]
    some = [p for p in map(_pattern, specification.get("any") or []) if p]
    excluded = [p for p in map(_pattern, specification.get("excluded") or []) if p]
    if not every and not some:
        return CatalogItem.objects.none()
    items = CatalogItem.objects.active()
    for pattern in every:
        items = items.filter(title__icontains=pattern)
    if some:
        match = Q()
        for pattern in some:
            match |= Q(title__icontains=pattern)
        items = items.filter(match)
    for pattern in excluded:
        items = items.exclude(title__icontains=pattern)
    return items.order_by("title", "id")


def code_groups() -> QuerySet[CodeGroup]:
    """Groups with what their list pages show: offer contents, client, redeemed count."""
    return (CodeGroup.objects.with_redeemed_count()
            .select_related("client", "offer")
            .prefetch_related("offer__items", "offer__licenses"))


def codes_with_redeemers(queryset: QuerySet[Code] | None = None) -> QuerySet[Code]:
    """Codes with their standing (not rolled back) redemptions and those learners."""
    queryset = Code.objects.all() if queryset is None else queryset
    standing = (Redemption.objects.active().select_related("user")
                .only("id", "code_id", "user__email", "redeemed_at").order_by("redeemed_at"))
    return queryset.select_related("group").prefetch_related(
        Prefetch("redemptions", queryset=standing, to_attr="standing_redemptions"))


def redeemed_by(code: Code) -> list[str]:
    """Emails of the learners holding a standing redemption of `code` (prefetched by
    `codes_with_redeemers`)."""
    return [r.user.email for r in getattr(code, "standing_redemptions", [])]


def redemptions() -> QuerySet[Redemption]:
    return Redemption.objects.select_related("user", "code", "code__group")


# --- labels (the groups that share one label; Tizra calls them a batch) ---------------------

def labels() -> QuerySet:
    """The group labels, once each, in label order (rows are `{"label": ...}`)."""
    return CodeGroup.objects.order_by("label").values("label").distinct()


def label_exists(label: str) -> bool:
    return CodeGroup.objects.filter(label=label).exists()


def labelled_codes(label: str) -> QuerySet[Code]:
    """The codes of every group with this label, oldest first, with their offers, groups and
    standing redeemers."""
    return codes_with_redeemers(Code.objects.filter(group__label=label))\
        .select_related("offer").order_by("id")


def labelled_code(label: str, text: str) -> Code | None:
    """The code `text` (as anyone may type it) of a group labelled `label`, or None."""
    canonical = normalize_code(text)
    if not is_canonical(canonical):
        return None
    return labelled_codes(label).filter(code=canonical).first()


# --- the learner page's redemption link ---------------------------------------------------------

def success_url_hosts() -> set[str]:
    """Hosts the redemption page may send a learner on to, as the page itself decides
    (`accounts.redirects`): the site's own, ALLOWED_HOSTS and REDIRECT_HOSTS."""
    named = [*settings.ALLOWED_HOSTS, *getattr(settings, "REDIRECT_HOSTS", [])]
    return {urlsplit(settings.SITE_URL).netloc,
            *(h.lstrip(".") for h in named if h and "*" not in h)}


def is_safe_success_url(url: str) -> bool:
    """A path on the site (`/welcome`) or a URL on one of the hosts above."""
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts=success_url_hosts(),
        require_https=settings.SITE_URL.startswith("https://"))


def redemption_url(code: Code, *, success_url: str | None = None) -> str:
    """`<SITE_URL>/redeem/<site>?redemptionCode=<code>[&successUrl=<quoted>]`: the learner page
    that redeems `code` after login or registration, then goes on to `success_url`."""
    url = redemption_url_prefix() + quote(code.display_code(), safe="")
    if success_url:
        url += f"&successUrl={quote(success_url, safe='')}"
    return url


def redemption_url_prefix() -> str:
    """`redemption_url` without the code (and the success URL): the site's part."""
    return f"{settings.SITE_URL}/redeem/{quote(settings.SITE_SLUG, safe='')}?redemptionCode="


def standing_redemption(code_text: str, user) -> Redemption | None:
    """The learner's own standing redemption of the code typed (any case, separators), if
    any: what the redeem page shows when they try it again."""
    code = normalize_code(code_text)
    if not is_canonical(code):
        return None
    return Redemption.objects.active().filter(code__code=code, user=user).first()


def seats_taken(redemption: Redemption) -> QuerySet[Seat]:
    """The license seats a redemption took (revoked ones too: they are history)."""
    return (Seat.objects.filter(source=EntitlementSource.REDEMPTION,
                                source_ref=str(redemption.pk))
            .select_related("license").order_by("assigned_at", "id"))


# What a Zype code object shows of a code besides its id and text (with its group and target).
CODE_OBJECT_FIELDS = ("group_id", "target_item_id", "is_active", "redemptions_count",
                      "max_redemptions", "transaction_id", "created_at", "updated_at",
                      "starts_at", "expiration_date", "last_redeemed_at")


def group_code_rows(group: CodeGroup) -> tuple[Code | None, list[tuple[int, str, bool]]]:
    """A group's first code (with its group and target) and every code in id order as (id,
    code, alike): whether it shows what the first one shows, but for its id and text
    (`CODE_OBJECT_FIELDS`). Codes made together are alike; each row compares in SQL (a
    datetime costs ~20 µs to load)."""
    # its id alone first: joined to its group and item before the LIMIT, the planner (one
    # row expected of a group just made) joins and sorts all 10,000 (42 ms against ~1)
    first_pk = Code.objects.filter(group=group).order_by("id").values_list("pk", flat=True)[:1]
    first = codes_with_targets().filter(pk__in=list(first_pk)).first()
    if first is None:
        return None, []
    same = Q(**{name: getattr(first, name) for name in CODE_OBJECT_FIELDS})
    rows = (Code.objects.filter(group=group).order_by("id")
            .annotate(alike=ExpressionWrapper(same, output_field=BooleanField()))
            .values_list("id", "code", "alike"))
    return first, list(rows)


def codes_with_targets(queryset: QuerySet[Code] | None = None) -> QuerySet[Code]:
    """Codes with what a Zype code object shows: the group (its expiry, its alphabet) and the
    target item (title, kind, ids)."""
    queryset = Code.objects.all() if queryset is None else queryset
    return queryset.select_related("group", "target_item")


class _AnyOf(Lookup):
    """`column = ANY(%s)`, one array parameter (`IN (...)` where there are no arrays).

    PostgreSQL reads `x IN (v)` as `x = v` and then treats x as a constant, dropping it from
    any ORDER BY: an index led by created_at could then serve "newest first" and the planner,
    assuming matches are spread evenly, may walk it past every other item's newer codes. An
    array condition keeps x in the ordering, which only the (target_item, created_at, id)
    index serves.
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [self.lhs.output_field.get_db_prep_value(v, connection) for v in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


def codes_granting(queryset: QuerySet[Code], item_ids: list) -> QuerySet[Code]:
    """The codes of `queryset` whose target is one of `item_ids`, newest first: one backward
    range scan of the (target_item, created_at, id) index, stopping after a page, and the
    count an index-only scan of the same range."""
    if not item_ids:
        return queryset.none()
    return (queryset.filter(_AnyOf(F("target_item_id"), list(item_ids)))
            .order_by("-target_item_id", "-created_at", "-id"))


# --- how long generating takes here ---------------------------------------------------------

GENERATION_SAMPLE = 20  # the latest admin generations the estimate is measured from
GENERATION_SAMPLE_MIN_COUNT = 1_000  # below that a generation's time is mostly not codes
# Until this server has generated that much: 100,000 codes took 1.4–2.8 s on the project's
# 2-core machine shared with other work (PostgreSQL 15 on loopback), 1.2 s when it was quiet.
MEASURED_SECONDS_PER_CODE = 2.0 / 100_000


def generation_seconds_per_code() -> float:
    """Seconds per code the admin's latest generations of GENERATION_SAMPLE_MIN_COUNT codes
    or more took on this server (`GenerationRequest`), or MEASURED_SECONDS_PER_CODE before
    there are any: what the generate form's estimate multiplies the count by."""
    rows = list(GenerationRequest.objects
                .filter(seconds__isnull=False, count__gte=GENERATION_SAMPLE_MIN_COUNT)
                .order_by("-created_at").values_list("count", "seconds")[:GENERATION_SAMPLE])
    codes = sum(count for count, _ in rows)
    return sum(seconds for _, seconds in rows) / codes if codes else MEASURED_SECONDS_PER_CODE


# --- the staff dashboard (aggregates only: a fixed number of queries at any volume) ---------

def redemptions_per_day(since: dt.datetime) -> dict[dt.date, int]:
    """Redemptions recorded on each UTC day from `since` (rolled-back ones too: they were
    used that day); days without any are absent. One grouped scan of `redeemed_at`'s index."""
    rows = (Redemption.objects.filter(redeemed_at__gte=since).order_by()
            .annotate(day=TruncDate("redeemed_at", tzinfo=dt.UTC)).values("day")
            .annotate(n=Count("id")).values_list("day", "n"))
    return dict(rows)


@dataclass(frozen=True)
class GroupActivity:
    group: CodeGroup  # annotated with `redeemed_codes_count`
    recent: int  # its codes last redeemed since the window's start


def most_active_groups(since: dt.datetime, limit: int = 10) -> list[GroupActivity]:
    """The `limit` groups with the most codes redeemed since `since` (by each code's last
    redemption: the partial index of redeemed codes, no join with the redemptions), then the
    newest groups to fill the list. Two queries: that count grouped by group, then the
    groups with their redeemed-code counts (the partial index of used codes) and their
    stored totals."""
    recent = dict(Code.objects.filter(last_redeemed_at__gte=since, group__isnull=False)
                  .order_by().values("group").annotate(n=Count("id"))
                  .order_by("-n").values_list("group", "n")[:limit])
    newest = CodeGroup.objects.order_by("-created_at", "-id").values("pk")[:limit]
    groups = (CodeGroup.objects.with_redeemed_count()
              .filter(Q(pk__in=list(recent)) | Q(pk__in=newest)).order_by("-created_at", "-id"))
    ranked = sorted(groups, key=lambda g: (-recent.get(g.pk, 0), g.pk not in recent))
    return [GroupActivity(group, recent.get(group.pk, 0)) for group in ranked[:limit]]


def code_groups_expiring(since: dt.datetime, until: dt.datetime) -> QuerySet[CodeGroup]:
    """Groups whose expiry falls in the window, soonest first (its index)."""
    return CodeGroup.objects.filter(expiration_date__gte=since, expiration_date__lte=until)\
        .order_by("expiration_date", "id")


def codes_expiring(since: dt.datetime, until: dt.datetime) -> QuerySet[Code]:
    """Codes whose own expiry falls in the window (the partial index of codes with one); a
    group's codes without their own expiry go with the group."""
    return Code.objects.filter(expiration_date__gte=since, expiration_date__lte=until)\
        .order_by("expiration_date", "id")


PARTIAL_CODE_MIN = 4  # characters of a code that a staff search matches anywhere in codes
_CODE_ORDER = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # how canonical codes sort


def _after_prefix(prefix: str) -> str | None:
    """The least string above every code starting with `prefix` ("QJB5X" → "QJB5Y", "AZ" →
    "B"), so a prefix is a range of the unique index; None: no bound."""
    while prefix:
        position = _CODE_ORDER.find(prefix[-1])
        if 0 <= position < len(_CODE_ORDER) - 1:
            return prefix[:-1] + _CODE_ORDER[position + 1]
        prefix = prefix[:-1]
    return None


@dataclass(frozen=True)
class CodeMatch:
    codes: QuerySet[Code]
    certain: bool  # a code is exactly that, or codes start with it: the search meant codes


def codes_matching(text: str) -> CodeMatch | None:
    """The codes a staff search for `text` means, typed any way (case, dashes and spaces
    ignored: `normalize_code`): the code itself when one is exactly that; else, from
    `PARTIAL_CODE_MIN` characters, the codes starting with it (a range of the unique index)
    or, when none does, the codes containing it (a scan: maybe not a code at all). None
    when `text` cannot be part of a code."""
    code = normalize_code(text)
    if not is_canonical(code):
        return None
    exact = Code.objects.filter(code=code)
    if exact.exists():
        return CodeMatch(exact, certain=True)
    if len(code) < PARTIAL_CODE_MIN:
        return CodeMatch(exact, certain=False)
    starting = Code.objects.filter(code__gte=code, code__startswith=code)
    bound = _after_prefix(code)
    if bound is not None:
        starting = starting.filter(code__lt=bound)
    if starting.exists():
        return CodeMatch(starting, certain=True)
    return CodeMatch(Code.objects.filter(code__contains=code), certain=False)
