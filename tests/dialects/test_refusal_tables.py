"""Every domain refusal has a decision in every dialect, so a new error class cannot reach a
dialect unmapped: `refusal_decisions.txt` records, class by class, whether each dialect says
it in the domain's words or in its own (its `REFUSALS.own`), and these tests fail until a new
class has its row and every dialect's table agrees with its column."""

import importlib
from pathlib import Path

import pytest

from core.envelopes import AS_THE_DOMAIN_SAYS, Refusals
from core.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
APPS = ["core", "accounts", "events", "catalog", "licensing", "redemptions", "coupons"]
DIALECTS = sorted(p.name for p in (ROOT / "dialects").iterdir()  # a new one is checked too
                  if (p / "__init__.py").exists() and p.name != "common")
DECISIONS = Path(__file__).with_name("refusal_decisions.txt")


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


def _name(klass: type) -> str:
    return f"{klass.__module__}.{klass.__qualname__}"


def _decisions() -> tuple[list[str], list[list[str]]]:
    """The header's dialect names and the rows (class name, then a decision per dialect)."""
    lines = [line.split() for line in DECISIONS.read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    header, *rows = lines
    return header[1:], rows


def test_every_wire_language_is_checked():
    assert DIALECTS == ["edubrite", "native", "thought_industries", "tizra", "zype"]


def test_the_walk_finds_the_refusals_of_every_app():
    modules = {k.__module__.split(".")[0] for k in _every_domain_error()}
    assert modules == set(APPS)


def test_the_decisions_have_a_column_for_every_wire_language_and_only_known_words():
    dialects, rows = _decisions()
    assert dialects == DIALECTS
    assert [row[0] for row in rows if len(row) != len(dialects) + 1
            or not set(row[1:]) <= {"domain", "own"}] == []


def test_every_domain_error_class_has_one_row_of_decisions():
    _, rows = _decisions()
    named = [row[0] for row in rows]
    assert sorted(named) == sorted(set(named))  # one row each
    every = {_name(k) for k in _every_domain_error()}
    assert sorted(every - set(named)) == []  # a new class: add its row, deciding for each
    assert sorted(set(named) - every) == []  # a class gone: remove its row


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_domain_error_class_is_worded_as_the_dialect_decided(dialect):
    dialects, rows = _decisions()
    decided = {row[0]: row[1 + dialects.index(dialect)] for row in rows}
    table = importlib.import_module(f"dialects.{dialect}.errors").REFUSALS
    assert isinstance(table, Refusals)
    table_says = {_name(k): "domain" if table.wording(k) == AS_THE_DOMAIN_SAYS else "own"
                  for k in _every_domain_error()}
    assert sorted(name for name, says in table_says.items()
                  if decided.get(name) != says) == []
