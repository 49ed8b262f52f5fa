"""OAuth2 scopes per application: every application's tokens may carry the learner scopes;
the `staff` scope only for applications granted it: on the application's admin page (a
`StaffScopeGrant`, by staff holding `accounts.grant_staff_scope`) or in the
`OAUTH_STAFF_APPLICATIONS` setting."""

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator

from accounts.models import StaffScopeGrant
from accounts.permissions import LEARNER_SCOPES, SCOPE_STAFF


def allowed_scopes(client_id: str) -> set[str]:
    scopes = set(LEARNER_SCOPES)
    if (client_id in settings.OAUTH_STAFF_APPLICATIONS
            or StaffScopeGrant.objects.filter(application__client_id=client_id).exists()):
        scopes.add(SCOPE_STAFF)
    return scopes


class ScopeValidator(OAuth2Validator):
    """Refuses (invalid_scope) a scope the application was not granted."""

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        if not set(scopes) <= allowed_scopes(client_id):
            return False
        return super().validate_scopes(client_id, scopes, client, request, *args, **kwargs)
