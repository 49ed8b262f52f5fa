"""accounts.services for groups and memberships: what /api/v1/learner-groups and
/api/v1/memberships call to write."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts import services
from accounts.errors import AccountsError
from accounts.models import LearnerGroup, Membership
from core.errors import Conflict
from tests.factories import LearnerGroupFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_create_group_under_a_parent():
    parent = LearnerGroupFactory()
    group = services.create_group(name="Corporate", code="CORP", parent=parent)
    assert LearnerGroup.objects.get(pk=group.pk).parent == parent


def test_update_group_renames_it_and_moves_it():
    group, parent = LearnerGroupFactory(), LearnerGroupFactory()
    services.update_group(group, name="Renamed", parent=parent)
    group.refresh_from_db()
    assert (group.name, group.parent) == ("Renamed", parent)


def test_update_group_without_a_parent_keeps_the_parent():
    parent = LearnerGroupFactory()
    group = LearnerGroupFactory(parent=parent)
    services.update_group(group, code="NEW")
    group.refresh_from_db()
    assert (group.code, group.parent) == ("NEW", parent)


def test_update_group_refuses_moving_it_under_its_subgroup():
    top = LearnerGroupFactory()
    child = LearnerGroupFactory(parent=top)
    with pytest.raises(AccountsError):
        services.update_group(top, parent=child)
    top.refresh_from_db()
    assert top.parent is None


def test_delete_group_refuses_one_with_subgroups_and_keeps_it():
    top = LearnerGroupFactory()
    LearnerGroupFactory(parent=top)
    with pytest.raises(Conflict) as refusal:
        services.delete_group(top)
    assert refusal.value.code == "has_children"
    assert LearnerGroup.objects.filter(pk=top.pk).exists()


def test_delete_group_deletes_an_empty_group_with_its_memberships():
    membership = MembershipFactory()
    services.delete_group(membership.group)
    assert not LearnerGroup.objects.exists() and not Membership.objects.exists()


def test_update_membership_changes_expiry_and_admin_flag():
    membership = MembershipFactory()
    until = timezone.now() + dt.timedelta(days=7)
    services.update_membership(membership, expires_at=until, is_admin=True)
    membership.refresh_from_db()
    assert (membership.expires_at, membership.is_admin) == (until, True)


def test_moving_a_membership_to_a_group_the_learner_is_in_is_a_409():
    learner, group = UserFactory(), LearnerGroupFactory()
    MembershipFactory(user=learner, group=group)
    other = MembershipFactory(user=learner)
    with pytest.raises(Conflict) as refusal:
        services.update_membership(other, group=group)
    assert refusal.value.code == "already_member"


def test_remove_member_deletes_the_membership():
    membership = MembershipFactory()
    services.remove_member(membership)
    assert not Membership.objects.filter(pk=membership.pk).exists()
