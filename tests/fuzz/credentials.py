"""Make the credentials the fuzz run sends, in the database DATABASE_URL names; print them.

`python -m tests.fuzz.credentials` prints one JSON object: an API key (Bearer, Zype's
`api_key`, EduBrite's `authCode`), a staff user's email and password (Tizra's HTTP Basic)
and a learner's OAuth2 access token (Zype's `access_token`, v1's learner Bearer).
"""

import json
import os
import secrets
from datetime import timedelta

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.utils import timezone
    from oauth2_provider.models import AccessToken, Application

    from accounts.models import ApiKey, User

    _, api_key = ApiKey.objects.create_key(name="schemathesis")
    password = secrets.token_urlsafe(16)
    staff = User.objects.create_superuser("fuzz-staff@example.com", password)
    learner = User.objects.create_user("fuzz-learner@example.com", secrets.token_urlsafe(16))
    app = Application.objects.create(
        name="schemathesis", client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_PASSWORD,
    )
    token = AccessToken.objects.create(
        user=learner, application=app, token=secrets.token_urlsafe(32), scope="read redeem",
        expires=timezone.now() + timedelta(hours=2),
    )
    print(json.dumps({"api_key": api_key, "staff_email": staff.email, "staff_password": password,
                      "learner_token": token.token}))


if __name__ == "__main__":
    main()
