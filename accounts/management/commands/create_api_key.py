"""`manage.py create_api_key NAME`: make an API key and print it once, as the last token."""

from django.core.management.base import BaseCommand

from accounts.models import ApiKey


class Command(BaseCommand):
    help = "Create an API key. The key is shown once, as the last token of the output."

    def add_arguments(self, parser):
        parser.add_argument("name", help="What the key is for (e.g. 'LMS production').")

    def handle(self, *args, name: str, **options):
        _, key = ApiKey.objects.create_key(name=name[:50])
        self.stdout.write(f"API key for {name!r} (stored hashed; copy it now): {key}")
