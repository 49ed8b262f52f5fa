"""On whose behalf a request acts (`accounts.validators.acting_for`), the one rule every
dialect calls; acting for someone else needs the operation's permission."""

import pytest

from accounts.authentication import ApiClient
from accounts.errors import LearnerNotFound, LearnerRequired, NotPermitted, NotYourself
from accounts.validators import acting_for
from tests.factories import ApiKeyFactory, UserFactory

pytestmark = pytest.mark.django_db

ON_BEHALF = "redemptions.redeem_on_behalf"


@pytest.fixture
def api_client():
    key, _ = ApiKeyFactory.create_with_key()
    return ApiClient(api_key=key)


def test_a_learner_naming_no_one_acts_for_themselves():
    learner = UserFactory()
    assert acting_for(learner, None, perm=ON_BEHALF) == learner


def test_a_learner_may_name_themselves_by_email_in_any_case_or_by_id():
    learner = UserFactory(email="cy@example.com")
    assert acting_for(learner, "CY@example.com", perm=ON_BEHALF) == learner
    assert acting_for(learner, str(learner.pk), perm=ON_BEHALF) == learner


def test_a_learner_naming_someone_else_is_refused_whether_or_not_they_exist():
    learner, other = UserFactory(), UserFactory()
    for ref in (other.email, "ghost@example.com"):
        with pytest.raises(NotYourself) as exc:
            acting_for(learner, ref, perm=ON_BEHALF)
        assert (exc.value.http_status, exc.value.field) == (403, "user")


def test_an_api_key_must_name_the_learner(api_client):
    with pytest.raises(LearnerRequired) as exc:
        acting_for(api_client, None, perm=ON_BEHALF)
    assert (exc.value.http_status, exc.value.code) == (400, "required")


def test_an_api_key_acts_for_the_learner_it_names(api_client):
    learner = UserFactory()
    assert acting_for(api_client, learner.email, perm=ON_BEHALF) == learner


def test_staff_naming_no_one_act_for_themselves():
    staff = UserFactory(is_staff=True)
    assert acting_for(staff, None, perm=ON_BEHALF) == staff


def test_a_name_matching_no_learner_is_a_404_naming_the_field(api_client):
    with pytest.raises(LearnerNotFound) as exc:
        acting_for(api_client, "ghost@example.com", field="userName", perm=ON_BEHALF)
    assert (exc.value.http_status, exc.value.field) == (404, "userName")


def test_staff_without_the_permission_may_not_name_a_learner():
    staff, learner = UserFactory(is_staff=True), UserFactory()
    with pytest.raises(NotPermitted) as exc:
        acting_for(staff, learner.email, perm=ON_BEHALF)
    assert (exc.value.http_status, exc.value.code) == (403, "not_permitted")


def test_an_api_key_whose_role_lacks_the_permission_may_not_name_a_learner():
    key, _ = ApiKeyFactory.create_with_key(role="licensing")
    with pytest.raises(NotPermitted):
        acting_for(ApiClient(api_key=key), UserFactory().email, perm=ON_BEHALF)
