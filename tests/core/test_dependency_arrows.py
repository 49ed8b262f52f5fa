"""The dependency arrows of DESIGN.md hold in the code: no app imports an app above it
(core under everything; accounts, then catalog; licensing; redemptions and coupons on top)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ["core", "accounts", "catalog", "licensing", "redemptions", "coupons"]
MAY_IMPORT = {
    "core": set(),
    "accounts": {"core"},
    "catalog": {"core", "accounts"},
    "licensing": {"core", "accounts", "catalog"},
    "redemptions": {"core", "accounts", "catalog", "licensing"},
    "coupons": {"core", "accounts", "catalog"},
}


def _imported_apps(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(name.split(".")[0] for name in names)
    return found & set(APPS)


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_only_the_apps_beneath_it(app):
    wrong = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        above = _imported_apps(path) - MAY_IMPORT[app] - {app}
        if above:
            wrong[str(path.relative_to(ROOT))] = sorted(above)
    assert wrong == {}
