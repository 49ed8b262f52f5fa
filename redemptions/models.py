"""Redemption codes: what a code grants (`Offer`), batches of codes (`CodeGroup`), the codes
themselves (`Code`) and each use of one (`Redemption`).

`Code` and `Redemption` are the high-volume tables: bigint keys (a uuid key makes `COPY` of a
million codes ~70 % slower), code text canonical under one `UniqueConstraint`. The generator
(`CodeGroup.objects.create_with_codes`) inserts with PostgreSQL's `COPY` inside the caller's
transaction; the redeem rules live in `redemptions/services.py`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog.models import CatalogItem, Client, Entitlement, EntitlementSource
from core import rows
from core.models import TimeStamped
from licensing.models import License, Seat
from redemptions.codes import (
    GUESS_ODDS,
    Alphabet,
    check_code_space,
    random_codes,
)
from redemptions.errors import (
    CodeExpired,
    CodeInactive,
    CodeNotFound,
    CodeNotStarted,
    CodeSpaceExhausted,
    CodeUsedUp,
    InvalidCount,
    RedemptionError,
    TooManyCodes,
)

MAX_CODES_PER_CALL = 10_000  # API requests; the admin and the command may make more, in batches
MAX_CODES_PER_JOB = 50_000_000  # a generation job (the API's upper bound)
GENERATOR_BATCH = 10_000
_TOP_UP_ROUNDS = 8  # draws per batch before giving up on a nearly full code space
_COPY_RETRIES = 3  # a batch colliding with codes inserted meanwhile (another generator)
_COPY_CHUNK = 1 << 20


class ActionType(models.TextChoices):
    """What redeeming does (Tizra's action types; the other dialects apply offers)."""

    APPLY_OFFER = "apply-offer", "Apply the offer (its items, seats and tags)"
    SESSION_LICENSE_MATCH = "session-license-match", "Grant the items whose titles match"
    ADD_USER_TAG = "add-user-tag", "Add the user tags"


def empty_match_specification() -> dict:
    return {"all": [], "any": [], "excluded": []}


class Offer(TimeStamped):
    """What a code grants: items, a seat on each license, tags, or title-matched items."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    action_type = models.CharField(max_length=30, choices=ActionType.choices,
                                   default=ActionType.APPLY_OFFER)
    items = models.ManyToManyField(CatalogItem, blank=True, related_name="offers")
    licenses = models.ManyToManyField(License, blank=True, related_name="offers",
                                      help_text="A seat on each, on redemption.")
    access_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Access lasts this many days from redemption.")
    access_expiration_date = models.DateTimeField(
        null=True, blank=True, help_text="Access ends at this time (instead of access days).")
    user_tags = models.JSONField(default=list, blank=True,
                                 help_text="Tags the learner gets (a list of strings).")
    match_specification = models.JSONField(
        default=empty_match_specification, blank=True,
        help_text='Title patterns for session-license-match: {"all": [], "any": [], '
                  '"excluded": []}; "Title:" prefixes are allowed.')
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="variants",
        help_text="The offer whose terms this one copies with its own action: a Tizra code "
                  "names an offer (access-control-id) and brings its own match specification.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["name"], name="offer_name")]
        constraints = [
            models.CheckConstraint(
                condition=Q(access_days__isnull=True) | Q(access_expiration_date__isnull=True),
                name="offer_access_days_xor_expiration",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def single_item_id(self) -> uuid.UUID | None:
        """The one item this offer grants, when it grants exactly one by name (an apply-offer
        offer with one item: a Zype code's video, playlist, plan or pass plan); else None.
        `Code.target_item` holds it for every code of the offer."""
        if self.action_type != ActionType.APPLY_OFFER:
            return None
        ids = list(self.items.values_list("pk", flat=True)[:2])
        return ids[0] if len(ids) == 1 else None
    @property
    def access_control_id(self):
        """The offer a Tizra client named: the one this was derived from, else this one."""
        return self.based_on_id or self.pk

    def items_in_order(self) -> list[CatalogItem]:
        """`items`, by title then id: what applying the offer grants. An offer loaded with
        its code for a redemption (`CodeManager.lock_for_redemption`) has them already."""
        if hasattr(self, "_items_in_order"):
            return list(self._items_in_order)
        return list(self.items.order_by("title", "id"))

    def access_expires_at(self, redeemed_at: dt.datetime) -> dt.datetime | None:
        """When access granted at `redeemed_at` ends (None: no end)."""
        if self.access_days is not None:
            return redeemed_at + dt.timedelta(days=self.access_days)
        return self.access_expiration_date


class CodeGroupQuerySet(models.QuerySet):
    def with_redeemed_count(self):
        """Annotate `redeemed_codes_count`: codes used at least once (a partial index)."""
        redeemed = (Code.objects.filter(group=models.OuterRef("pk"), redemptions_count__gt=0)
                    .order_by().values("group").annotate(n=models.Count("pk")).values("n"))
        return self.annotate(redeemed_codes_count=models.functions.Coalesce(
            models.Subquery(redeemed, output_field=models.IntegerField()), 0))

    def with_inactive_count(self):
        """Annotate `inactive_codes_count`: codes deactivated (a partial index: few rows)."""
        inactive = (Code.objects.filter(group=models.OuterRef("pk"), is_active=False)
                    .order_by().values("group").annotate(n=models.Count("pk")).values("n"))
        return self.annotate(inactive_codes_count=models.functions.Coalesce(
            models.Subquery(inactive, output_field=models.IntegerField()), 0))


class CodeGroupManager(models.Manager.from_queryset(CodeGroupQuerySet)):
    def create_empty(
        self,
        *,
        label: str,
        offer: Offer,
        count: int,
        code_length: int,
        alphabet: str = Alphabet.UNAMBIGUOUS,
        redemptions_per_code: int = 1,
        client: Client | None = None,
        expiration_date: dt.datetime | None = None,
        starts_at: dt.datetime | None = None,
        gift: bool = False,
        max_count: int | None = MAX_CODES_PER_CALL,
        ready: bool = True,
    ) -> CodeGroup:
        """A group for `count` codes still to be generated; joins the caller's transaction.

        Refuses (CodeGroupError) a count above `max_count` (None: no cap) or a code length
        whose code space is under GUESS_ODDS × count. A group made with `ready=False` (a
        generation job's) is not redeemable until the job succeeded.
        """
        _check_count(count, max_count)
        check_code_space(count=count, length=code_length, alphabet=alphabet)
        from redemptions.validators import clean_max_uses  # validators read this module

        clean_max_uses(redemptions_per_code, field="redemptions_per_code")
        return self.create(
            label=label, offer=offer, client=client, code_length=code_length,
            alphabet=alphabet, total_codes_count=count,
            redemptions_per_code=redemptions_per_code, expiration_date=expiration_date,
            starts_at=starts_at, gift=gift, ready=ready,
        )

    @transaction.atomic
    def create_with_codes(self, *, progress: Callable[[int, int], None] | None = None,
                          on_batch: Callable[[CodeGroup, list[str]], None] | None = None,
                          **fields) -> CodeGroup:
        """A group (`create_empty`'s arguments) and its `count` new unique codes, in one
        transaction. `progress(done, total)` is called after each batch of GENERATOR_BATCH;
        `on_batch` as `Code.objects.generate` says."""
        group = self.create_empty(**fields)
        Code.objects.generate(group=group, count=group.total_codes_count, progress=progress,
                              on_batch=on_batch)
        return group

    def check_addition(self, group: CodeGroup, count: int, max_count: int | None = None) -> None:
        """Refuse `count` more codes for `group` (a bad count, or a code space too small)."""
        _check_count(count, max_count)
        check_code_space(count=group.total_codes_count + count, length=group.code_length,
                         alphabet=group.alphabet)

    @transaction.atomic
    def add_codes(self, group: CodeGroup, *, count: int, max_count: int | None = None,
                  progress: Callable[[int, int], None] | None = None) -> CodeGroup:
        """Generate `count` more codes into an existing group, in one transaction (a job
        does it in chunks: `services.start_code_addition`)."""
        group = self.select_for_update().get(pk=group.pk)
        self.check_addition(group, count, max_count)
        Code.objects.generate(group=group, count=count, progress=progress)
        self.filter(pk=group.pk).update(total_codes_count=F("total_codes_count") + count,
                                        updated_at=timezone.now())
        group.refresh_from_db()
        return group


def _check_count(count: int, max_count: int | None) -> None:
    if count < 1:
        raise InvalidCount(message="Make at least one code.", field="count")
    if max_count is not None and count > max_count:
        raise TooManyCodes(
            message=f"At most {max_count:,} codes can be made per request ({count:,} asked); the "
            f"admin and `manage.py generate_codes` make more, in batches.",
            field="count", count=count, limit=max_count,
        )


class CodeGroup(TimeStamped):
    """A batch of codes for one offer (a Thought Industries group, a Tizra batch, a Zype bulk
    create)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    label = models.CharField(max_length=200)
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="code_groups")
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.PROTECT,
                               related_name="code_groups")
    code_length = models.PositiveSmallIntegerField()
    alphabet = models.CharField(max_length=20, choices=Alphabet.choices,
                                default=Alphabet.UNAMBIGUOUS)
    total_codes_count = models.PositiveIntegerField(default=0)
    redemptions_per_code = models.PositiveIntegerField(default=1)
    starts_at = models.DateTimeField(null=True, blank=True,
                                     help_text="Codes work from this time (unless their own says).")
    expiration_date = models.DateTimeField(
        null=True, blank=True, help_text="Codes expire at this time (unless their own says).")
    uploaded = models.BooleanField(default=False, help_text="Codes imported, not generated.")
    ready = models.BooleanField(
        default=True, help_text="Its codes can be redeemed: false while the job making them "
                                "runs (and for good when it failed or was cancelled).")
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+", help_text="The job that made its codes.")
    gift = models.BooleanField(default=False)

    objects = CodeGroupManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["label", "id"], name="code_group_label"),
            models.Index(fields=["expiration_date"], name="code_group_expiration"),
        ]

    def __str__(self) -> str:
        return self.label


