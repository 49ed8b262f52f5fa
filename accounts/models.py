"""People and credentials: learners and staff (one `User`), learner groups, tags, API keys."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager

from accounts.roles import ROLE_CHOICES
from core import rows
from core.models import TimeStamped


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)

    def by_id_or_email(self, value: object) -> User:
        """The user named by a primary key or an email (API.md: wherever a learner is named)."""
        text = str(value).strip()
        key, email = learner_reference(text)
        if email is not None:
            return self._one(_by_email_sql(self.db), rows.iexact_value(email, self.db), text)
        if key is None:
            raise self.model.DoesNotExist(f"No user {text!r}.")
        return self._one(_by_id_sql(self.db), rows.param(User._meta.pk, key, self.db), text)

    def _one(self, sql: str, value: object, text: str) -> User:
        """The one user the statement finds (every request on a learner's behalf names one,
        so the statement is written once), or DoesNotExist as `get` would raise it."""
        found = rows.fetch(sql, [value], using=self.db)
        if len(found) != 1:
            error = self.model.DoesNotExist if not found else self.model.MultipleObjectsReturned
            raise error(f"No one user {text!r}.")
        return rows.load(User, found[0], using=self.db)


def learner_reference(text: str) -> tuple[uuid.UUID | None, str | None]:
    """(id, email) a learner named by `text` (stripped) is looked up by: an email when it has
    an @, else an id when it is one; (None, None) matches nobody (PostgreSQL also refuses NUL
    in a query parameter)."""
    if "\x00" in text:
        return None, None
    if "@" in text:
        return None, text
    try:
        return uuid.UUID(text), None
    except ValueError:
        return None, None


class User(AbstractBaseUser, PermissionsMixin):
    """A learner or a staff member; logs in with their email."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    is_staff = models.BooleanField(default=False, help_text="May log into the admin.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    # API clients authenticate as an `ApiClient`; a User never is one.
    is_api_client = False

    class Meta:
        ordering = ["email"]
        permissions = [("clear_redeem_throttle",
                        "Can clear a learner's failed redemption attempts")]
        indexes = [
            # `email__iexact` (every lookup by email: the APIs' `user=`, login, sign-up) is
            # UPPER(email) = UPPER(%s) on PostgreSQL: served by this index, not a scan.
            models.Index(Upper("email"), name="user_email_upper"),
        ]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class LearnerGroup(TimeStamped):
    """A group of learners (a company, a class); groups nest under a parent."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    code = models.CharField(max_length=100, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    members = models.ManyToManyField(User, through="Membership", related_name="learner_groups")

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["parent", "name"]), models.Index(fields=["code"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})" if self.code else self.name

    def ancestors(self) -> list[LearnerGroup]:
        chain, seen, node = [], {self.pk}, self.parent
        while node is not None and node.pk not in seen:
            chain.append(node)
            seen.add(node.pk)
            node = node.parent
        return chain


class MembershipQuerySet(models.QuerySet):
    def current(self, at=None):
        at = at or timezone.now()
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=at))


class Membership(TimeStamped):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    group = models.ForeignKey(LearnerGroup, on_delete=models.CASCADE, related_name="memberships")
    expires_at = models.DateTimeField(null=True, blank=True)
    is_admin = models.BooleanField(default=False, help_text="May approve the group's coupons.")

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["group__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "group"], name="membership_once_per_group"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"

    def is_current(self, at=None) -> bool:
        at = at or timezone.now()
        return self.expires_at is None or self.expires_at > at


class UserTag(TimeStamped):
    """A free-form tag on a learner (Tizra's add-user-tag redemption)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="tags")
    tag = models.CharField(max_length=100)

    class Meta:
        ordering = ["tag"]
        constraints = [models.UniqueConstraint(fields=["user", "tag"], name="user_tag_once")]

    def __str__(self) -> str:
        return f"{self.user}: {self.tag}"


class ApiKeyManager(BaseAPIKeyManager):
    pass


class ApiKey(AbstractAPIKey):
    """A hashed, prefixed, revocable API key (djangorestframework-api-key) with last use."""

    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    role = models.CharField(
        max_length=20, choices=ROLE_CHOICES, default="read-only",
        help_text="The Django permissions the key carries (README, Permissions).")

    objects = ApiKeyManager()

    class Meta(AbstractAPIKey.Meta):
        verbose_name = "API key"
        verbose_name_plural = "API keys"


class StaffScopeGrant(TimeStamped):
    """An OAuth application whose tokens may carry the `staff` scope (`accounts.oauth`),
    chosen on the application's admin page by staff holding `accounts.grant_staff_scope`
    (or named in the `OAUTH_STAFF_APPLICATIONS` setting)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.OneToOneField("oauth2_provider.Application",
                                       on_delete=models.CASCADE,
                                       related_name="staff_scope_grant")
    granted_by = models.CharField(max_length=200, blank=True, editable=False)

    class Meta:
        verbose_name = "staff scope"
        verbose_name_plural = "staff scope"
        permissions = [("grant_staff_scope",
                        "Can let an OAuth application's tokens act as staff")]

    def __str__(self) -> str:
        return f"staff scope for {self.application}"


@rows.cached
def _by_email_sql(using: str) -> str:
    """`UserManager.by_id_or_email`'s statement for an email (any case, as `email__iexact`)."""
    meta = User._meta
    return (f"SELECT {rows.select_columns(User, 'u', using)} FROM "
            f"{rows.quoter(using)(meta.db_table)} u "
            f"WHERE {rows.iexact(meta.get_field('email'), 'u', using)} LIMIT 2")


@rows.cached
def _by_id_sql(using: str) -> str:
    """`UserManager.by_id_or_email`'s statement for an id."""
    quote, meta = rows.quoter(using), User._meta
    return (f"SELECT {rows.select_columns(User, 'u', using)} FROM {quote(meta.db_table)} u "
            f"WHERE u.{quote(meta.pk.column)} = %s")

