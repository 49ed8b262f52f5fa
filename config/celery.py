"""The Celery app: workers run `celery -A config worker` (and one `celery -A config beat`, or
`worker -B` on one machine, for the periodic sweep of due webhook deliveries).

Settings come from Django's, under the `CELERY_` prefix (`config/settings.py`); each app's
`tasks.py` is found by autodiscovery.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("entitle")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
