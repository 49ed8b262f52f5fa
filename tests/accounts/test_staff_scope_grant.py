"""The `staff` scope is granted to an OAuth application on its admin page, by staff holding
`accounts.grant_staff_scope` (a checkbox the others do not see); the
`OAUTH_STAFF_APPLICATIONS` setting keeps working (`tests/accounts/test_permissions.py`)."""

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from accounts.models import StaffScopeGrant
from tests.dialects.zype.support import PASSWORD, oauth_application
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
APPLICATIONS = "/admin/oauth2_provider/application/"


def staff_token_answer(application, user):
    return APIClient().post("/oauth/token/", {
        "grant_type": "password", "username": user.email, "password": PASSWORD,
        "client_id": application.client_id, "scope": "staff"})


def save_application_page(client, application, **changes):
    """Post the application's admin page as shown, with `changes`."""
    page = client.get(f"{APPLICATIONS}{application.pk}/change/")
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()
            if v is not False and k != "staff_scope"}  # the box: unticked unless changed
    data.update(changes)
    response = client.post(f"{APPLICATIONS}{application.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return page


@pytest.fixture
def admin_user(db):
    return UserFactory(is_staff=True, is_superuser=True, password=PASSWORD)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_ticking_staff_scope_lets_the_applications_tokens_act_as_staff(admin_client,
                                                                        admin_user):
    application = oauth_application()
    assert staff_token_answer(application, admin_user).json()["error"] == "invalid_scope"
    save_application_page(admin_client, application, staff_scope="on")
    assert StaffScopeGrant.objects.get().granted_by == str(admin_user)
    assert staff_token_answer(application, admin_user).status_code == 200


def test_unticking_it_takes_the_staff_scope_back(admin_client, admin_user):
    application = oauth_application()
    StaffScopeGrant.objects.create(application=application)
    save_application_page(admin_client, application)  # the box left unticked
    assert not StaffScopeGrant.objects.exists()
    assert staff_token_answer(application, admin_user).json()["error"] == "invalid_scope"


def test_staff_without_the_permission_neither_see_nor_grant_it(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="oauth2_provider", codename__endswith="_application"))
    client.force_login(staff)
    application = oauth_application()
    page = save_application_page(client, application, staff_scope="on")
    assert "staff_scope" not in page.content.decode()
    assert not StaffScopeGrant.objects.exists()
