"""State changes of accounts: learner registration and passwords, learner groups,
memberships, tags."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_refresh_token_model

from accounts.errors import AccountsError, EmailTaken
from accounts.models import LearnerGroup, Membership, User, UserTag
from core.errors import Conflict


@transaction.atomic
def set_group_parent(group: LearnerGroup, parent: LearnerGroup | None) -> LearnerGroup:
    """Move a group under `parent`, refusing a group that would sit under itself."""
    if parent is not None:
        node = LearnerGroup.objects.select_for_update().get(pk=parent.pk)
        seen = set()
        while node is not None and node.pk not in seen:
            if node.pk == group.pk:
                raise AccountsError("group_cycle",
                                    "A group cannot sit under itself or one of its subgroups.",
                                    field="parent")
            seen.add(node.pk)
            node = node.parent
    group.parent = parent
    group.save()
    return group


@transaction.atomic
def create_group(*, name: str, code: str = "", parent: LearnerGroup | None = None) -> LearnerGroup:
    """A new learner group, under `parent` when given."""
    group = LearnerGroup.objects.create(name=name, code=code)
    return set_group_parent(group, parent) if parent else group


_UNCHANGED = object()


@transaction.atomic
def update_group(group: LearnerGroup, *, parent: LearnerGroup | object | None = _UNCHANGED,
                 **fields) -> LearnerGroup:
    """Change a group's `name`/`code`, and move it when `parent` is given (None: to the top;
    a group cannot sit under itself)."""
    for name, value in fields.items():
        setattr(group, name, value)
    if parent is not _UNCHANGED:
        return set_group_parent(group, parent)
    group.save()
    return group


@transaction.atomic
def delete_group(group: LearnerGroup) -> None:
    """Delete a group and its memberships; one with subgroups is refused (409). Rows other
    apps protect it with (coupons) refuse it too (`ProtectedError`, a 409 on the API)."""
    locked = LearnerGroup.objects.select_for_update().get(pk=group.pk)
    if locked.children.exists():
        raise Conflict("has_children", "This group has subgroups; move or delete them first.")
    locked.delete()


@transaction.atomic
def add_member(*, user: User, group: LearnerGroup, expires_at: dt.datetime | None = None,
               is_admin: bool = False) -> Membership:
    """Make `user` a member of `group` (or update their membership): safe to repeat."""
    membership, created = Membership.objects.select_for_update().get_or_create(
        user=user, group=group, defaults={"expires_at": expires_at, "is_admin": is_admin})
    if not created:
        membership.expires_at = expires_at
        membership.is_admin = is_admin or membership.is_admin
        membership.save(update_fields=["expires_at", "is_admin", "updated_at"])
    return membership


@transaction.atomic
def update_membership(membership: Membership, **changes) -> Membership:
    """Change a membership's `expires_at`, `is_admin`, `user` or `group`; a learner is in a
    group once (409 `already_member`)."""
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    for name, value in changes.items():
        setattr(locked, name, value)
    clash = Membership.objects.filter(user=locked.user_id, group=locked.group_id)\
        .exclude(pk=locked.pk)
    if clash.exists():
        raise Conflict("already_member", "This learner is already a member of this group.",
                       field="group")
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError:  # the same membership made concurrently
        raise Conflict("already_member", "This learner is already a member of this group.",
                       field="group") from None
    return locked


@transaction.atomic
def remove_member(membership: Membership) -> None:
    """End a membership (the row goes: memberships are not history)."""
    Membership.objects.filter(pk=membership.pk).delete()


def add_tags(user: User, tags: list[str]) -> list[UserTag]:
    """Give `user` each tag once; joins the caller's transaction."""
    added = []
    for tag in (t.strip() for t in tags):
        if not tag:
            continue
        try:
            with transaction.atomic():
                obj, _ = UserTag.objects.get_or_create(user=user, tag=tag[:100])
        except IntegrityError:  # a concurrent request added it first
            obj = UserTag.objects.get(user=user, tag=tag[:100])
        added.append(obj)
    return added


@transaction.atomic
def set_password(user: User, password: str) -> User:
    """Give `user` a new password (it must have passed the validators: the forms run them)
    and end everything the old one opened: their sessions elsewhere end by themselves (each
    carries a hash of the password, which no longer matches), and every OAuth token they
    hold is revoked here — access tokens deleted, refresh tokens marked revoked. The page
    that changes it keeps its own session with `update_session_auth_hash`."""
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    get_access_token_model().objects.filter(user=user).delete()
    get_refresh_token_model().objects.filter(user=user, revoked__isnull=True).update(
        revoked=timezone.now())
    return user


def register_learner(*, email: str, password: str | None = None, full_name: str = "",
                     password_hash: str | None = None) -> User:
    """Create a learner who logs in with `email`; refuses an email already registered (in
    any case). The password (or its hash, from a registration link: `accounts.registration`)
    must already have passed the validators (the form runs them)."""
    email = User.objects.normalize_email(email.strip()).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken(field="email")
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password,
                                            full_name=full_name.strip())
            if password_hash is not None:
                user.password = password_hash
                user.save(update_fields=["password"])
            return user
    except IntegrityError:  # registered by a concurrent request
        raise EmailTaken(field="email") from None
