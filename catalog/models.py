"""Grantable things (`CatalogItem`, `Client`) and the grants themselves (`Entitlement`)."""

from __future__ import annotations

import uuid
from string import Formatter
from urllib.parse import quote

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.models import TimeStamped


class ItemKind(models.TextChoices):
    COURSE = "course", "Course"
    BUNDLE = "bundle", "Bundle"
    LEARNING_PATH = "learning_path", "Learning path"
    COURSE_TAG = "course_tag", "Course tag"
    VIDEO = "video", "Video"
    PLAYLIST = "playlist", "Playlist"
    PLAN = "plan", "Subscription plan"
    PASS_PLAN = "pass_plan", "Pass plan"
    PROGRAM_SESSION = "program_session", "Program session"
    COURSE_SESSION = "course_session", "Course session"
    EVENT = "event", "Event"


# Kinds whose `includes` are meaningful: access to one is access to what it includes.
CONTAINER_KINDS = {ItemKind.BUNDLE, ItemKind.LEARNING_PATH, ItemKind.COURSE_TAG,
                   ItemKind.PLAYLIST, ItemKind.PLAN, ItemKind.PASS_PLAN,
                   ItemKind.PROGRAM_SESSION}


class CatalogItemQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def of_kind(self, *kinds: str):
        return self.filter(kind__in=kinds)

    def by_id_or_external(self, kind: str | None, value: object):
        """Items whose id or external_id is `value` (Zype targets, API lookups)."""
        key, external_id = item_reference(str(value))
        qs = self.filter(kind=kind) if kind else self
        if external_id is None:
            return qs.none()
        if key is None:
            return qs.filter(external_id=external_id)
        return qs.filter(Q(pk=key) | Q(external_id=external_id))


def item_reference(text: str) -> tuple[uuid.UUID | None, str | None]:
    """(id, external_id) an item named by `text` is looked up by: an id when it is one, and
    its external id either way; (None, None) matches nothing (PostgreSQL also refuses NUL in
    a query parameter)."""
    text = text.strip()
    if "\x00" in text:
        return None, None
    try:
        return uuid.UUID(text), text
    except ValueError:
        return None, text


class CatalogItem(TimeStamped):
    """Something access can be granted to: a course, a video, a bundle of them, an event…"""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    title = models.CharField(max_length=300)
    slug = models.SlugField(max_length=200, blank=True)
    external_id = models.CharField(
        max_length=100, blank=True, default="",
        help_text="The host platform's own id for this item (optional, unique when set).",
    )
    url = models.URLField(
        max_length=2000, blank=True, default="",
        help_text="Where learners open this item (optional; empty: the site-wide "
                  "CONTENT_URL_TEMPLATE fills it in).",
    )
    price_cents = models.PositiveIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    excluded_from_site_coupons = models.BooleanField(default=False)
    includes = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="included_in",
        help_text="What access to this item also opens (bundles, paths, playlists, plans, tags).",
    )

    objects = CatalogItemQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["kind", "title"]),
            models.Index(fields=["slug"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], condition=~Q(external_id=""),
                                    name="catalog_item_external_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_kind_display()})"

    @property
    def content_url(self) -> str:
        """Where a learner opens this item: its own `url`, else `CONTENT_URL_TEMPLATE` filled
        with its `{slug}`, `{id}`, `{external_id}` and `{kind}` (each URL-quoted); "" when
        neither gives one (the template names a value this item has not got)."""
        if self.url:
            return self.url
        template = settings.CONTENT_URL_TEMPLATE
        if not template:
            return ""
        values = {"slug": self.slug, "id": str(self.pk), "external_id": self.external_id,
                  "kind": self.kind}
        named = {name for _, name, _, _ in Formatter().parse(template) if name}
        if any(not values.get(name) for name in named):
            return ""
        return template.format_map({name: quote(values[name], safe="") for name in named})


class Client(TimeStamped):
    """A customer organisation; licenses append to or replace its assigned content."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    school_name = models.CharField(max_length=200, blank=True)
    courses = models.ManyToManyField(
        CatalogItem, blank=True, related_name="clients_by_course",
        limit_choices_to={"kind": ItemKind.COURSE},
    )
    learning_paths = models.ManyToManyField(
        CatalogItem, blank=True, related_name="clients_by_learning_path",
        limit_choices_to={"kind": ItemKind.LEARNING_PATH},
    )
    course_tags = models.ManyToManyField(
        CatalogItem, blank=True, related_name="clients_by_course_tag",
        limit_choices_to={"kind": ItemKind.COURSE_TAG},
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class EntitlementSource(models.TextChoices):
    REDEMPTION = "redemption", "Redemption"
    COUPON = "coupon", "Coupon"
    MANUAL = "manual", "Manual grant"


class EntitlementQuerySet(models.QuerySet):
    def active(self, at=None):
        """Grants in force at `at`: started, not expired, not revoked."""
        at = at or timezone.now()
        return self.filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=at),
            starts_at__lte=at,
            revoked_at__isnull=True,
        )

    def from_source(self, source: str, ref: object):
        return self.filter(source=source, source_ref=str(ref))


class Entitlement(TimeStamped):
    """One grant of access to one item for one learner."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # no index of their own: `entitlement_user_item` and `entitlement_item_created` lead
    # with them (one index fewer to write per grant)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="entitlements", db_index=False)
    item = models.ForeignKey(CatalogItem, on_delete=models.PROTECT, related_name="entitlements",
                             db_index=False)
    starts_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: no end.")
    source = models.CharField(max_length=20, choices=EntitlementSource.choices,
                              default=EntitlementSource.MANUAL)
    source_ref = models.CharField(
        max_length=64, blank=True, default="",
        help_text="The id of what granted it (a redemption, a coupon usage).",
    )
    preview_only = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=300, blank=True, default="")
    granted_by = models.CharField(max_length=200, blank=True, default="",
                                  help_text="Who granted it by hand (staff email, API key).")

    objects = EntitlementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "item"], name="entitlement_user_item"),
            models.Index(fields=["source", "source_ref"], name="entitlement_source"),
            models.Index(fields=["item", "created_at"], name="entitlement_item_created"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__isnull=True) | Q(expires_at__gt=models.F("starts_at")),
                name="entitlement_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.item}"

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return (self.revoked_at is None and self.starts_at <= at
                and (self.expires_at is None or self.expires_at > at))
