"""Every domain refusal has an entry in every dialect's table, so a new error class cannot
reach a dialect unmapped: it fails here until each dialect says how it words it."""

import importlib
from pathlib import Path

import pytest

from core.envelopes import Refusals
from core.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
APPS = ["core", "accounts", "events", "catalog", "licensing", "redemptions", "coupons"]
DIALECTS = sorted(p.name for p in (ROOT / "dialects").iterdir()  # a new one is checked too
                  if (p / "__init__.py").exists() and p.name != "common")


def _every_domain_error() -> set[type[DomainError]]:
    for app in APPS:  # every module of the domain, so each class defined anywhere is seen
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts and "management" not in path.parts:
                importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    found, todo = set(), [DomainError]
    while todo:
        klass = todo.pop()
        found.add(klass)
        todo.extend(klass.__subclasses__())
    return {k for k in found if k.__module__.split(".")[0] in APPS}


def test_every_wire_language_is_checked():
    assert DIALECTS == ["edubrite", "native", "thought_industries", "tizra", "zype"]


def test_the_walk_finds_the_refusals_of_every_app():
    modules = {k.__module__.split(".")[0] for k in _every_domain_error()}
    assert modules == set(APPS)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_domain_error_class_has_an_entry_in_the_dialects_table(dialect):
    table = importlib.import_module(f"dialects.{dialect}.errors").REFUSALS
    assert isinstance(table, Refusals)
    missing = sorted(f"{k.__module__}.{k.__qualname__}" for k in _every_domain_error()
                     if k not in table.table)
    assert missing == []
