"""The dependency arrows of DESIGN.md hold in the code: no app imports an app above it
(core under everything; accounts, events and jobs above it — jobs write their `job.finished`
event — then catalog; licensing; redemptions and coupons on top); no app imports a dialect;
dialects never import each other (only `dialects.common`); and nothing imports a dialect but
`config/urls.py` (settings name two by dotted path)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ["core", "accounts", "events", "jobs", "catalog", "licensing", "redemptions", "coupons"]
MAY_IMPORT = {
    "core": set(),
    "accounts": {"core"},
    "events": {"core"},
    "jobs": {"core", "events"},
    "catalog": {"core", "accounts", "events", "jobs"},
    "licensing": {"core", "accounts", "events", "jobs", "catalog"},
    "redemptions": {"core", "accounts", "events", "jobs", "catalog", "licensing"},
    "coupons": {"core", "accounts", "events", "jobs", "catalog"},
}


DIALECTS = sorted(p.name for p in (ROOT / "dialects").iterdir()
                  if p.is_dir() and (p / "__init__.py").exists() and p.name != "common")


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update(names)
    return found


def _imported_apps(path: Path) -> set[str]:
    return {name.split(".")[0] for name in _imported_modules(path)} & set(APPS)


def _imported_dialects(path: Path) -> set[str]:
    """The dialect packages `path` imports (`dialects.common` is plumbing, not a dialect)."""
    found = set()
    for name in _imported_modules(path):
        parts = name.split(".")
        if parts[0] == "dialects" and len(parts) > 1 and parts[1] != "common":
            found.add(parts[1])
        elif name == "dialects":
            found.add("dialects")
    return found


def _python_files(*folders: str):
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


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


def test_no_app_imports_a_dialect():
    wrong = {str(p.relative_to(ROOT)): sorted(_imported_dialects(p) | (
        {"common"} if any(n.startswith("dialects.common") for n in _imported_modules(p))
        else set())) for p in _python_files(*APPS)}
    assert {path: names for path, names in wrong.items() if names} == {}


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_dialect_imports_no_other_dialect(dialect):
    wrong = {str(p.relative_to(ROOT)): sorted(_imported_dialects(p) - {dialect})
             for p in _python_files(f"dialects/{dialect}")}
    assert {path: names for path, names in wrong.items() if names} == {}


def test_dialects_common_imports_no_dialect():
    wrong = {str(p.relative_to(ROOT)): sorted(_imported_dialects(p))
             for p in _python_files("dialects/common")}
    assert {path: names for path, names in wrong.items() if names} == {}


def test_nothing_but_the_url_wiring_imports_a_dialect():
    outside = [p for p in _python_files("config", "core", *APPS, "bench")
               if p != ROOT / "config" / "urls.py"]
    wrong = {str(p.relative_to(ROOT)): sorted(_imported_dialects(p)) for p in outside}
    assert {path: names for path, names in wrong.items() if names} == {}


def test_the_dialects_are_the_five_wire_languages():
    assert DIALECTS == ["edubrite", "native", "thought_industries", "tizra", "zype"]
