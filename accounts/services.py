"""State changes of accounts: learner registration, learner groups, memberships, tags."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from accounts.errors import AccountsError
from accounts.models import LearnerGroup, Membership, User, UserTag


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


class EmailTaken(AccountsError):
    default_code = "email_taken"
    default_message = "An account with this email address already exists."
    http_status = 409


def register_learner(*, email: str, password: str, full_name: str = "") -> User:
    """Create a learner who logs in with `email`; refuses an email already registered (in
    any case). The password must already have passed the validators (the form runs them)."""
    email = User.objects.normalize_email(email.strip()).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken(field="email")
    try:
        with transaction.atomic():
            return User.objects.create_user(email=email, password=password,
                                            full_name=full_name.strip())
    except IntegrityError:  # registered by a concurrent request
        raise EmailTaken(field="email") from None
