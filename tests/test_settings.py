"""Settings come from the environment and refuse unsafe production values."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _import_settings(**env):
    clean = {k: v for k, v in os.environ.items()
             if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "SECURE_SSL_REDIRECT",
                          "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"}}
    return subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.SECURE_SSL_REDIRECT)"],
        cwd=ROOT, env={**clean, **env}, capture_output=True, text=True, check=False,
    )


def test_debug_off_refuses_the_default_secret_key():
    result = _import_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_off_with_a_real_key_turns_https_on():
    result = _import_settings(DEBUG="0", SECRET_KEY="a-real-secret-from-the-environment")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_https_redirect_can_be_turned_off_for_a_proxy():
    result = _import_settings(DEBUG="0", SECRET_KEY="x" * 40, SECURE_SSL_REDIRECT="0")
    assert result.stdout.strip() == "False"


def _settings_value(expression: str, **env) -> str:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "NUM_PROXIES",
                          "SECURE_HSTS_SECONDS", "DB_POOL_MAX_SIZE"}}
    result = subprocess.run(
        [sys.executable, "-c", f"import config.settings as s; print({expression})"],
        cwd=ROOT, env={**clean, "DEBUG": "0", "SECRET_KEY": "x" * 50, **env},
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_production_turns_hsts_on_by_default():
    assert int(_settings_value("s.SECURE_HSTS_SECONDS")) >= 365 * 24 * 3600


def test_x_forwarded_proto_is_not_trusted_without_a_proxy_in_front():
    assert _settings_value("getattr(s, 'SECURE_PROXY_SSL_HEADER', None)") == "None"


def test_x_forwarded_proto_is_trusted_when_a_proxy_is_said_to_be_in_front():
    assert _settings_value("s.SECURE_PROXY_SSL_HEADER", NUM_PROXIES="1") == \
        "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_db_pool_max_size_turns_on_djangos_psycopg_pool_in_place_of_persistent_connections():
    value = _settings_value("(s.DATABASES['default']['OPTIONS']['pool']['max_size'], "
                            "s.DATABASES['default']['CONN_MAX_AGE'])",
                            DATABASE_URL="postgres://u@db.internal:5432/entitle",
                            DB_POOL_MAX_SIZE="3")
    assert value == "(3, 0)"


def test_without_db_pool_max_size_there_is_no_pool():
    assert _settings_value("'pool' in s.DATABASES['default'].get('OPTIONS', {})",
                           DATABASE_URL="postgres://u@db.internal:5432/entitle") == "False"


def test_an_unknown_log_format_is_refused():
    result = _import_settings(DEBUG="0", SECRET_KEY="x" * 40, LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be json or text" in result.stderr
