"""Learner groups and memberships through /api/v1/."""

from accounts.models import Membership
from tests.factories import LearnerGroupFactory, UserFactory


def test_create_a_nested_group(api, db):
    parent = LearnerGroupFactory(name="Training")
    response = api.post("/api/v1/learner-groups",
                        {"name": "Corporate", "code": "CORP", "parent": str(parent.pk)},
                        format="json")
    assert response.status_code == 201, response.content
    assert response.json()["parent"] == str(parent.pk)


def test_a_group_cannot_move_under_its_own_subgroup(api, db):
    top = LearnerGroupFactory()
    child = LearnerGroupFactory(parent=top)
    response = api.patch(f"/api/v1/learner-groups/{top.pk}", {"parent": str(child.pk)},
                         format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "group_cycle"


def test_a_group_with_subgroups_cannot_be_deleted(api, db):
    top = LearnerGroupFactory()
    LearnerGroupFactory(parent=top)
    assert api.delete(f"/api/v1/learner-groups/{top.pk}").status_code == 409


def test_add_a_member_by_email_and_again_updates(api, db):
    group = LearnerGroupFactory()
    user = UserFactory(email="ada@example.com")
    body = {"user": "ADA@example.com", "group": str(group.pk), "is_admin": True}
    first = api.post("/api/v1/memberships", body, format="json")
    assert first.status_code == 201, first.content
    again = api.post("/api/v1/memberships", {**body, "expires_at": "2030-01-01T00:00:00Z"},
                     format="json")
    assert again.status_code == 201
    membership = Membership.objects.get(user=user, group=group)
    assert membership.is_admin and membership.expires_at.year == 2030


def test_unknown_member_email_is_a_400_naming_the_field(api, db):
    group = LearnerGroupFactory()
    response = api.post("/api/v1/memberships", {"user": "nobody@example.com",
                                                "group": str(group.pk)}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "user"


def test_memberships_filter_by_group(api, db):
    group = LearnerGroupFactory()
    Membership.objects.create(user=UserFactory(), group=group)
    Membership.objects.create(user=UserFactory(), group=LearnerGroupFactory())
    body = api.get("/api/v1/memberships", {"group": str(group.pk)}).json()
    assert body["pagination"]["count"] == 1


def test_patch_a_membership_changes_its_expiry(api, db):
    membership = Membership.objects.create(user=UserFactory(), group=LearnerGroupFactory())
    response = api.patch(f"/api/v1/memberships/{membership.pk}",
                         {"expires_at": "2031-01-01T00:00:00Z"}, format="json")
    assert response.status_code == 200, response.content
    membership.refresh_from_db()
    assert membership.expires_at.year == 2031


def test_delete_a_membership_removes_it(api, db):
    membership = Membership.objects.create(user=UserFactory(), group=LearnerGroupFactory())
    assert api.delete(f"/api/v1/memberships/{membership.pk}").status_code == 204
    assert not Membership.objects.filter(pk=membership.pk).exists()


def test_rename_a_group(api, db):
    group = LearnerGroupFactory(name="Old")
    response = api.patch(f"/api/v1/learner-groups/{group.pk}", {"name": "New"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "New"


def test_delete_an_empty_group(api, db):
    group = LearnerGroupFactory()
    assert api.delete(f"/api/v1/learner-groups/{group.pk}").status_code == 204
