"""Make the credentials the fuzz run sends, and a little data, in DATABASE_URL's database.

`python -m tests.fuzz.prepare` prints one JSON object: an API key (Bearer, Zype's
`api_key`, EduBrite's `authCode`), a staff user's email and password (Tizra's HTTP Basic)
and a learner's OAuth2 access token (Zype's `access_token`, v1's learner Bearer). The learner
holds a bundle through an entitlement and belongs to a group, and a client has a course, so
lists and details render real rows while they are fuzzed.
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

    from accounts.models import ApiKey, LearnerGroup, User
    from accounts.services import add_member
    from catalog import services as catalog
    from catalog.models import ItemKind

    _, api_key = ApiKey.objects.create_key(name="schemathesis", role="full")
    password = secrets.token_urlsafe(16)
    staff = User.objects.create_superuser("fuzz-staff@example.com", password)
    learner = User.objects.create_user("fuzz-learner@example.com", secrets.token_urlsafe(16))
    app = Application.objects.create(
        name="schemathesis", client_type=Application.CLIENT_PUBLIC,
        authorization_grant_type=Application.GRANT_PASSWORD,
    )
    token = AccessToken.objects.create(
        user=learner, application=app, token=secrets.token_urlsafe(32), scope="read:own redeem",
        expires=timezone.now() + timedelta(hours=2),
    )
    course = catalog.create_item(kind=ItemKind.COURSE, title="Fuzzing 101", slug="fuzzing-101",
                                 external_id="FUZZ-1", price_cents=4900)
    bundle = catalog.create_item(kind=ItemKind.BUNDLE, title="Fuzzing bundle", includes=[course])
    catalog.create_client(name="Fuzz Corp", school_name="Fuzz School").courses.add(course)
    catalog.grant_entitlement(user=learner, item=bundle, expires_at=None)
    add_member(user=learner, group=LearnerGroup.objects.create(name="Fuzzers", code="FUZZ"))
    print(json.dumps({"api_key": api_key, "staff_email": staff.email, "staff_password": password,
                      "learner_token": token.token}))


if __name__ == "__main__":
    main()
