"""OAuth2 scopes per application: every application's tokens may carry the learner scopes;
the `staff` scope only for applications granted it (settings.OAUTH_STAFF_APPLICATIONS)."""

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator

from accounts.permissions import LEARNER_SCOPES, SCOPE_STAFF


def allowed_scopes(client_id: str) -> set[str]:
    scopes = set(LEARNER_SCOPES)
    if client_id in settings.OAUTH_STAFF_APPLICATIONS:
        scopes.add(SCOPE_STAFF)
    return scopes


class ScopeValidator(OAuth2Validator):
    """Refuses (invalid_scope) a scope the application was not granted."""

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        if not set(scopes) <= allowed_scopes(client_id):
            return False
        return super().validate_scopes(client_id, scopes, client, request, *args, **kwargs)
