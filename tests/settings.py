"""Settings for the test suite: Entitle's own settings module, with a test environment.

`make test` sets DATABASE_URL (PostgreSQL when one answers, else SQLite); this module only
fills in what a test run needs and a developer would not export by hand.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/entitle")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# The delivery tests send webhooks to a receiver on loopback, through a real worker and Redis
# (a database number of the suite's own: TEST_REDIS_URL, flushed first).
os.environ.setdefault("WEBHOOKS_ALLOW_PRIVATE", "1")
os.environ.setdefault("ACCESS_LOG", "0")  # the access log tests turn it on (caplog)
os.environ["CELERY_BROKER_URL"] = os.environ.get(  # never a developer's own broker
    "TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test users
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405  (threads in tests open their own)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # noqa: F405
