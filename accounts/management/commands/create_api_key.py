"""`manage.py create_api_key NAME [--role R]`: make an API key of a role and print it once,
as the last token."""

from django.core.management.base import BaseCommand

from accounts.models import ApiKey
from accounts.roles import ROLES


class Command(BaseCommand):
    help = "Create an API key. The key is shown once, as the last token of the output."

    def add_arguments(self, parser):
        parser.add_argument("name", help="What the key is for (e.g. 'LMS production').")
        parser.add_argument("--role", choices=list(ROLES), default="read-only",
                            help="The permissions the key carries (README, Permissions).")

    def handle(self, *args, name: str, role: str, **options):
        _, key = ApiKey.objects.create_key(name=name[:50], role=role)
        self.stdout.write(f"API key for {name!r}, role {role} (stored hashed; copy it now): "
                          f"{key}")
