"""`User.objects.by_id_or_email`: the learner a request names, by id or by email in any case."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_email_finds_its_user_in_any_case():
    user = UserFactory(email="ada.lovelace@example.com")
    assert User.objects.by_id_or_email("  Ada.Lovelace@EXAMPLE.com ") == user


def test_an_id_finds_its_user():
    user = UserFactory()
    found = User.objects.by_id_or_email(str(user.pk))
    assert found == user and found.email == user.email and found.date_joined == user.date_joined


def test_wildcards_in_an_email_match_only_themselves():
    UserFactory(email="a_b@example.com")
    with pytest.raises(User.DoesNotExist):
        User.objects.by_id_or_email("a%b@example.com")
    with pytest.raises(User.DoesNotExist):
        User.objects.by_id_or_email("axb@example.com")


@pytest.mark.parametrize("text", ["nobody@example.com", str(uuid.uuid4()), "not-an-id", "a\x00@b"])
def test_no_such_user_is_does_not_exist(text):
    UserFactory()
    with pytest.raises(User.DoesNotExist):
        User.objects.by_id_or_email(text)


def test_an_email_lookup_is_one_query_on_the_upper_case_index():
    UserFactory(email="indexed@example.com")
    with CaptureQueriesContext(connection) as queries:
        User.objects.by_id_or_email("INDEXED@example.com")
    assert len(queries) == 1
    if connection.vendor == "postgresql":  # the expression `user_email_upper` indexes
        assert 'UPPER(u."email"::text) = UPPER(' in queries[0]["sql"]
