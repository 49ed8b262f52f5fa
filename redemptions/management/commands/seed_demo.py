"""`manage.py seed_demo`: a few courses, a bundle, a client, a staff user, a learner, a group
of demo codes for the bundle and a fresh API key.

Safe to re-run: existing demo rows are kept, the demo codes not redeemed yet are printed
again, and a new API key is printed each time (keys are stored hashed, so an old one cannot be
shown again). It refuses to run with DEBUG off unless `--force` is given: its staff account
and password are public. It lives in `redemptions` because it makes codes, the top of the app graph.
"""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import ApiKey, User
from catalog import services
from catalog.models import CatalogItem, Client, ItemKind
from redemptions import services as redemption_services
from redemptions.models import CodeGroup

DEMO_GROUP = "Demo codes"
COURSES = [
    ("onboarding-essentials", "Onboarding Essentials", 4900),
    ("data-privacy-basics", "Data Privacy Basics", 2900),
    ("advanced-negotiation", "Advanced Negotiation", 9900),
]


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print a working API key."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true",
                            help="run even with DEBUG off (a production database gets a "
                                 "superuser whose password is in the README)")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo makes a superuser with a published password: it runs only with "
                "DEBUG=1 (as `make run` does). Add --force to load it anyway.")
        self.seed()

    @transaction.atomic
    def seed(self):
        courses = []
        for slug, title, price in COURSES:
            item, _ = CatalogItem.objects.get_or_create(
                external_id=f"demo-{slug}",
                defaults={"kind": ItemKind.COURSE, "title": title, "slug": slug,
                          "price_cents": price})
            courses.append(item)
        bundle, created = CatalogItem.objects.get_or_create(
            external_id="demo-starter-bundle",
            defaults={"kind": ItemKind.BUNDLE, "title": "Starter Bundle",
                      "slug": "starter-bundle", "price_cents": 6900})
        if created:
            services.set_includes(bundle, courses[:2])
        CatalogItem.objects.get_or_create(
            external_id="demo-welcome-video",
            defaults={"kind": ItemKind.VIDEO, "title": "Welcome Video", "slug": "welcome-video"})
        client, _ = Client.objects.get_or_create(name="Acme Corp",
                                                 defaults={"school_name": "Acme Academy"})
        client.courses.add(*courses)

        email = os.environ.get("DEMO_STAFF_EMAIL", "staff@example.com")
        password = os.environ.get("DEMO_STAFF_PASSWORD", "entitle-demo")
        if not User.objects.filter(email=email).exists():
            User.objects.create_superuser(email=email, password=password)
        learner_email = "learner@example.com"
        if not User.objects.filter(email=learner_email).exists():
            User.objects.create_user(email=learner_email, password=password)

        group = CodeGroup.objects.filter(label=DEMO_GROUP).first()
        if group is None:
            offer = redemption_services.create_offer(redemption_services.OfferTerms(
                name="Starter Bundle, 365 days", items=[bundle], access_days=365))
            group = CodeGroup.objects.create_with_codes(
                label=DEMO_GROUP, offer=offer, count=5, code_length=10)
        unused = [c.code for c in group.codes.filter(redemptions_count=0).order_by("id")]

        # The demo's key acts for the README's examples (redeem on a learner's behalf, grants).
        _, key = ApiKey.objects.create_key(name="demo", role="full")
        self.stdout.write(f"Demo data ready. Staff login: {email} / {password} at /admin/")
        self.stdout.write(f"Learner login: {learner_email} / {password}")
        if unused:
            self.stdout.write(f"Demo codes for the Starter Bundle (try them at /redeem/): "
                              f"{', '.join(unused)}")
        self.stdout.write(f"API key (shown once): {key}")