class GenerationRequest(TimeStamped):
    """One submit of the admin's generate form, keyed by the token the form was issued with.

    Claiming the token (inserting this row) and making the group are one transaction, so a
    second submit of the same form (a double click, a reload) waits on the primary key until
    the first commits, then finds the group it made instead of making another. `count` and
    `seconds` are what the form's time estimate is measured from.
    """

    token = models.UUIDField(primary_key=True)
    group = models.ForeignKey(CodeGroup, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    requested_by = models.CharField(max_length=200, blank=True, default="")
    count = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(null=True, blank=True, help_text="How long generating took.")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"generate request {self.token}"


class CodeQuerySet(models.QuerySet):
    def taken(self, codes: list[str]) -> set[str]:
        """Which of these canonical codes exist already: one indexed query."""
        if not codes:
            return set()
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(Code._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT code FROM {table} WHERE code = ANY(%s)", [codes])
                return {row[0] for row in cursor.fetchall()}
        found: set[str] = set()
        for start in range(0, len(codes), 500):  # SQLite's bound-variable limit
            found.update(self.filter(code__in=codes[start:start + 500])
                         .values_list("code", flat=True))
        return found

    def expired(self, at: dt.datetime | None = None):
        at = at or timezone.now()
        return self.filter(Q(expiration_date__lte=at)
                           | Q(expiration_date__isnull=True, group__expiration_date__lte=at))


class LockedCode(NamedTuple):
    """`CodeManager.lock_for_redemption`'s (and `read_for_redemption`'s) answer."""

    code: Code
    names_licenses: bool
    redemption_id: int | None  # drawn from the sequence; None: the INSERT will say
    held: bool  # the learner holds a standing redemption of it already


def _held_and_items(found: list[tuple]) -> tuple[bool, list[tuple]]:
    """`_held_and_items_sql`'s rows: whether the learner holds the code, and the items."""
    return bool(found[0][0]), [item[1:] for item in found if item[1] is not None]


class LockBehind:
    """A lock sent behind another transaction's (`CodeManager.lock_behind`), with what it
    was prepared from."""

    def __init__(self, sent: rows.Sent, seen: LockedCode, using: str) -> None:
        self.sent, self.seen, self.using = sent, seen, using

    def unchanged(self, at: dt.datetime) -> bool:
        """Whether the code, now that its row is locked, is still the code the redemption was
        prepared from: there, its own settings as they were (what redemptions change aside),
        the same items on its offer, not held by the learner, not used up. If so,
        `seen.code` takes the locked row's counts, as the queued `count_redemption` left
        them."""
        found, held_and_items = self.sent.rows()
        held, item_rows = _held_and_items(held_and_items)
        code = self.seen.code
        if not found or held:
            return False
        locked = rows.load(Code, found[0], using=self.using)
        items = [rows.load(CatalogItem, row, using=self.using).pk for row in item_rows]
        if not code.same_terms(locked) or items != [
                item.pk for item in code.offer.items_in_order()]:
            return False
        Code.group.field.set_cached_value(locked, code.group)
        if locked.refusal(at) is not None:  # used up meanwhile
            return False
        code.redemptions_count = locked.redemptions_count + 1
        code.first_redeemed_at = locked.first_redeemed_at or at
        return True


class CodeManager(models.Manager.from_queryset(CodeQuerySet)):
    def lock_for_redemption(self, canonical: str, user, *, wait: bool = True
                            ) -> LockedCode | None:
        """The code `canonical` locked (FOR UPDATE of its row alone), loaded with its group,
        its offer and the offer's items (`Offer.items_in_order` answers from them), whether
        the offer names any license, whether `user` holds a standing redemption of it, and
        (PostgreSQL) the id its redemption will take. None when there is no such code, or
        (`wait` False: `SKIP LOCKED`) when another transaction holds its row.

        Two statements, their SQL written once, sent together (`rows.fetch_together`): the
        lock (`_locking_sql`), then the learner's standing redemption of it (`_held_sql`) with
        the items of the code's offer (`_held_and_items_sql`). The second runs once the lock
        is held, so it reads what the holder before committed (a retarget, the same learner
        redeeming in a second tab), not what was there when the lock was asked for."""
        return self._for_redemption(canonical, user, "wait" if wait else "skip")

    def read_for_redemption(self, canonical: str, user) -> LockedCode | None:
        """`lock_for_redemption`'s answer without the lock: the code as last committed, what
        a redemption prepares behind another transaction's lock from (`lock_behind` then
        checks it). None when there is no such code."""
        return self._for_redemption(canonical, user, "read")

    def _for_redemption(self, canonical: str, user, how: str) -> LockedCode | None:
        user_id = rows.param(Redemption._meta.get_field("user"), user.pk, self.db)
        found, held_and_items = rows.fetch_together(
            [(_locking_sql(self.db, how), [canonical]),
             (_held_and_items_sql(self.db), [canonical, user_id, canonical])],
            using=self.db)
        if not found:
            return None
        held, item_rows = _held_and_items(held_and_items)
        row = found[0]
        code = rows.load(Code, row, using=self.db)
        group = rows.load(CodeGroup, row, rows.width(Code), using=self.db)
        offer = rows.load(Offer, row, rows.width(Code) + rows.width(CodeGroup), using=self.db)
        offer._items_in_order = [rows.load(CatalogItem, item, using=self.db)
                                 for item in item_rows]
        Code.group.field.set_cached_value(code, group)
        Code.offer.field.set_cached_value(code, offer)
        names_licenses = row[rows.width(Code) + rows.width(CodeGroup) + rows.width(Offer)]
        redemption_id = row[-1] if rows.next_key_sql(Redemption, self.db) else None
        return LockedCode(code, bool(names_licenses), redemption_id, held)

    def lock_behind(self, seen: LockedCode, user) -> LockBehind:
        """Send the lock of the row `seen` read (`read_for_redemption`), waiting behind whoever
        holds it, and then the learner's standing redemption with the offer's items, without
        waiting for the answer: inside `rows.together` the writes sent next wait behind the
        lock in the same pipeline and run the moment it is granted. `LockBehind.unchanged()`
        reads the answer once they are sent."""
        user_id = rows.param(Redemption._meta.get_field("user"), user.pk, self.db)
        code = seen.code
        sent = rows.send([(_lock_by_id_sql(self.db), [code.pk]),
                          (_held_and_items_sql(self.db), [code.code, user_id, code.code])],
                         using=self.db)
        return LockBehind(sent, seen, self.db)

    def count_redemption(self, code: Code, at: dt.datetime) -> None:
        """One more redemption of `code` at `at` (its count, its first and last redemption
        times, `updated_at`): the UPDATE adds to the row as it is when it runs, so a
        redemption prepared behind another's lock (`lock_behind`) counts on the row that lock
        leaves; `code` is changed alike."""
        code.redemptions_count += 1
        code.first_redeemed_at = code.first_redeemed_at or at
        code.last_redeemed_at = at
        code.updated_at = timezone.now()
        fields = Code._meta
        rows.write(_count_redemption_sql(self.db), [
            rows.param(fields.get_field("first_redeemed_at"), at, self.db),
            rows.param(fields.get_field("last_redeemed_at"), at, self.db),
            rows.param(fields.get_field("updated_at"), code.updated_at, self.db),
            code.pk], using=self.db)

    def generate(self, *, group: CodeGroup, count: int, active: bool = True,
                 progress: Callable[[int, int], None] | None = None,
                 on_batch: Callable[[CodeGroup, list[str]], None] | None = None) -> int:
        """Insert `count` new random codes into `group` (`active=False`: switched off, as a
        job adding codes to a group makes them until it succeeded); joins the caller's
        transaction. `on_batch(group, codes)` is told each batch's codes before they are sent
        (a batch retried after a collision: again, partly new): what the caller works out
        from them meanwhile overlaps PostgreSQL's insert — only codes it then finds in the
        group were made.

        The unique index is the collision check: each batch is inserted as drawn, in a
        savepoint, and only a batch that hits an existing code (rare unless the code space is
        nearly as small as the rules allow) is checked against the table and topped up
        (`fresh_codes`) before it goes in again. Checking every batch first would cost an
        index probe per code, as much again as the insert.
        """
        target = group.offer.single_item_id()
        done = 0
        while done < count:
            size = min(GENERATOR_BATCH, count - done)
            codes = list(dict.fromkeys(random_codes(size, group.code_length, group.alphabet)))
            for attempt in range(_COPY_RETRIES + 1):
                if attempt or len(codes) != size:
                    codes = self.fresh_codes(size, group.code_length, group.alphabet,
                                             drawn=codes)
                if on_batch is not None:
                    on_batch(group, codes)
                try:
                    with transaction.atomic():  # a savepoint: a collision retries the batch
                        self._insert(group, codes, target, active=active)
                    break
                except IntegrityError:
                    if attempt == _COPY_RETRIES:
                        raise
            done += size
            if progress is not None:
                progress(done, count)
        return done

    def delete_all_of(self, group: CodeGroup, *, added_after: int | None = None) -> int:
        """Delete every code of a group none of whose codes was ever redeemable (a failed or
        cancelled generation), or (`added_after`) the switched-off codes a failed or cancelled
        addition made after that id: one statement, with no rows loaded (a million would not
        fit)."""
        # Django's delete() would load the rows (a redemption's key protects each code).
        qn = connection.ops.quote_name
        codes = self.filter(group=group)
        if added_after is not None:
            codes = codes.filter(pk__gt=added_after, is_active=False)
        where, params = codes.values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {qn(Code._meta.db_table)} WHERE {qn('id')} IN ({where})",
                           params)
            return cursor.rowcount

    def fresh_codes(self, count: int, length: int, alphabet: str,
                    drawn: Iterable[str] = ()) -> list[str]:
        """`count` codes unused anywhere in the table (checked: one indexed query per draw),
        starting from the codes `drawn` already, topped up a bounded number of times."""
        fresh: dict[str, None] = {}
        first = list(drawn)
        for _ in range(_TOP_UP_ROUNDS):
            draw = first or random_codes(count - len(fresh), length, alphabet)
            first = []
            candidates = [c for c in dict.fromkeys(draw) if c not in fresh][:count - len(fresh)]
            taken = self.taken(candidates)
            fresh.update((c, None) for c in candidates if c not in taken)
            if len(fresh) == count:
                return list(fresh)
        raise CodeSpaceExhausted(
            message=f"Could not find {count:,} unused codes of length {length} after "
            f"{_TOP_UP_ROUNDS} draws: too many codes of that length exist. "
            f"Use longer codes (each code must have odds under 1 in {GUESS_ODDS:,} of "
            f"being guessed).",
            field="code_length",
        )

    def _insert(self, group: CodeGroup, codes: Iterable[str],
                target: uuid.UUID | None, *, active: bool = True) -> None:
        self._copy(group, ((code, group.redemptions_per_code, None) for code in codes), target,
                   active=active)

    def insert_rows(self, group: CodeGroup, rows: Iterable) -> None:
        """Insert imported codes (each with `code`, `max_redemptions`, `expiration_date`)
        into `group`; joins the caller's transaction (a duplicate: IntegrityError)."""
        self._copy(group, ((r.code, r.max_redemptions, r.expiration_date) for r in rows),
                   group.offer.single_item_id())

    def _copy(self, group: CodeGroup, rows: Iterable[tuple[str, int, dt.datetime | None]],
              target: uuid.UUID | None, *, active: bool = True) -> None:
        """Rows of (code, max uses, expiry) into `group`: COPY on PostgreSQL."""
        now = timezone.now()
        values = {  # by attribute name, the columns every row shares
            "group_id": group.pk, "offer_id": group.offer_id, "target_item_id": target,
            "redemptions_count": 0, "starts_at": None, "is_active": active,
            "transaction_id": "", "created_at": now, "updated_at": now,
        }
        if connection.vendor != "postgresql":
            self.bulk_create([Code(code=code, max_redemptions=uses, expiration_date=expires,
                                   **values) for code, uses, expires in rows], batch_size=1000)
            return
        qn = connection.ops.quote_name
        names = ("code", "max_redemptions", "expiration_date", *values)
        columns = ", ".join(qn(Code._meta.get_field(name).column) for name in names)
        sql = f"COPY {qn(Code._meta.db_table)} ({columns}) FROM STDIN"
        # COPY's text format, made once for the batch: each row is its code (canonical
        # letters and digits: nothing to escape), uses, expiry and the same shared tail.
        tail = "".join(f"\t{_copy_text(value)}" for value in values.values()) + "\n"
        payload = "".join(f"{code}\t{uses}\t{_copy_text(expires)}{tail}"
                          for code, uses, expires in rows).encode()
        # psycopg 3's COPY through Django's own connection, so it joins this transaction
        # (and a duplicate code is Django's IntegrityError, as from any other query).
        with connection.wrap_database_errors, connection.cursor() as cursor, \
                cursor.cursor.copy(sql) as copy:
            for start in range(0, len(payload), _COPY_CHUNK):
                copy.write(payload[start:start + _COPY_CHUNK])


def _copy_text(value: object) -> str:
    """One value in COPY's text format (the generator's columns: no tabs or newlines)."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    text = str(value)
    if any(c in text for c in "\\\t\n\r"):
        raise ValueError(f"not a plain COPY value: {text!r}")
    return text


class Code(models.Model):
    """One redemption code, stored canonical (upper case, no separators)."""

    id = models.BigAutoField(primary_key=True)
    group = models.ForeignKey(CodeGroup, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="codes", db_index=False)
    offer = models.ForeignKey(Offer, on_delete=models.PROTECT, related_name="codes")
    target_item = models.ForeignKey(
        CatalogItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False, editable=False,
        help_text="The one item the offer grants, if it grants exactly one (denormalised from "
                  "the offer by the services, for Zype's video_id/playlist_id/… filters).")
    code = models.CharField(max_length=64, help_text="Canonical: upper case, no separators.")
    max_redemptions = models.PositiveIntegerField(default=1)
    redemptions_count = models.PositiveIntegerField(default=0, editable=False)
    starts_at = models.DateTimeField(null=True, blank=True,
                                     help_text="Empty: the group's start, or at once.")
    expiration_date = models.DateTimeField(null=True, blank=True,
                                           help_text="Empty: the group's expiry, or never.")
    is_active = models.BooleanField(default=True)
    transaction_id = models.CharField(max_length=100, blank=True, default="")
    first_redeemed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_redeemed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)  # indexed with id, below
    updated_at = models.DateTimeField(auto_now=True)

    objects = CodeManager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="code_unique"),
            models.CheckConstraint(condition=Q(redemptions_count__lte=F("max_redemptions")),
                                   name="code_redemptions_within_max"),
        ]
        indexes = [
            models.Index(fields=["group", "id"], name="code_group_id"),
            # Zype's lists, newest first (a generator batch shares one created_at: id breaks
            # the tie): one backward range scan, filtered by target or not, and no sort.
            models.Index(fields=["created_at", "id"], name="code_created"),
            models.Index(fields=["target_item", "created_at", "id"], name="code_target_created"),
            models.Index(fields=["group"], condition=Q(redemptions_count__gt=0),
                         name="code_group_redeemed"),
            # A group list's active/inactive column counts the (few) deactivated codes.
            models.Index(fields=["group"], condition=Q(is_active=False),
                         name="code_group_inactive"),
            models.Index(fields=["last_redeemed_at"], condition=Q(last_redeemed_at__isnull=False),
                         name="code_last_redeemed"),
            models.Index(fields=["expiration_date"], condition=Q(expiration_date__isnull=False),
                         name="code_expiration"),
            models.Index(fields=["transaction_id"], condition=~Q(transaction_id=""),
                         name="code_transaction"),
        ]

    def __str__(self) -> str:
        # Never the whole code (it is a bearer secret until redeemed): enough to recognise it.
        return f"{self.code[:4]}…" if len(self.code) > 6 else "…"

    @property
    def effective_starts_at(self) -> dt.datetime | None:
        if self.starts_at is not None:
            return self.starts_at
        return self.group.starts_at if self.group_id else None

    @property
    def effective_expiration(self) -> dt.datetime | None:
        """The code's own expiry, else its group's (None: never)."""
        if self.expiration_date is not None:
            return self.expiration_date
        return self.group.expiration_date if self.group_id else None

    @property
    def remaining_redemptions(self) -> int:
        return max(self.max_redemptions - self.redemptions_count, 0)

    def is_expired(self, at: dt.datetime | None = None) -> bool:
        ends = self.effective_expiration
        return ends is not None and ends <= (at or timezone.now())

    def is_started(self, at: dt.datetime | None = None) -> bool:
        starts = self.effective_starts_at
        return starts is None or starts <= (at or timezone.now())

    def refusal(self, at: dt.datetime) -> RedemptionError | None:
        """Why this code cannot be redeemed by anyone at `at` (the refusal to raise), or
        None."""
        if self.group_id and not self.group.ready:
            return CodeNotFound()  # a group still in the making has no codes yet to learners
        if not self.is_active:
            return CodeInactive()
        if not self.is_started(at):
            return CodeNotStarted(
                message=f"This code can be used from {_when(self.effective_starts_at)}.")
        if self.is_expired(at):
            return CodeExpired(
                message=f"This code expired on {_when(self.effective_expiration)}.")
        if self.redemptions_count >= self.max_redemptions:
            return CodeUsedUp()
        return None

    # What a redemption changes on the code's row (`CodeManager.count_redemption`).
    REDEMPTION_COUNTS = frozenset({"redemptions_count", "first_redeemed_at", "last_redeemed_at",
                                   "updated_at"})

    def same_terms(self, other: Code) -> bool:
        """Whether `other` (this code's row read again) differs at most in what redemptions
        change."""
        return all(getattr(self, field.attname) == getattr(other, field.attname)
                   for field in self._meta.concrete_fields
                   if field.name not in self.REDEMPTION_COUNTS)

    def display_code(self) -> str:
        """The code as its group's alphabet shows it (hex in lower case)."""
        return display_text(self.code, self.group.alphabet if self.group_id else None)


def display_text(code: str, alphabet: str | None) -> str:
    """A canonical code as an alphabet shows it (`Code.display_code`; hex in lower case)."""
    return code.lower() if alphabet == Alphabet.HEX else code


def _when(moment: dt.datetime | None) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


class RedemptionQuerySet(models.QuerySet):
    def active(self):
        """Redemptions not rolled back."""
        return self.filter(rolled_back_at__isnull=True)

    def held(self, code: Code, user) -> bool:
        """Whether `user` holds a standing redemption of `code` (`active()` of theirs
        exists): asked by every check of a code someone holds, so its SQL is written once
        (`_held_sql`, which a redemption sends with its lock)."""
        params = [code.code, rows.param(Redemption._meta.get_field("user"), user.pk, self.db)]
        return rows.fetch_one(_held_sql(self.db), params, using=self.db) is not None


class Redemption(TimeStamped):
    """One use of a code by one learner. Never deleted: a rollback marks it."""

    id = models.BigAutoField(primary_key=True)
    code = models.ForeignKey(Code, on_delete=models.PROTECT, related_name="redemptions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="redemptions", db_index=False)
    redeemed_at = models.DateTimeField(default=timezone.now)
    ip = models.GenericIPAddressField(null=True, blank=True)
    transaction_id = models.CharField(max_length=100, blank=True, default="")
    rolled_back_at = models.DateTimeField(null=True, blank=True)
    rolled_back_by = models.CharField(max_length=200, blank=True, default="")
    rolled_back_reason = models.CharField(max_length=300, blank=True, default="")

    objects = RedemptionQuerySet.as_manager()

    class Meta:
        ordering = ["-redeemed_at", "-id"]
        # Not a change of the row's fields: undoing what it granted (services.rollback).
        permissions = [("rollback_redemption", "Can roll back a redemption"),
                       ("redeem_on_behalf", "Can redeem a code on a learner's behalf")]
        constraints = [
            models.UniqueConstraint(fields=["code", "user"],
                                    condition=Q(rolled_back_at__isnull=True),
                                    name="one_redemption_per_code_and_user"),
        ]
        indexes = [
            models.Index(fields=["user", "redeemed_at"], name="redemption_user"),
            models.Index(fields=["redeemed_at"], name="redemption_redeemed_at"),
            # The admin's "rolled back" date filter (the few rolled back: redeeming, which
            # leaves it empty, never writes to it).
            models.Index(fields=["rolled_back_at"], condition=Q(rolled_back_at__isnull=False),
                         name="redemption_rolled_back"),
        ]

    def __str__(self) -> str:
        return f"{self.user} redeemed {self.code}"

    def granted_entitlements(self) -> models.QuerySet[Entitlement]:
        """The grants this redemption made (revoked ones too: they are history)."""
        return Entitlement.objects.from_source(EntitlementSource.REDEMPTION, self.pk)\
            .select_related("item").order_by("created_at", "id")

    def granted_seats(self) -> models.QuerySet[Seat]:
        return Seat.objects.filter(source=EntitlementSource.REDEMPTION, source_ref=str(self.pk))\
            .select_related("license").order_by("assigned_at", "id")


@rows.cached
def _locking_sql(using: str, how: str = "wait") -> str:
    """`CodeManager.lock_for_redemption`'s lock for the database `using` (`how`: "wait" for
    the row, "skip" it when another transaction holds it, or only "read" it)."""
    quote = rows.quoter(using)
    code, group, offer = Code._meta, CodeGroup._meta, Offer._meta
    licenses = Offer.licenses.through._meta
    column = {name: quote(code.get_field(name).column) for name in ("code", "group", "offer")}
    # the redemption's id, where there are sequences: its INSERT then waits in the writes'
    # pipeline with no RETURNING
    next_key = rows.next_key_sql(Redemption, using)
    sql = (f"SELECT {rows.select_columns(Code, 'c', using)}, "
           f"{rows.select_columns(CodeGroup, 'g', using)}, "
           f"{rows.select_columns(Offer, 'o', using)}, "
           f"EXISTS (SELECT 1 FROM {quote(licenses.db_table)} ol "
           f"WHERE ol.{quote(licenses.get_field('offer').column)} = c.{column['offer']})"
           f"{', ' + next_key if next_key else ''} "
           f"FROM {quote(code.db_table)} c "
           f"LEFT JOIN {quote(group.db_table)} g "
           f"ON g.{quote(group.pk.column)} = c.{column['group']} "
           f"JOIN {quote(offer.db_table)} o ON o.{quote(offer.pk.column)} = c.{column['offer']} "
           f"WHERE c.{column['code']} = %s")
    if rows.can_lock_rows(using) and how != "read":
        sql += " FOR UPDATE OF c" + (" SKIP LOCKED" if how == "skip" else "")
    return sql


@rows.cached
def _lock_by_id_sql(using: str) -> str:
    """`CodeManager.lock_behind`'s lock: the code's row by its key."""
    quote = rows.quoter(using)
    sql = (f"SELECT {rows.select_columns(Code, 'c', using)} FROM {quote(Code._meta.db_table)} c "
           f"WHERE c.{quote(Code._meta.pk.column)} = %s")
    return sql + (" FOR UPDATE" if rows.can_lock_rows(using) else "")


@rows.cached
def _count_redemption_sql(using: str) -> str:
    """`CodeManager.count_redemption`'s UPDATE. Parameters: the time, the time, now, the key."""
    quote = rows.quoter(using)
    column = {name: quote(Code._meta.get_field(name).column) for name in Code.REDEMPTION_COUNTS}
    return (f"UPDATE {quote(Code._meta.db_table)} SET "
            f"{column['redemptions_count']} = {column['redemptions_count']} + 1, "
            f"{column['first_redeemed_at']} = COALESCE({column['first_redeemed_at']}, %s), "
            f"{column['last_redeemed_at']} = %s, {column['updated_at']} = %s "
            f"WHERE {quote(Code._meta.pk.column)} = %s")


@rows.cached
def _held_and_items_sql(using: str) -> str:
    """`CodeManager.lock_for_redemption`'s read once the lock is held: one row per item of
    the code's offer, in `Offer.items_in_order`'s order (or one row of NULLs when it has
    none), each led by whether the learner holds a standing redemption of the code
    (`_held_sql`). Parameters: the code, the learner, the code."""
    quote = rows.quoter(using)
    code, item, link = Code._meta, CatalogItem._meta, Offer.items.through._meta
    items = (f"SELECT {rows.select_columns(CatalogItem, 'i', using)} "
             f"FROM {quote(item.db_table)} i JOIN {quote(link.db_table)} oi "
             f"ON oi.{quote(link.get_field('catalogitem').column)} = i.{quote(item.pk.column)} "
             f"JOIN {quote(code.db_table)} c "
             f"ON c.{quote(code.get_field('offer').column)} = "
             f"oi.{quote(link.get_field('offer').column)} "
             f"WHERE c.{quote(code.get_field('code').column)} = %s")
    return (f"SELECT h.held, i.* FROM (SELECT EXISTS ({_held_sql(using)}) AS held) h "
            f"LEFT JOIN ({items}) i ON 1 = 1 "
            f"ORDER BY i.{quote(item.get_field('title').column)}, i.{quote(item.pk.column)}")


@rows.cached
def _held_sql(using: str) -> str:
    """The learner's standing redemption of a code (by its text): `RedemptionQuerySet.held`,
    and `CodeManager.lock_for_redemption` once the lock is held."""
    quote = rows.quoter(using)
    code, redemption = Code._meta, Redemption._meta
    column = {name: quote(redemption.get_field(name).column)
              for name in ("code", "user", "rolled_back_at")}
    # The code's key first (a subquery, not a join), so both lead the (code, learner) index:
    # joined, PostgreSQL could go by the learner alone, reading all that index (a plan
    # made while the table was small, kept by the connection as it grew).
    return (f"SELECT 1 AS a FROM {quote(redemption.db_table)} r "
            f"WHERE r.{column['code']} = (SELECT c.{quote(code.pk.column)} "
            f"FROM {quote(code.db_table)} c WHERE c.{quote(code.get_field('code').column)} = %s) "
            f"AND r.{column['user']} = %s AND r.{column['rolled_back_at']} IS NULL LIMIT 1")
