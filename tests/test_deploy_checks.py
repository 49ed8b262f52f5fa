"""`manage.py check --deploy` with the production environment docs/deploy.md documents (its
env block, run as written) prints no warning, and every check silenced is explained there."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "deploy.md"


def documented_environment() -> dict[str, str]:
    block = re.search(r"```env\n(.*?)```", GUIDE.read_text(), re.S).group(1)
    env = {}
    for line in block.splitlines():
        name, _, value = line.partition("=")
        if value.startswith("<"):  # yours to make: a fresh key
            value = secrets.token_urlsafe(50)
        env[name] = value
    return env


def test_the_documented_production_settings_pass_check_deploy_without_a_warning():
    inherited = {k: v for k, v in os.environ.items()
                 if k in {"PATH", "HOME", "LANG", "PYTHONPATH", "VIRTUAL_ENV"}}
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env={**inherited, **documented_environment(),
                       "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_every_silenced_check_is_explained_in_the_guide():
    guide = GUIDE.read_text()
    assert [c for c in settings.SILENCED_SYSTEM_CHECKS if f"`{c}`" not in guide] == []
