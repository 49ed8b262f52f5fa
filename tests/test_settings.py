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


def test_an_unknown_log_format_is_refused():
    result = _import_settings(DEBUG="0", SECRET_KEY="x" * 40, LOG_FORMAT="xml")
    assert result.returncode != 0
    assert "LOG_FORMAT must be json or text" in result.stderr
