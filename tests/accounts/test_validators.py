"""On whose behalf a request acts (`accounts.validators.acting_for`), the one rule every
dialect calls."""

import pytest

from accounts.authentication import ApiClient
from accounts.errors import LearnerNotFound, LearnerRequired, NotYourself
from accounts.validators import acting_for
from tests.factories import ApiKeyFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api_client():
    key, _ = ApiKeyFactory.create_with_key()
    return ApiClient(api_key=key)


def test_a_learner_naming_no_one_acts_for_themselves():
    learner = UserFactory()
    assert acting_for(learner, None) == learner


def test_a_learner_may_name_themselves_by_email_in_any_case_or_by_id():
    learner = UserFactory(email="cy@example.com")
    assert acting_for(learner, "CY@example.com") == learner
    assert acting_for(learner, str(learner.pk)) == learner


def test_a_learner_naming_someone_else_is_refused_whether_or_not_they_exist():
    learner, other = UserFactory(), UserFactory()
    for ref in (other.email, "ghost@example.com"):
        with pytest.raises(NotYourself) as exc:
            acting_for(learner, ref)
        assert (exc.value.http_status, exc.value.field) == (403, "user")


def test_an_api_key_must_name_the_learner(api_client):
    with pytest.raises(LearnerRequired) as exc:
        acting_for(api_client, None)
    assert (exc.value.http_status, exc.value.code) == (400, "required")


def test_an_api_key_acts_for_the_learner_it_names(api_client):
    learner = UserFactory()
    assert acting_for(api_client, learner.email) == learner


def test_staff_naming_no_one_act_for_themselves():
    staff = UserFactory(is_staff=True)
    assert acting_for(staff, None) == staff


def test_a_name_matching_no_learner_is_a_404_naming_the_field(api_client):
    with pytest.raises(LearnerNotFound) as exc:
        acting_for(api_client, "ghost@example.com", field="userName")
    assert (exc.value.http_status, exc.value.field) == (404, "userName")
