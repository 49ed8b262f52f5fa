"""Settings for the benchmark server only: Entitle's own, plus the bench app and its URLs.

`bench/run.py` serves with `DJANGO_SETTINGS_MODULE=bench.settings`; production never loads
this module, so the ceiling views are never reachable there.
"""

from config.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
ROOT_URLCONF = "bench.urls"
