"""Rows in and out of the hot paths (a redemption, the learner a request names) without the
ORM's work per call.

Django builds, compiles and quotes a statement's SQL on every call: on a redemption that was
more CPU than PostgreSQL spent on it (bench/README.md). The statements here are written once
per model (and database vendor), their columns taken from the model's own fields, and run
through Django's cursor (its transaction, its query log, the same connection); what comes back
becomes model instances as the ORM would make them (`Model.from_db`, the same converters).
The rules stay with the models and services that call these: this module only moves rows.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import inspect
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models.base import ModelState
from django.db.models.fields import AutoFieldMixin
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.signals import post_init, pre_init

# Statement text per (model, …, database alias): a few dozen at most, built on first use;
# the callers' own statement builders are kept alike.
cached = functools.lru_cache(maxsize=512)


def quoter(using: str = DEFAULT_DB_ALIAS):
    """The database's quoting of a table or column name."""
    return connections[using].ops.quote_name


def can_lock_rows(using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether `FOR UPDATE OF <alias>` may follow a SELECT (not on SQLite, where a write
    transaction holds the whole database and `select_for_update` is a no-op alike)."""
    return connections[using].features.has_select_for_update_of


def _is_generated(field: models.Field) -> bool:
    """A column the database fills in (an auto-increment key)."""
    return isinstance(field, AutoFieldMixin)


@cached
def select_columns(model: type[models.Model], alias: str, using: str = DEFAULT_DB_ALIAS) -> str:
    """The model's concrete columns, qualified by `alias`, in field order (what a
    hand-written SELECT lists, and `load` reads back in that order)."""
    quote = connections[using].ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in model._meta.concrete_fields)


def width(model: type[models.Model]) -> int:
    """How many columns `select_columns` lists (where the next model's columns start in a row)."""
    return len(model._meta.concrete_fields)


@cached
def _converters(model: type[models.Model], using: str) -> tuple:
    """(index, column, converters) for each concrete field whose value the ORM converts."""
    connection = connections[using]
    found = []
    for index, field in enumerate(model._meta.concrete_fields):
        col = field.get_col(model._meta.db_table)
        converters = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if converters:
            found.append((index, col, tuple(converters)))
    return tuple(found)


def load(model: type[models.Model], row: Sequence, start: int = 0,
         using: str = DEFAULT_DB_ALIAS) -> models.Model | None:
    """The instance in `row[start:start + width(model)]` (as `select_columns` listed them),
    or None when its key is NULL (a LEFT JOIN that found nothing)."""
    meta = model._meta
    values = list(row[start:start + width(model)])
    if values[meta.concrete_fields.index(meta.pk)] is None:
        return None
    converting = _converters(model, using)
    connection = connections[using] if converting else None
    for index, col, converters in converting:
        for convert in converters:
            values[index] = convert(values[index], col, connection)
    if not _built_plainly(model) or pre_init.has_listeners(model) \
            or post_init.has_listeners(model):
        return model.from_db(using, _attnames(model), values)
    # what `from_db` leaves, without `__init__`'s work per field and its two signals' sends
    obj = model.__new__(model)
    state = ModelState()
    state.adding, state.db = False, using
    obj.__dict__["_state"] = state
    obj.__dict__.update(zip(_attnames(model), values, strict=True))
    return obj


@cached
def _built_plainly(model: type[models.Model]) -> bool:
    """Whether `model.from_db` of a whole row only sets each field's attribute: Django's own
    `__init__` and `from_db`, and no attribute that does more when set than a foreign key's
    (which forgets a cached object: a new instance has none)."""
    if model.__init__ is not models.Model.__init__ \
            or model.from_db.__func__ is not models.Model.from_db.__func__:
        return False
    for name in _attnames(model):
        attribute = inspect.getattr_static(model, name, None)
        if hasattr(type(attribute), "__set__") \
                and type(attribute) is not ForeignKeyDeferredAttribute:
            return False
    return True


@cached
def _attnames(model: type[models.Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


@cached
def _insert_sql(model: type[models.Model], rows: int, using: str, with_key: bool,
                returning: bool) -> tuple[str, tuple[models.Field, ...]]:
    """The INSERT of `rows` rows: the generated key among the columns (`with_key`: its values
    drawn beforehand, `next_key_sql`) or read back (`returning`), or neither."""
    quote = connections[using].ops.quote_name
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if with_key or not _is_generated(f))
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
           f"VALUES {', '.join([row] * rows)}")
    if returning:
        sql += f" RETURNING {quote(meta.pk.column)}"
    return sql, fields


# Field classes (exactly these: a subclass may prepare values its own way) whose
# `get_db_prep_save` hands a value of these types to PostgreSQL as it is, a datetime only when
# it is aware (tests/core/test_rows.py compares each with Django's own preparation).
_AS_IS_ON_POSTGRESQL: dict[type[models.Field], tuple[type, ...]] = {
    models.CharField: (str,), models.TextField: (str,), models.BooleanField: (bool,),
    models.UUIDField: (uuid.UUID,),
    models.DateTimeField: (dt.datetime,),
}


def _as_is(field: models.Field) -> tuple[type, ...]:
    if type(field) is models.ForeignKey:  # its key's column, prepared by the key's field
        return _as_is(field.target_field)
    return _AS_IS_ON_POSTGRESQL.get(type(field), ())


def _reads_attribute(field: models.Field) -> bool:
    """Whether `field.pre_save` is the attribute's value (not `auto_now`'s time)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return False
    return type(field).pre_save in (models.Field.pre_save, models.DateField.pre_save,
                                    models.DateTimeField.pre_save)


# By the identity of the fields' tuple, which `_insert_sql` and `_update_sql` hand out the same
# each time (hashing it would cost a Python call per field); the entry keeps the tuple alive.
_preparations: dict[tuple[int, str], tuple] = {}


def _preparation(fields: tuple[models.Field, ...], using: str) -> tuple:
    """(field, its attribute name or None: ask `pre_save`, the types it passes as they are)."""
    found = _preparations.get((id(fields), using))
    if found is None or found[0] is not fields:
        if len(_preparations) >= 1024:  # tuples the statement caches let go of: forget them
            _preparations.clear()
        postgresql = connections[using].vendor == "postgresql"
        found = _preparations[id(fields), using] = (fields, tuple(
            (field, field.attname if _reads_attribute(field) else None,
             _as_is(field) if postgresql else ()) for field in fields))
    return found[1]


def _prepared(obj: models.Model, fields: tuple[models.Field, ...], add: bool,
              using: str) -> list:
    """`field.get_db_prep_save(field.pre_save(obj, add))` for each of `fields`, without the
    calls where they would give the value back as it is: a redemption's writes prepare about
    forty values."""
    connection = None
    values = []
    for field, attname, as_is in _preparation(fields, using):
        value = getattr(obj, attname) if attname else field.pre_save(obj, add)
        if type(value) in as_is and getattr(value, "tzinfo", True) is not None:
            values.append(value)
        else:
            connection = connection or connections[using]
            values.append(field.get_db_prep_save(value, connection))
    return values


def insert(objs: list[models.Model], using: str = DEFAULT_DB_ALIAS) -> None:
    """INSERT `objs` (all of one model) in one statement, as `bulk_create` would: `auto_now`
    fields filled in; an auto-increment key is written when every object has one already
    (`next_key_sql`: the statement then waits in a pipeline, `together`, like an UPDATE),
    else read back onto each. No signals are sent (none of the models written this way has
    receivers: tests/core/test_rows.py)."""
    if objs:
        insert_and_fetch(objs, None, using=using)


def insert_and_fetch(objs: list[models.Model], sql: str | None, params: Sequence = (),
                     using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """`insert(objs)` and then the SELECT `sql`, sent one after the other without waiting
    (inside `together`: one round trip for both, and for the writes queued before them):
    the SELECT's rows, the keys read back onto `objs` meanwhile."""
    model = type(objs[0])
    connection = connections[using]
    generated = model._meta.pk if _is_generated(model._meta.pk) else None
    with_key = generated is not None and all(obj.pk is not None for obj in objs)
    returning = generated is not None and not with_key
    insert_sql, fields = _insert_sql(model, len(objs), using, with_key, returning)
    values = [value for obj in objs for value in _prepared(obj, fields, True, using)]
    if not returning and sql is None and _hold(using, insert_sql, values):
        _mark_saved(objs, using)
        return []
    insert_sql, values = _after_held(using, insert_sql, values)
    with contextlib.ExitStack() as cursors, _queued():
        inserting = cursors.enter_context(connection.cursor())
        inserting.execute(insert_sql, values)
        found = []
        if sql is not None:  # a cursor of its own: its rows are kept apart from the INSERT's
            selecting = cursors.enter_context(connection.cursor())
            selecting.execute(sql, params)
            found = selecting.fetchall()
        made = inserting.fetchall() if returning else ()
    for index, obj in enumerate(objs):
        if returning:
            setattr(obj, generated.attname, made[index][0])
    _mark_saved(objs, using)
    return found


def _mark_saved(objs: list[models.Model], using: str) -> None:
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using


def next_key_sql(model: type[models.Model], using: str = DEFAULT_DB_ALIAS) -> str | None:
    """An expression drawing the next value of `model`'s auto-increment key from its
    sequence (PostgreSQL), for a SELECT that is sent anyway to carry, so that the INSERT
    needs no RETURNING and can wait in a pipeline; None where keys come only from the
    INSERT (SQLite)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        return None
    meta = model._meta
    return (f"nextval(pg_get_serial_sequence('{connection.ops.quote_name(meta.db_table)}', "
            f"'{meta.pk.column}'))")


# Set while this module runs one of its own statements (`_queued`): the statements it knows
# need no answer before the next one goes out.
_ours: contextvars.ContextVar[bool] = contextvars.ContextVar("rows_ours", default=False)


@contextlib.contextmanager
def _queued() -> Iterator[None]:
    token = _ours.set(True)
    try:
        yield
    finally:
        _ours.reset(token)


@contextlib.contextmanager
def together(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Send this module's writes in this block to the server together (psycopg's pipeline
    mode): an `update`, or an `insert` reading no key back, goes out without waiting for its
    answer; the next read (a SELECT's rows, a RETURNING) or the block's end waits for all of
    them at once. Order and transaction are unchanged; an error surfaces at that wait, as
    the database error Django raises. Any other statement in the block (the ORM's) waits for
    its own answer as it would outside it, so its row counts hold. Elsewhere (SQLite) the
    block runs as it is."""
    connection = connections[using]
    if connection.vendor != "postgresql" or connection.connection is None:
        yield
        return

    def answered_unless_ours(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if not _ours.get():
            with connection.wrap_database_errors:  # a queued write's error, as Django's
                pipeline.sync()
        return result

    with connection.wrap_database_errors, connection.connection.pipeline() as pipeline, \
            connection.execute_wrapper(answered_unless_ours):
        yield


class _Held(NamedTuple):
    """The writes `one_statement` holds on one connection, to go out as one statement."""

    using: str
    statements: list[tuple[str, list]]


_held: contextvars.ContextVar[_Held | None] = contextvars.ContextVar("rows_held", default=None)


@contextlib.contextmanager
def one_statement(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Hold this module's writes in this block that read nothing back (`insert` with its keys
    drawn beforehand, `update`, `write`) and send them as one statement, PostgreSQL's
    data-modifying WITH: in front of the next INSERT this module sends (`insert_and_fetch`'s,
    even one reading its keys back), or on their own before any other statement and at the
    block's end. Each statement costs both sides its own parse, bind, execution and answer,
    and the client a cursor of its own (bench/README.md: a redemption's four writes as one).

    The writes then run on one snapshot, in no set order: none may read what another of
    them writes (an UPDATE of a row another INSERTs, one row UPDATEd twice). Keys and unique,
    check and deferred foreign-key constraints hold as they would statement by statement; an
    error surfaces where the statement's answer is read, as Django's database error. Enter
    it inside the transaction: a raise out of the block marks that transaction for rollback,
    so writes held and never sent cannot be missing from a committed one. Elsewhere (SQLite)
    each write runs as it comes."""
    connection = connections[using]
    if connection.vendor != "postgresql" or _held.get() is not None:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError("rows.one_statement() needs a transaction: enter it in atomic()")
    held = _Held(using, [])

    def held_first(execute, sql, params, many, context):
        _send_held(held)  # another statement: what is held goes first, in order
        return execute(sql, params, many, context)

    token = _held.set(held)
    try:
        with connection.execute_wrapper(held_first):
            yield
            _send_held(held)
    except BaseException:
        transaction.set_rollback(True, using=using)
        raise
    finally:
        _held.reset(token)


def _hold(using: str, sql: str, params: list) -> bool:
    """Hold a write for `one_statement`'s statement, if one is holding on `using`."""
    held = _held.get()
    if held is None or held.using != using:
        return False
    held.statements.append((sql, params))
    return True


def _with_clause(statements: list[tuple[str, list]]) -> tuple[str, list]:
    parts = ", ".join(f"w{index} AS ({sql})" for index, (sql, _) in enumerate(statements))
    return f"WITH {parts} ", [value for _, params in statements for value in params]


def _after_held(using: str, sql: str, params: list) -> tuple[str, list]:
    """The INSERT `sql` with the writes `one_statement` holds in front of it (taken)."""
    held = _held.get()
    if held is None or held.using != using or not held.statements:
        return sql, params
    prefix, before = _with_clause(held.statements)
    held.statements.clear()
    return prefix + sql, [*before, *params]


def _send_held(held: _Held) -> None:
    """Send what `held` holds as one statement: its last write, the others in front."""
    if not held.statements:
        return
    *before, (sql, params) = held.statements
    held.statements.clear()
    if before:
        prefix, values = _with_clause(before)
        sql, params = prefix + sql, [*values, *params]
    with connections[held.using].cursor() as cursor, _queued():
        cursor.execute(sql, params)


@cached
def _update_sql(model: type[models.Model], names: tuple[str, ...], using: str
                ) -> tuple[str, tuple[models.Field, ...]]:
    quote = connections[using].ops.quote_name
    meta = model._meta
    fields = tuple(meta.get_field(name) for name in names)
    sets = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    return (f"UPDATE {quote(meta.db_table)} SET {sets} WHERE {quote(meta.pk.column)} = %s",
            fields)


def update(obj: models.Model, names: Iterable[str], using: str = DEFAULT_DB_ALIAS) -> int:
    """UPDATE `names` of `obj`'s row (`save(update_fields=…)` without the ORM's work per
    call; `auto_now` fields among them are set to now). Returns the rows changed (-1 inside
    `together` or `one_statement`, where the answer comes later)."""
    connection = connections[using]
    sql, fields = _update_sql(type(obj), tuple(names), using)
    params = _prepared(obj, fields, False, using)
    params.append(obj._meta.pk.get_db_prep_value(obj.pk, connection))
    if _hold(using, sql, params):
        return -1
    with connection.cursor() as cursor, _queued():
        cursor.execute(sql, params)
        return cursor.rowcount


def param(field: models.Field, value: object, using: str = DEFAULT_DB_ALIAS) -> object:
    """`value` as the database takes it in a comparison with `field`'s column (a UUID is
    text on SQLite)."""
    return field.get_db_prep_value(value, connections[using])


def iexact(field: models.Field, alias: str, using: str = DEFAULT_DB_ALIAS) -> str:
    """The condition `<field>__iexact=%s` compiles to on this database (the same
    expression, so the same index serves it); its value goes through `iexact_value`."""
    connection = connections[using]
    column = f"{alias}.{connection.ops.quote_name(field.column)}"
    lhs = connection.ops.lookup_cast("iexact", field.get_internal_type()) % column
    return f"{lhs} {connection.operators['iexact'] % '%s'}"


def iexact_value(value: str, using: str = DEFAULT_DB_ALIAS) -> str:
    """`value` as an `iexact` condition takes it (SQLite's LIKE: `%` and `_` escaped)."""
    return connections[using].ops.prep_for_iexact_query(value)


def fetch_one(sql: str, params: Sequence = (), using: str = DEFAULT_DB_ALIAS) -> tuple | None:
    """The first row of a hand-written SELECT, or None."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


class Sent:
    """SELECTs sent (`send`) whose rows are read later (`rows()`): inside `together` they
    wait in the pipeline with the writes sent after them, and their rows come back with the
    next wait (a read, the block's end), in the same round trip."""

    def __init__(self, cursors: list) -> None:
        self._cursors = cursors

    def rows(self) -> list[list[tuple]]:
        """Every row of each SELECT (waiting for them if nothing has yet)."""
        try:
            return [cursor.fetchall() for cursor in self._cursors]
        finally:
            self.close()

    def close(self) -> None:
        for cursor in self._cursors:
            cursor.close()


def send(statements: Sequence[tuple[str, Sequence]], using: str = DEFAULT_DB_ALIAS) -> Sent:
    """Send each SELECT, one after the other without waiting (inside `together`; elsewhere
    each runs as it is sent); their rows are read with `Sent.rows()`."""
    connection = connections[using]
    sent = Sent([])
    try:
        with _queued():
            for sql, params in statements:
                cursor = connection.cursor()
                sent._cursors.append(cursor)
                cursor.execute(sql, params)
    except BaseException:
        sent.close()
        raise
    return sent


def fetch_together(statements: Sequence[tuple[str, Sequence]],
                   using: str = DEFAULT_DB_ALIAS) -> list[list[tuple]]:
    """Every row of each SELECT, the statements sent one after the other without waiting
    (inside `together`: one round trip), each run once the one before has finished."""
    return send(statements, using).rows()


def write(sql: str, params: Sequence = (), using: str = DEFAULT_DB_ALIAS) -> None:
    """Run a hand-written write that returns no rows (inside `together` it waits in the
    pipeline like `update`'s; inside `one_statement` it is held)."""
    if _hold(using, sql, list(params)):
        return
    with connections[using].cursor() as cursor, _queued():
        cursor.execute(sql, params)


def fetch(sql: str, params: Sequence = (), using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """Every row of a hand-written SELECT."""
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
