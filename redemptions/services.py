"""The rules that change redemption state: offers, code groups and codes, redeem, rollback.

Every dialect calls these, so the same action has the same effect everywhere. Each state change
is one transaction. Redeeming locks exactly one row — the code's — and re-checks everything
under that lock, so concurrent redemptions of one code serialise there and never exceed its
uses; `Code.redemptions_count` moves only under that lock (no other counter is touched).
Rolling back takes the same lock first, then the redemption's row, then (through licensing)
the license chains of its seats. Rows are locked in one order everywhere: an offer, a code
group, a code, a redemption, license chains (so deletes and retargets racing offer changes
or deletes by label wait for each other instead of deadlocking).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F, Max, QuerySet
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import add_tags
from catalog.models import CatalogItem, EntitlementSource
from catalog.selectors import holdings
from catalog.services import grant_entitlements, revoke_from_source
from core import rows
from core.errors import DomainError
from core.filters import is_uuid
from core.metrics import REDEMPTION_REFUSALS, counts_refusals
from events.models import EventKind
from events.services import batched_events, record_event
from jobs.models import FINISHED, Job, JobKind
from jobs.services import create_job
from jobs.services import run as run_job
from licensing.errors import LicenseExpired, LicenseFull
from licensing.models import License, Seat
from licensing.services import assign_seats, revoke_seats_from_source, seat_refusal
from redemptions import exports, imports, payloads
from redemptions.codes import (
    Alphabet,
    check_code_space,
    clean_code,
    is_canonical,
    normalize_code,
)
from redemptions.errors import (
    AccessEnded,
    AccessTermsExclusive,
    AlreadyRedeemed,
    AlreadyRolledBack,
    CodeChangedMeanwhile,
    CodeGroupBusy,
    CodeGroupError,
    CodeInUse,
    CodeLengthForGenerated,
    CodeNotFound,
    CodeRedeemed,
    DuplicateCode,
    GenerationRequestSpent,
    InvalidAccessDays,
    InvalidActionType,
    InvalidCount,
    InvalidMatchSpecification,
    InvalidUserTags,
    LabelNotFound,
    NoCodes,
    NothingToGrant,
    OfferActionMismatch,
    OfferRequired,
    RedemptionError,
    SeatLicenseExpired,
    SeatLicenseFull,
    TermNotApplicable,
    UnknownOffer,
)
from redemptions.models import (
    MAX_CODES_PER_CALL,
    ActionType,
    Code,
    CodeGroup,
    GenerationRequest,
    LockedCode,
    Offer,
    Redemption,
    _check_count,
)
from redemptions.selectors import items_matching
from redemptions.validators import (
    clean_label,
    clean_match_specification,
    clean_max_uses,
    clean_remaining_uses,
    clean_user_tags,
)

SOURCE = EntitlementSource.REDEMPTION
MAX_ACCESS_DAYS = 36_500  # a hundred years; beyond that, leave the end open
SINGLE_CODE_LENGTH = 12  # a generated stand-alone code (Zype's create without `code`)


# --- offers -----------------------------------------------------------------------------------

@dataclass
class OfferTerms:
    """What an offer grants, before it exists (the generator makes one per group)."""

    name: str
    items: Sequence[CatalogItem] = ()
    licenses: Sequence[License] = ()
    access_days: int | None = None
    access_expiration_date: dt.datetime | None = None
    action_type: str = ActionType.APPLY_OFFER
    user_tags: Sequence[str] = ()
    match_specification: dict | None = None
    based_on: Offer | None = None  # whose terms these copy (a code with an action of its own)


def check_offer_terms(terms: OfferTerms) -> None:
    if terms.access_days is not None and terms.access_expiration_date is not None:
        raise AccessTermsExclusive(field="access_days")
    if terms.access_days is not None and not 1 <= terms.access_days <= MAX_ACCESS_DAYS:
        raise InvalidAccessDays(message=f"access_days must be from 1 to {MAX_ACCESS_DAYS:,}.",
                         field="access_days")
    if terms.action_type not in ActionType.values:
        raise _invalid_action_type()
    if (terms.action_type == ActionType.SESSION_LICENSE_MATCH
            and not (terms.match_specification or {}).get("all")
            and not (terms.match_specification or {}).get("any")):
        raise InvalidMatchSpecification(
            message="A session-license-match offer needs at least one pattern under \"all\" "
                    "or \"any\".", field="match_specification")
    if terms.action_type == ActionType.ADD_USER_TAG and not terms.user_tags:
        raise InvalidUserTags(message="An add-user-tag offer needs at least one tag.",
                         field="user_tags")


@transaction.atomic
def create_offer(terms: OfferTerms) -> Offer:
    terms.user_tags = clean_user_tags(list(terms.user_tags))
    terms.match_specification = clean_match_specification(terms.match_specification)
    check_offer_terms(terms)
    offer = Offer.objects.create(
        name=terms.name[:200], action_type=terms.action_type, access_days=terms.access_days,
        access_expiration_date=terms.access_expiration_date, user_tags=terms.user_tags,
        match_specification=terms.match_specification, based_on=terms.based_on,
    )
    offer.items.set(terms.items)
    offer.licenses.set(terms.licenses)
    return offer


@transaction.atomic
def update_offer(offer: Offer, **changes: object) -> Offer:
    """Change an offer's terms; codes already redeemed keep what they granted."""
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    current = {name: getattr(offer, name) for name in (
        "name", "access_days", "access_expiration_date", "action_type", "user_tags",
        "match_specification")}
    terms = OfferTerms(items=changes.pop("items", offer.items.all()),
                       licenses=changes.pop("licenses", offer.licenses.all()),
                       **{**current, **changes})
    terms.user_tags = clean_user_tags(list(terms.user_tags))
    terms.match_specification = clean_match_specification(terms.match_specification)
    check_offer_terms(terms)
    for name in current:
        setattr(offer, name, getattr(terms, name))
    offer.save()
    offer.items.set(terms.items)
    offer.licenses.set(terms.licenses)
    sync_code_targets(offer)
    return offer


def sync_code_targets(offer: Offer) -> int:
    """Point every code of `offer` at the offer's one item (or at none); joins the caller's
    transaction. Each service that changes an offer's items calls it (the admin too), so the
    Zype filters on `Code.target_item` always agree with what the codes grant."""
    target = offer.single_item_id()
    stale = Code.objects.filter(offer=offer)
    stale = stale.exclude(target_item__isnull=True) if target is None \
        else stale.exclude(target_item_id=target)
    return stale.update(target_item_id=target)


# --- code groups and codes --------------------------------------------------------------------

@transaction.atomic
def create_code_group(*, offer: Offer | OfferTerms, **group: Any) -> CodeGroup:
    """A group, its offer (when given as terms) and its codes, in one transaction.

    `group` takes the keyword arguments of `CodeGroup.objects.create_with_codes` (label,
    count, code_length, alphabet, redemptions_per_code, client, starts_at, expiration_date,
    gift, max_count, progress); API calls keep its cap of 10,000 codes.
    """
    if isinstance(offer, OfferTerms):
        offer = create_offer(offer)
    made = CodeGroup.objects.create_with_codes(offer=offer, **group)
    record_event(EventKind.CODE_GROUP_CREATED, made, group_id=made.pk,
                 data=payloads.code_group(made))
    return made


def create_code_group_once(*, token: uuid.UUID, requested_by: str = "", by_job: bool = False,
                           created_by: User | None = None, offer: Offer | OfferTerms,
                           **group: Any) -> tuple[CodeGroup, bool]:
    """`create_code_group` (or, `by_job`, `start_code_group_generation` for `created_by`) for
    one submitted form, claimed by its `token`: (the group, True) the first time; (the group
    that call made, False) on any later call with the same token.

    The token's row is inserted first, in the transaction that makes the group: a second
    submit racing the first waits on its primary key until the first commits (then finds
    its group) or rolls back (then makes the group itself). A token whose group was deleted
    since is refused (`GenerationRequestSpent`) rather than used again.
    """
    started = time.monotonic()
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = GenerationRequest.objects.create(
                    token=token, requested_by=requested_by[:200], count=group.get("count", 0))
        except IntegrityError:
            claim = GenerationRequest.objects.select_related("group").get(token=token)
            if claim.group is None:
                raise GenerationRequestSpent() from None
            return claim.group, False
        if by_job:  # its time is the job's, not this request's: no sample for the estimate
            created = start_code_group_generation(offer=offer, created_by=created_by, **group)
            claim.group = created
        else:
            created = create_code_group(offer=offer, **group)
            claim.group, claim.seconds = created, time.monotonic() - started
        claim.save(update_fields=["group", "seconds", "updated_at"])
    return created, True


@transaction.atomic
def start_code_group_generation(*, offer: Offer | OfferTerms, created_by: User | None = None,
                                queue: bool = True, **group: Any) -> CodeGroup:
    """A group whose codes a job generates (any count): the group (not ready: nothing in it
    can be redeemed yet) and its queued job, in one transaction; `group` takes
    `CodeGroup.objects.create_empty`'s arguments. `run_code_group_generation` does the work;
    the group's `code_group.created` event is written when it is ready. `queue=False`: the
    caller runs the job itself (`manage.py generate_codes`)."""
    if isinstance(offer, OfferTerms):
        offer = create_offer(offer)
    made = CodeGroup.objects.create_empty(offer=offer, ready=False, **group)
    made.job = create_job(JobKind.GENERATE_CODES, total=made.total_codes_count,
                          params={"code_group": str(made.pk)}, created_by=created_by,
                          queue=queue)
    made.save(update_fields=["job"])
    return made


@transaction.atomic
def start_code_addition(group: CodeGroup, *, count: int, created_by: User | None = None,
                        queue: bool = True) -> Job:
    """A job generating `count` more codes for a ready group, run like a generation job
    (`run_code_group_generation`). Its codes are written switched off, each chunk
    committed, and switched on together when the job succeeds; a failed or cancelled one
    deletes them. One at a time per group (CodeGroupBusy while its generation or another
    addition is unfinished): the codes a job owns are its group's switched-off codes after
    the highest code id when it was made."""
    group = CodeGroup.objects.select_for_update().get(pk=group.pk)
    busy = Job.objects.filter(kind=JobKind.GENERATE_CODES, params__code_group=str(group.pk)
                              ).exclude(status__in=FINISHED)
    if not group.ready or busy.exists():
        raise CodeGroupBusy()
    CodeGroup.objects.check_addition(group, count)
    after = Code.objects.aggregate(last=Max("pk"))["last"] or 0
    return create_job(JobKind.GENERATE_CODES, total=count, created_by=created_by,
                      params={"code_group": str(group.pk), "added_after": after}, queue=queue)


def run_code_group_generation(job_id: object, *,
                              progress: Callable[[Job], None] | None = None) -> Job | None:
    """Generate a group's codes for its job, one committed chunk at a time (memory stays
    flat; a resumed job continues after its last chunk). Success makes the group ready (an
    addition's codes: switched on); a cancelled or failed job deletes the group and whatever
    codes it had (an addition: the codes it added)."""
    groups: dict[str, CodeGroup | None] = {}

    def group_of(job: Job) -> CodeGroup | None:
        ident = job.params["code_group"]
        if ident not in groups:
            groups[ident] = (CodeGroup.objects.select_related("offer")
                             .filter(pk=ident).first())
        return groups[ident]

    def step(job: Job, size: int) -> int:
        return Code.objects.generate(group=group_of(job), count=size,
                                     active="added_after" not in job.params)

    def complete(job: Job) -> dict:
        group = CodeGroup.objects.select_for_update().get(pk=group_of(job).pk)
        if "added_after" in job.params:
            now = timezone.now()
            Code.objects.filter(group=group, pk__gt=job.params["added_after"],
                                is_active=False).update(is_active=True, updated_at=now)
            CodeGroup.objects.filter(pk=group.pk).update(
                total_codes_count=F("total_codes_count") + job.total, updated_at=now)
            return {"code_group": str(group.pk), "codes": job.total}
        group.ready = True
        group.save(update_fields=["ready", "updated_at"])
        record_event(EventKind.CODE_GROUP_CREATED, group, group_id=group.pk,
                     data=payloads.code_group(group))
        return {"code_group": str(group.pk), "codes": group.total_codes_count}

    def discard(job: Job) -> None:
        if "added_after" in job.params:
            with transaction.atomic():
                Code.objects.delete_all_of(group_of(job), added_after=job.params["added_after"])
        else:
            _discard_unready_group(group_of(job))

    return run_job(job_id, step=step, complete=complete, discard=discard, progress=progress)


@transaction.atomic
def start_code_import(*, file, label: str, offer: Offer, redemptions_per_code: int = 1,
                      created_by: User | None = None, **group: Any) -> CodeGroup:
    """A group for the codes of an uploaded CSV (`redemptions.imports`) and the job that
    checks and imports them: the file is stored for the worker (`default_storage`), the
    group is `uploaded` and not ready (nothing redeemable) until every line is in."""
    clean_max_uses(redemptions_per_code, field="redemptions_per_code")
    made = CodeGroup.objects.create(label=label, offer=offer, code_length=0, uploaded=True,
                                    ready=False, redemptions_per_code=redemptions_per_code,
                                    **group)
    path = default_storage.save(f"imports/{made.pk}.csv", file)
    made.job = create_job(JobKind.IMPORT_CODES, total=0, created_by=created_by,
                          params={"code_group": str(made.pk), "file": path})
    made.save(update_fields=["job"])
    return made


def run_code_import(job_id: object, *,
                    progress: Callable[[Job], None] | None = None) -> Job | None:
    """Check an import's whole file (every problem, or nothing happens), then insert its
    codes one committed chunk at a time; success makes the group ready."""
    state: dict[str, Any] = {}

    def group_of(job: Job) -> CodeGroup | None:
        if "group" not in state:
            state["group"] = (CodeGroup.objects.select_related("offer")
                              .filter(pk=job.params["code_group"]).first())
        return state["group"]

    def prepare(job: Job) -> int:
        group = group_of(job)
        count, longest = imports.check(job.params["file"],
                                       default_uses=group.redemptions_per_code)
        CodeGroup.objects.filter(pk=group.pk).update(code_length=longest)
        return count

    def step(job: Job, size: int) -> int:
        group = group_of(job)
        if "rows" not in state:  # one pass over the file, from where the job stands
            state["rows"] = imports.rows(job.params["file"],
                                         default_uses=group.redemptions_per_code,
                                         skip=job.done)
        batch = list(islice(state["rows"], size))
        Code.objects.insert_rows(group, batch)
        return len(batch)

    def complete(job: Job) -> dict:
        group = CodeGroup.objects.select_for_update().get(pk=group_of(job).pk)
        group.ready, group.total_codes_count = True, job.done
        group.save(update_fields=["ready", "total_codes_count", "updated_at"])
        record_event(EventKind.CODE_GROUP_CREATED, group, group_id=group.pk,
                     data=payloads.code_group(group))
        transaction.on_commit(lambda: default_storage.delete(job.params["file"]))
        return {"code_group": str(group.pk), "codes": job.done}

    def discard(job: Job) -> None:
        _discard_unready_group(group_of(job))
        default_storage.delete(job.params["file"])

    return run_job(job_id, prepare=prepare, step=step, complete=complete, discard=discard,
                   progress=progress)


@transaction.atomic
def start_code_export(group: CodeGroup, *, created_by: User | None = None) -> Job:
    """A job writing every code of `group` to a CSV file staff download (`exports`' rows)."""
    job = create_job(JobKind.EXPORT_CODES, total=group.total_codes_count,
                     created_by=created_by, params={"code_group": str(group.pk)})
    job.params["file"] = f"exports/{job.pk}.csv"
    job.save(update_fields=["params"])
    return job


def run_code_export(job_id: object, *,
                    progress: Callable[[Job], None] | None = None) -> Job | None:
    """Write a group's codes to the job's file in committed chunks, in id order. Each chunk
    records the last code id and the file's length with the job's progress, so a resumed job
    cuts off whatever a dead worker wrote after its last commit and goes on from there."""

    def prepare(job: Job) -> int:
        header = exports.csv_header().encode()
        path = Path(default_storage.path(job.params["file"]))  # a shared directory
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(header)  # fresh, also after a crash before the first chunk
        job.params.update(after=0, size=len(header), rows=0)
        Job.objects.filter(pk=job.pk).update(params=job.params)
        return Code.objects.filter(group_id=job.params["code_group"]).count()

    def step(job: Job, size: int) -> int:
        text, written, last = exports.code_csv_chunk(
            Code.objects.filter(group_id=job.params["code_group"]), after=job.params["after"],
            size=size)
        data = text.encode()
        with open(default_storage.path(job.params["file"]), "r+b") as out:
            out.truncate(job.params["size"])
            out.seek(job.params["size"])
            out.write(data)
        job.params.update(after=last, size=job.params["size"] + len(data),
                          rows=job.params.get("rows", 0) + written)
        Job.objects.filter(pk=job.pk).update(params=job.params)
        return written or size  # codes deleted meanwhile: the job still ends

    def complete(job: Job) -> dict:
        # `rows`: the rows the file holds under its header, as written (not the job's
        # progress, which a group shrinking meanwhile would overstate).
        return {"code_group": None, "file": job.params["file"],
                "rows": job.params.get("rows", 0),
                "download_url": reverse("export-file", args=[job.pk])}

    def discard(job: Job) -> None:
        default_storage.delete(job.params["file"])

    return run_job(job_id, prepare=prepare, step=step, complete=complete, discard=discard,
                   progress=progress)


def _discard_unready_group(group: CodeGroup | None) -> None:
    """Delete a group that never became ready (a failed or cancelled job's) and its codes."""
    if group is None:
        return
    with transaction.atomic():
        locked = CodeGroup.objects.select_for_update().filter(pk=group.pk).first()
        if locked is not None and not locked.ready:  # never redeemable: nothing to keep
            Code.objects.delete_all_of(locked)
            locked.delete()


@transaction.atomic
def create_code(
    *,
    offer: Offer | OfferTerms | None = None,
    group: CodeGroup | None = None,
    code: str | None = None,
    code_length: int | None = None,
    max_redemptions: int | None = None,
    starts_at: dt.datetime | None = None,
    expiration_date: dt.datetime | None = None,
    is_active: bool = True,
    transaction_id: str = "",
) -> Code:
    """One code, typed by hand (`code`) or generated (`code_length`, default the group's or
    SINGLE_CODE_LENGTH), alone or added to a group. `offer` given as terms is created in the
    same transaction (a stand-alone code for one item: Zype's create)."""
    if group is not None:
        group = CodeGroup.objects.select_for_update().get(pk=group.pk)
        offer = offer or group.offer
    if isinstance(offer, OfferTerms):
        offer = create_offer(offer)
    if offer is None:
        raise OfferRequired(message="A code needs an offer (or a group).",
                             field="offer")
    if max_redemptions is None:
        max_redemptions = group.redemptions_per_code if group else 1
    max_redemptions = clean_max_uses(max_redemptions)
    if code is not None:
        text = clean_code(code)
    else:
        length = code_length or (group.code_length if group else SINGLE_CODE_LENGTH)
        alphabet = group.alphabet if group else Alphabet.UNAMBIGUOUS
        check_code_space(count=1, length=length, alphabet=alphabet)
        text = Code.objects.fresh_codes(1, length, alphabet)[0]
    try:
        with transaction.atomic():
            created = Code.objects.create(
                group=group, offer=offer, target_item_id=offer.single_item_id(), code=text,
                max_redemptions=max_redemptions, starts_at=starts_at,
                expiration_date=expiration_date, is_active=is_active,
                transaction_id=transaction_id)
    except IntegrityError as exc:
        raise DuplicateCode(field="code") from exc
    if group is not None:
        CodeGroup.objects.filter(pk=group.pk).update(
            total_codes_count=group.total_codes_count + 1, updated_at=timezone.now())
    return created


_GROUP_CHANGES = ("label", "client", "starts_at", "expiration_date", "gift")


@transaction.atomic
def update_code_group(group: CodeGroup, **changes: object) -> CodeGroup:
    """Rename a group or move its start, expiry or client (its codes follow unless they
    carry their own dates)."""
    unknown = set(changes) - set(_GROUP_CHANGES)
    if unknown:
        raise ValueError(f"update_code_group cannot change {', '.join(sorted(unknown))}")
    locked = CodeGroup.objects.select_for_update().get(pk=group.pk)
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save(update_fields=[*changes, "updated_at"])
    return locked


_CODE_CHANGES = ("is_active", "starts_at", "expiration_date", "max_redemptions",
                 "remaining_uses", "transaction_id", "code", "target_item", "user_tags")


@transaction.atomic
def update_code(code: Code, /, **changes: object) -> Code:
    """Change a code's settings under its row lock, the lock redeem takes (max_redemptions
    never below its uses).

    `remaining_uses` sets the uses left: `max_redemptions` becomes the uses counted under the
    lock plus that many (0: used up from now on). `user_tags` (an add-user-tag code only)
    moves the code to the offer of exactly those tags; codes sharing the old one keep it.
    `code` (its text, normalised) and `target_item` (the one item it grants: a code alone on
    its offer changes the offer, a shared one gets its own) may change only while it was never
    redeemed — a redemption names the text the learner typed and what it granted (409
    `code_redeemed`); a text another code has is 409 `duplicate_code`. All or nothing.
    """
    unknown = set(changes) - set(_CODE_CHANGES)
    if unknown:
        raise ValueError(f"update_code cannot change {', '.join(sorted(unknown))}")
    locked = _lock_offer_then_code(code) if "target_item" in changes \
        else Code.objects.select_for_update().get(pk=code.pk)
    if "remaining_uses" in changes:  # worked out under the lock: the uses counted now
        changes["max_redemptions"] = locked.redemptions_count \
            + clean_remaining_uses(changes.pop("remaining_uses"))
    elif changes.get("max_redemptions") is not None:
        changes["max_redemptions"] = clean_max_uses(changes["max_redemptions"],
                                                    used=locked.redemptions_count)
    if "user_tags" in changes:
        tags = changes.pop("user_tags")
        if locked.offer.action_type != ActionType.ADD_USER_TAG:
            raise TermNotApplicable(message=f"Only add-user-tag codes have user tags; this is an "
                             f"{locked.offer.action_type} code.", field="user_tags")
        locked.offer = _tag_offer(tags)
        locked.target_item_id = locked.offer.single_item_id()  # none: tags grant no item
        moved = ["offer", "target_item"]
    else:
        moved = []
    if "code" in changes:
        changes["code"] = clean_code(changes["code"])
        if changes["code"] == locked.code:
            del changes["code"]
        elif locked.redemptions.exists():
            raise CodeRedeemed(message="This code has been redeemed, so its text can no "
                                             "longer change.", field="code")
    item = changes.pop("target_item", None)
    if item is not None:
        _retarget_locked(locked, item)
    for name, value in changes.items():
        setattr(locked, name, value)
    try:
        with transaction.atomic():
            locked.save(update_fields=[*changes, *moved, "updated_at"])
    except IntegrityError as exc:
        if "code" in changes:  # the only unique constraint a change can hit: code_unique
            raise DuplicateCode(field="code") from exc
        raise
    return locked


def _code_ids(codes: Iterable[Code]):
    """The codes' keys: a subquery for a queryset (a million codes stay in the database)."""
    return codes.values("pk") if isinstance(codes, QuerySet) else [c.pk for c in codes]
def _lock_offer_then_code(code: Code) -> Code:
    """Lock the code's offer, then the code: `update_offer`'s order (an offer, then its
    codes), so retargeting a code while its offer changes waits instead of deadlocking.
    A code whose offer changed between the read and the locks is a 409 (try again)."""
    offer_id = Code.objects.filter(pk=code.pk).values_list("offer_id", flat=True).get()
    list(Offer.objects.select_for_update().filter(pk=offer_id).values_list("pk", flat=True))
    locked = Code.objects.select_for_update().get(pk=code.pk)
    if locked.offer_id != offer_id:
        raise CodeChangedMeanwhile()
    return locked


def _retarget_locked(locked: Code, item: CatalogItem) -> None:
    """Retarget a code locked after its offer (`_lock_offer_then_code`)."""
    if locked.target_item_id == item.pk:
        return
    if locked.redemptions.exists():
        raise CodeRedeemed(message="This code has been redeemed, so what it grants can no "
                                         "longer change.", field="target_item")
    offer = locked.offer
    shared = (offer.code_groups.exists()
              or Code.objects.filter(offer=offer).exclude(pk=locked.pk).exists())
    if shared:
        offer = create_offer(OfferTerms(
            name=item.title, items=[item], licenses=list(offer.licenses.all()),
            access_days=offer.access_days, access_expiration_date=offer.access_expiration_date,
            user_tags=list(offer.user_tags or [])))
        Code.objects.filter(pk=locked.pk).update(offer=offer, target_item=item)
    else:
        update_offer(offer, items=[item], action_type=ActionType.APPLY_OFFER)  # syncs targets
    locked.offer, locked.target_item = offer, item


def set_codes_active(codes: Iterable[Code], active: bool) -> int:
    """Deactivate (or reactivate) codes; a redemption in flight finishes first (row locks)."""
    with transaction.atomic():
        return Code.objects.filter(pk__in=_code_ids(codes)).exclude(is_active=active)\
            .update(is_active=active, updated_at=timezone.now())


def set_codes_expiration(codes: Iterable[Code], expiration_date: dt.datetime | None) -> int:
    """Give codes an expiry of their own (extend or shorten them; None: their group's, or
    never), in one statement; a redemption in flight finishes first (row locks)."""
    with transaction.atomic():
        return Code.objects.filter(pk__in=_code_ids(codes))\
            .update(expiration_date=expiration_date, updated_at=timezone.now())


@transaction.atomic
def delete_code(code: Code) -> None:
    """Delete a code nobody ever redeemed; a redeemed one is history (409).

    Locks its group first, then the code — the order deleting a group (or every group of a label)
    takes — so deleting a code while its group is deleted waits instead of deadlocking (a code whose
    group went first is gone: DoesNotExist, a 404)."""
    group_id = Code.objects.filter(pk=code.pk).values_list("group_id", flat=True).get()
    group = CodeGroup.objects.select_for_update().filter(pk=group_id).first() \
        if group_id else None
    locked = Code.objects.select_for_update().get(pk=code.pk)  # a code never changes group
    if locked.redemptions.exists():
        raise CodeInUse("redeemed", "This code has been redeemed, so it is kept as history; "
                                    "deactivate it instead.")
    if group is not None:
        CodeGroup.objects.filter(pk=group.pk).update(
            total_codes_count=max(group.total_codes_count - 1, 0), updated_at=timezone.now())
    locked.delete()


@transaction.atomic
def delete_code_group(group: CodeGroup) -> None:
    """Delete a group whose codes were never redeemed (with them, and its offer when no one
    else uses it); once any code was redeemed the group is history (409). Locks the offer,
    then the group, then its codes (`update_offer` locks an offer before its codes)."""
    offer_id = CodeGroup.objects.filter(pk=group.pk).values_list("offer_id", flat=True).get()
    offer = Offer.objects.select_for_update().get(pk=offer_id)
    group = CodeGroup.objects.select_for_update().get(pk=group.pk)  # a group keeps its offer
    _delete_unredeemed_group(group)
    if not offer.codes.exists() and not offer.code_groups.exists():
        offer.delete()


def _delete_unredeemed_group(group: CodeGroup) -> int:
    """Delete a group (locked by the caller) and its codes, refusing (409) once any of them
    was redeemed; the number of codes deleted. Joins the caller's transaction."""
    # Lock the codes too: a redemption in flight finishes first, and none starts after.
    list(Code.objects.select_for_update().filter(group=group).values_list("pk", flat=True))
    if Redemption.objects.filter(code__group=group).exists():
        raise CodeInUse("redeemed", "Codes of this group have been redeemed, so it is kept as "
                                    "history; deactivate its codes instead.")
    deleted, _ = Code.objects.filter(group=group).delete()
    group.delete()
    return deleted


# --- codes that say what redeeming does (their own action), added to groups by label ---------

_UNSET: Any = object()


def _offer_by_id(value: object) -> Offer | None:
    if value in (None, ""):
        return None
    offer = Offer.objects.filter(pk=str(value)).first() if is_uuid(value) else None
    if offer is None:
        raise UnknownOffer(message=f"There is no offer {value} (offer ids are UUIDs).",
                         field="offer")
    return offer


def _refuse_unless_none(value: object, *, field_name: str, message: str) -> None:
    if value not in (None, "", [], ()):
        raise TermNotApplicable(message=message, field=field_name)


def offer_for_code(*, action_type: str, offer: Offer | None = None, user_tags: object = None,
                   match_specification: object = None) -> Offer:
    """The offer a code applies when the code, not its offer, says what redeeming does (its
    own action type). Joins the caller's transaction.

    - `apply-offer`: `offer` itself, which must be an apply-offer offer;
    - `session-license-match`: `offer`'s terms (access days or end) with the code's match
      specification — `offer` itself when it already is exactly that, else a variant based on
      it, found or made once;
    - `add-user-tag`: the offer of exactly these tags, found or made once.
    """
    if action_type == ActionType.APPLY_OFFER:
        _refuse_unless_none(user_tags, field_name="user_tags",
                            message="Only add-user-tag codes take user tags.")
        _refuse_unless_none(match_specification, field_name="match_specification",
                            message="Only session-license-match codes take a match "
                                    "specification.")
        if offer is None:
            raise OfferRequired(message="An apply-offer code needs the offer it "
                                               "applies.", field="offer")
        if offer.action_type != ActionType.APPLY_OFFER:
            raise OfferActionMismatch(
                message=f"Offer {offer.pk} is a {offer.action_type} offer; an apply-offer code "
                        f"needs an apply-offer offer.", field="offer")
        return offer
    if action_type == ActionType.SESSION_LICENSE_MATCH:
        _refuse_unless_none(user_tags, field_name="user_tags",
                            message="Only add-user-tag codes take user tags.")
        if offer is None:
            raise OfferRequired(message="A session-license-match code needs the offer "
                                               "whose terms it applies.", field="offer")
        return _match_offer(offer, match_specification)
    if action_type == ActionType.ADD_USER_TAG:
        _refuse_unless_none(offer, field_name="offer",
                            message="An add-user-tag code adds its user tags and applies no "
                                    "offer; leave the offer out.")
        _refuse_unless_none(match_specification, field_name="match_specification",
                            message="Only session-license-match codes take a match "
                                    "specification.")
        return _tag_offer(user_tags)
    raise _invalid_action_type()


def _invalid_action_type() -> InvalidActionType:
    choices = ", ".join(ActionType.values)
    return InvalidActionType(message=f"action_type must be one of {choices}.",
                             field="action_type", choices=choices)


def _match_offer(offer: Offer, match_specification: object) -> Offer:
    if match_specification is None:
        if offer.action_type != ActionType.SESSION_LICENSE_MATCH:
            raise InvalidMatchSpecification(
                message="A session-license-match code needs a match specification (its offer "
                        "has none).", field="match_specification")
        return offer
    spec = clean_match_specification(match_specification)
    if offer.action_type == ActionType.SESSION_LICENSE_MATCH and \
            offer.match_specification == spec:
        return offer
    root = offer.based_on if offer.based_on_id else offer
    variants = root.variants.filter(
        action_type=ActionType.SESSION_LICENSE_MATCH, access_days=root.access_days,
        access_expiration_date=root.access_expiration_date).order_by("created_at", "pk")
    for variant in variants:
        if variant.match_specification == spec:
            return variant
    return create_offer(OfferTerms(
        name=f"{root.name} (title match)"[:200], action_type=ActionType.SESSION_LICENSE_MATCH,
        access_days=root.access_days, access_expiration_date=root.access_expiration_date,
        match_specification=spec, based_on=root))


def _tag_offer(user_tags: object) -> Offer:
    tags = clean_user_tags(user_tags if user_tags is not None else [])
    if not tags:
        raise InvalidUserTags(message="An add-user-tag code needs at least one user "
                                              "tag.", field="user_tags")
    found = (Offer.objects.filter(action_type=ActionType.ADD_USER_TAG, based_on__isnull=True,
                                  user_tags=tags).order_by("created_at", "pk").first())
    return found or create_offer(OfferTerms(name=f"User tags: {';'.join(tags)}"[:200],
                                            action_type=ActionType.ADD_USER_TAG,
                                            user_tags=tags))


@dataclass
class NewCodes:
    """Codes to add to the code group labelled `label` (the oldest group of that label; a new
    one of `alphabet` codes, `default_code_length` long, when no group has it), each saying
    what redeeming it does: its action type, with the offer applied (or whose terms apply)
    and its tags or match specification (`offer_for_code`)."""

    label: str
    action_type: str
    offer_id: object = None  # the offer applied (apply-offer) or whose terms apply (-match)
    user_tags: list[str] | None = None  # add-user-tag
    match_specification: object = None  # session-license-match
    code: str | None = None  # given by hand; None: `count` generated
    count: int | None = None  # None: one
    code_length: int | None = None  # generated codes; None: the group's
    max_redemptions: int = 1
    is_active: bool = True
    expiration_date: dt.datetime | None = None
    alphabet: str = Alphabet.UNAMBIGUOUS  # of a group this starts
    default_code_length: int = SINGLE_CODE_LENGTH  # of a group this starts

    @property
    def how_many(self) -> int:
        return 1 if self.count is None else self.count


@transaction.atomic
def add_codes(requests: Sequence[NewCodes]) -> list[Code]:
    """Add codes to groups by label, all or none (one transaction); the new codes in order.

    Codes join the oldest group of their label (locked, so its count stays right); a new
    label starts a group. Each code carries its own offer (`offer_for_code`), uses
    (`max_redemptions`, 0 allowed: a code born used up), validity and expiry. Labels are
    trimmed and checked first (`clean_label`). A refusal names the request it concerns in
    `data["index"]`.
    """
    if not requests:
        raise NoCodes(field="count")
    labelled = []
    for index, request in enumerate(requests):
        try:
            labelled.append(dataclasses.replace(request, label=clean_label(request.label)))
        except CodeGroupError as exc:
            exc.data.setdefault("index", index)
            raise
    requests = labelled
    total = 0
    for index, request in enumerate(requests):
        try:
            _check_count(request.how_many, MAX_CODES_PER_CALL)
        except CodeGroupError as exc:
            exc.data.setdefault("index", index)
            raise
        total += request.how_many
    _check_count(total, MAX_CODES_PER_CALL)
    groups: dict[str, CodeGroup | None] = {
        label: CodeGroup.objects.select_for_update().filter(label=label)
        .order_by("created_at", "pk").first()
        for label in sorted({request.label for request in requests})  # one lock order
    }
    made: list[Code] = []
    for index, request in enumerate(requests):
        try:
            made.extend(_add_to_group(request, groups))
        except DomainError as exc:
            exc.data.setdefault("index", index)
            raise
    return made


def _add_to_group(request: NewCodes, groups: dict[str, CodeGroup | None]) -> list[Code]:
    if request.code is not None and request.count not in (None, 1):
        raise InvalidCount(message="A code given by hand is one code; leave count "
                                              "out (or give no code).", field="count")
    if request.code is not None and request.code_length is not None:
        raise CodeLengthForGenerated(field="code_length")
    max_redemptions = clean_max_uses(request.max_redemptions)
    offer = offer_for_code(action_type=request.action_type,
                           offer=_offer_by_id(request.offer_id), user_tags=request.user_tags,
                           match_specification=request.match_specification)
    group = groups[request.label]
    if group is None:
        length = request.code_length or request.default_code_length
        check_code_space(count=request.how_many, length=length, alphabet=request.alphabet)
        group = groups[request.label] = CodeGroup.objects.create(
            label=request.label, offer=offer, code_length=length, alphabet=request.alphabet,
            uploaded=request.code is not None)
        record_event(EventKind.CODE_GROUP_CREATED, group, group_id=group.pk,
                     data=payloads.code_group(group))
    if request.code is not None:
        texts = [clean_code(request.code)]
        if Code.objects.taken(texts):
            raise DuplicateCode(field="code")
    else:
        count, length = request.how_many, request.code_length or group.code_length
        check_code_space(count=group.total_codes_count + count, length=length,
                         alphabet=group.alphabet)
        texts = Code.objects.fresh_codes(count, length, group.alphabet)
    target = offer.single_item_id()  # Code.target_item, as every service keeps it
    try:
        with transaction.atomic():
            codes = Code.objects.bulk_create([
                Code(group=group, offer=offer, target_item_id=target, code=text,
                     max_redemptions=max_redemptions, is_active=request.is_active,
                     expiration_date=request.expiration_date)
                for text in texts])
    except IntegrityError as exc:  # a concurrent request took the same code first
        raise DuplicateCode(field="code") from exc
    group.total_codes_count += len(codes)
    CodeGroup.objects.filter(pk=group.pk).update(
        total_codes_count=F("total_codes_count") + len(codes), updated_at=timezone.now())
    return codes


@transaction.atomic
def delete_labelled_groups(*, label: str) -> int:
    """Delete every group with this label and its codes, only while none of them
    was ever redeemed (409 otherwise). Offers stay: codes elsewhere may name them. Returns
    how many codes were deleted."""
    groups = list(CodeGroup.objects.select_for_update().filter(label=label).order_by("pk"))
    if not groups:
        raise LabelNotFound(field="label", label=label)
    return sum(_delete_unredeemed_group(group) for group in groups)


# --- redeem, check, rollback ------------------------------------------------------------------

@dataclass(frozen=True)
class Grant:
    """What redeeming a code gives, fixed at redemption time."""

    items: list[CatalogItem] = field(default_factory=list)
    licenses: list[License] = field(default_factory=list)
    user_tags: list[str] = field(default_factory=list)
    expires_at: dt.datetime | None = None


@dataclass(frozen=True)
class RedemptionCheck:
    """What redeeming would do now, or why it would be refused (`check`)."""

    code: Code | None
    grant: Grant | None = None
    refusal: RedemptionError | None = None

    @property
    def redeemable(self) -> bool:
        return self.refusal is None


def _not_found() -> RedemptionError:
    return CodeNotFound()


def _grant_for(offer: Offer, at: dt.datetime, *, names_licenses: bool = True) -> Grant:
    """What `offer` grants at `at`, or the refusal when it would grant nothing usable.
    `names_licenses` False (read with the code, `Code.objects.lock_for_redemption`) skips
    asking."""
    action = offer.action_type
    if action == ActionType.SESSION_LICENSE_MATCH:
        items = list(items_matching(offer.match_specification or {}))
    elif action == ActionType.APPLY_OFFER:
        items = offer.items_in_order()
    else:
        items = []
    licenses = list(offer.licenses.order_by("name", "id")) \
        if action == ActionType.APPLY_OFFER and names_licenses else []
    tags = list(offer.user_tags or []) if action != ActionType.SESSION_LICENSE_MATCH else []
    expires_at = offer.access_expires_at(at)
    if (items or licenses) and expires_at is not None and expires_at <= at:
        raise AccessEnded()
    if not (items or licenses or tags):
        raise NothingToGrant()
    return Grant(items=items, licenses=licenses, user_tags=tags, expires_at=expires_at)


def _decide(code: Code, user: User, at: dt.datetime, *, held: bool | None = None,
            names_licenses: bool = True) -> Grant:
    """What redeeming `code` would grant `user` at `at` (`_grant_for`), or the refusal raised
    (`_refuse`); `held` and `names_licenses` as those take them."""
    _refuse(code, user, at, held=held)
    return _grant_for(code.offer, at, names_licenses=names_licenses)


def _refuse(code: Code, user: User, at: dt.datetime, *, held: bool | None = None) -> None:
    """Raise the reason `user` may not redeem `code` at `at`, if there is one. `held`:
    whether they hold a standing redemption of it, when read already (with the lock).

    `redemptions_count` is the number of standing redemptions (it moves with them under the
    code's lock), so a code nobody holds needs no look-up for "already redeemed by you"."""
    if held is None:
        held = bool(code.redemptions_count) and Redemption.objects.held(code, user)
    if held:
        raise AlreadyRedeemed()
    refusal = code.refusal(at)
    if refusal is not None:
        raise refusal


def _take_seats(*, licenses: list[License], user: User, redemption: Redemption | None,
                at: dt.datetime, ends_by: dt.datetime | None = None,
                dry_run: bool = False) -> list[Seat]:
    """A seat on each license for `user`, ending by `ends_by` (the code's access limit),
    through licensing's seat service (which locks the license chains root-first after the
    code row this redemption holds: one order everywhere). A seat the learner already holds
    is kept (and taken over when this code's access outlasts it); a full or expired license
    refuses the whole redemption. `dry_run` only says whether the seats could be taken
    now."""
    if not licenses:
        return []
    try:
        if dry_run:
            for license in licenses:
                refusal = seat_refusal(license=license, user=user, at=at)
                if refusal is not None:
                    raise refusal
            return []
        return assign_seats(licenses=licenses, user=user, source=SOURCE,
                            source_ref=str(redemption.pk), at=at, ends_by=ends_by)
    except (LicenseFull, LicenseExpired) as refusal:
        seat_error = SeatLicenseFull if isinstance(refusal, LicenseFull) else SeatLicenseExpired
        raise seat_error(message=refusal.message) from refusal


def _release_seats(redemption: Redemption, offer: Offer, *, reason: str) -> int:
    """Revoke the seats a redemption holds, or hand each over to the learner's other
    standing redemption of that license (`_heir`). Licensing locks the chains of the seats'
    licenses and of every license `offer` (the redemption's) names, then reads the seats and
    asks `_heir` under those locks."""
    named = list(offer.licenses.values_list("pk", flat=True)) \
        if offer.action_type == ActionType.APPLY_OFFER else []
    now = timezone.now()
    return revoke_seats_from_source(SOURCE, redemption.pk, reason=reason, licenses=named,
                                    heir=lambda seat: _heir(seat, redemption, now))


def _heir(seat: Seat, redemption: Redemption,
          now: dt.datetime) -> tuple[str, dt.datetime | None] | None:
    """Who keeps `seat` when `redemption` is rolled back: the learner's other standing
    redemption whose offer names the seat's license (redeemed while the seat was held, it
    took none of its own) and whose access lasts longest, as (its id, the end of its access);
    None when there is none whose access is still running."""
    others = (Redemption.objects.active()
              .filter(user_id=seat.user_id, code__offer__action_type=ActionType.APPLY_OFFER,
                      code__offer__licenses=seat.license_id)
              .exclude(pk=redemption.pk).select_related("code__offer").order_by("pk"))
    running = [(str(other.pk), ends) for other in others
               if (ends := other.code.offer.access_expires_at(other.redeemed_at)) is None
               or ends > now]
    return max(running, key=lambda heir: (heir[1] is None, heir[1] or now), default=None)


def check(code_text: str, user: User, *, at: dt.datetime | None = None) -> RedemptionCheck:
    """What redeeming `code_text` would do for `user` now, or why not; changes nothing."""
    at = at or timezone.now()
    canonical = normalize_code(code_text)
    code = (Code.objects.select_related("group", "offer").filter(code=canonical).first()
            if is_canonical(canonical) else None)
    if code is None:
        return RedemptionCheck(code=None, refusal=_not_found())
    try:
        grant = _decide(code, user, at)
        _take_seats(licenses=grant.licenses, user=user, redemption=None, at=at, dry_run=True)
    except RedemptionError as refusal:
        return RedemptionCheck(code=code, refusal=refusal)
    return RedemptionCheck(code=code, grant=grant)


# Lasting less than this much longer is nothing new to a learner (two codes for a year,
# redeemed minutes apart): the preview says "less than a day" and asks to confirm.
LEAST_GAIN = dt.timedelta(days=1)


@dataclass(frozen=True)
class PreviewLine:
    """One thing a code gives (an item, a seat on a license, a tag), until when, and whether
    and until when the learner holds it already (`held_until` None: no end)."""

    kind: str  # "item", "license" or "tag"
    title: str
    expires_at: dt.datetime | None = None  # what the code would give
    item: CatalogItem | None = None
    held: bool = False
    held_until: dt.datetime | None = None

    @property
    def extends(self) -> bool:
        """Held already, and redeeming makes it last at least `LEAST_GAIN` longer."""
        return self.held and self.held_until is not None and (
            self.expires_at is None or self.expires_at - self.held_until >= LEAST_GAIN)

    @property
    def adds_a_little(self) -> bool:
        """Held already, and redeeming makes it last longer, but by less than a day."""
        return (self.held and not self.extends and None not in (self.held_until,
                                                                self.expires_at)
                and self.expires_at > self.held_until)

    @property
    def adds_nothing(self) -> bool:
        return self.held and not self.extends


@dataclass(frozen=True)
class RedemptionPreview:
    """`check`'s answer for one learner, line by line against what they hold now."""

    check: RedemptionCheck
    lines: list[PreviewLine] = field(default_factory=list)

    @property
    def refusal(self) -> RedemptionError | None:
        return self.check.refusal

    @property
    def already_held(self) -> list[PreviewLine]:
        return [line for line in self.lines if line.held]

    @property
    def grants_nothing_new(self) -> bool:
        return bool(self.lines) and all(line.adds_nothing for line in self.lines)


def preview(code_text: str, user: User, *, at: dt.datetime | None = None) -> RedemptionPreview:
    """What redeeming `code_text` would give `user` (`check`: the same rules), each item,
    seat and tag beside what the learner already holds of it; changes nothing."""
    at = at or timezone.now()
    result = check(code_text, user, at=at)
    if result.refusal is not None:
        return RedemptionPreview(check=result)
    grant = result.grant
    held_items = {row.item.pk: row.expires_at for row in holdings(user, at)}
    seats = {seat.license_id: seat.expires_at for seat in
             Seat.objects.active(at).filter(user=user, license__in=grant.licenses)}
    tags = set(user.tags.filter(tag__in=grant.user_tags).values_list("tag", flat=True))
    lines = [PreviewLine("item", item.title, grant.expires_at, item=item,
                         held=item.pk in held_items, held_until=held_items.get(item.pk))
             for item in grant.items]
    for license in grant.licenses:
        ends = [end for end in (grant.expires_at, license.effective_expires_at) if end]
        lines.append(PreviewLine("license", license.name, min(ends, default=None),
                                 held=license.pk in seats, held_until=seats.get(license.pk)))
    lines += [PreviewLine("tag", tag, held=tag in tags) for tag in grant.user_tags]
    return RedemptionPreview(check=result, lines=lines)


@counts_refusals(REDEMPTION_REFUSALS, RedemptionError)
def redeem(code_text: str, user: User, *, ip: str | None = None, transaction_id: str = "",
           at: dt.datetime | None = None) -> Redemption:
    """Redeem a code for `user`: one transaction, the code row locked, everything re-checked
    under the lock; a refusal raises RedemptionError and changes nothing.

    The returned redemption carries `entitlements` and `seats` (lists) as granted.
    """
    canonical = normalize_code(code_text)
    if not is_canonical(canonical):  # nothing stored looks like this: no query, no lock
        raise _not_found()
    terms = {"ip": ip or None, "transaction_id": transaction_id[:100], "at": at}
    try:
        try:
            return _redeem(canonical, user, behind=True, **terms)
        except _ChangedMeanwhile:  # rolled back: again, deciding under the lock
            return _redeem(canonical, user, behind=False, **terms)
    except IntegrityError as exc:
        # The lock makes this unreachable; the constraint is the last guard all the same.
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) \
                == "one_redemption_per_code_and_user":
            raise AlreadyRedeemed() from exc
        raise


class _ChangedMeanwhile(Exception):
    """A redemption prepared behind another transaction's lock found the code changed once
    the lock was its own (`LockBehind.unchanged`): rolled back, to be made again under it."""


def _redeem(canonical: str, user: User, *, behind: bool, ip: str | None, transaction_id: str,
            at: dt.datetime | None) -> Redemption:
    """One attempt at `redeem`. The code's row is locked, unless (`behind`) another
    transaction holds it: then the redemption is prepared from the code as last committed,
    its writes sent behind its own request for the lock (`Code.objects.lock_behind`), and the
    row checked once locked. The writes then run the moment the holder commits, and the row
    is held for one round trip (the COMMIT's) instead of for the redemption's Python: a code
    many redeem at once serves them at the database's pace. A code changed meanwhile
    (`_ChangedMeanwhile`, with any error of the writes) is rolled back and decided again
    under the lock, as is one the preparation would refuse or that names licenses or tags
    (their locks and reads come after the code's)."""
    queued = None
    try:
        # `together`: the statements go out without waiting for each other, so the code's
        # row is held for three round trips (the lock with the items and the holder check,
        # the writes with the endpoints' read, the COMMIT), as the bare lock-update-insert
        # ceiling holds it for its own three; behind another's lock, for the COMMIT's alone
        with transaction.atomic(), rows.together():
            # `one_statement`: the writes (none reads another's) and the events' INSERT go
            # out as one statement
            with rows.one_statement(), batched_events():
                hot = behind and _Contended.lately(canonical)
                locked = None if hot else Code.objects.lock_for_redemption(
                    canonical, user, wait=not behind)
                at = at or timezone.now()
                grant = None
                if locked is None and behind:  # held by another transaction, or no such code
                    locked = Code.objects.read_for_redemption(canonical, user)
                    if locked is not None and not hot:
                        _Contended.seen(canonical)
                    grant = _grant_behind(locked, user, at) if locked is not None else None
                    if grant is not None:
                        queued = Code.objects.lock_behind(locked, user)
                    elif locked is not None:
                        locked = Code.objects.lock_for_redemption(canonical, user)
                if locked is None:
                    raise _not_found()
                if grant is None:
                    grant = _decide(locked.code, user, at, held=locked.held,
                                    names_licenses=locked.names_licenses)
                redemption = _write_redemption(locked, grant, user, at=at, ip=ip,
                                               transaction_id=transaction_id)
            if queued is not None and not queued.unchanged(at):
                raise _ChangedMeanwhile()
    except IntegrityError as exc:
        if queued is not None:  # used up, or redeemed by this learner, while it waited
            raise _ChangedMeanwhile() from exc
        raise
    return redemption


class _Contended:
    """Codes this process lately found held by another transaction: for a while their
    redemptions go behind the lock at once, without first trying for it (a round trip that
    on a code many redeem at once finds it held anyway). Whether the lock is free or not
    then, the redemption is checked once it holds it, so this only saves work."""

    SECONDS = 1.0
    LIMIT = 1000  # codes remembered; forgotten all at once beyond (a code is hot for seconds)
    since: dict[str, float] = {}

    @classmethod
    def seen(cls, canonical: str) -> None:
        if len(cls.since) >= cls.LIMIT:
            cls.since = {}
        cls.since[canonical] = time.monotonic()

    @classmethod
    def lately(cls, canonical: str) -> bool:
        seen = cls.since.get(canonical)
        return seen is not None and time.monotonic() - seen < cls.SECONDS


def _grant_behind(seen: LockedCode, user: User, at: dt.datetime) -> Grant | None:
    """What a redemption of the code as `seen` unlocked grants, when it can be prepared
    behind another's lock: it would be granted, and what it grants is its offer's items alone
    (no query is needed once the lock is asked for: one would wait for it). Else None: it
    waits for the lock."""
    if seen.code.offer.action_type != ActionType.APPLY_OFFER or seen.names_licenses:
        return None
    try:
        grant = _decide(seen.code, user, at, held=seen.held,
                        names_licenses=seen.names_licenses)
    except RedemptionError:
        return None
    return None if grant.licenses or grant.user_tags else grant


def _write_redemption(locked: LockedCode, grant: Grant, user: User, *, at: dt.datetime,
                      ip: str | None, transaction_id: str) -> Redemption:
    """The rows of the redemption of the code `locked` (or read, for `lock_behind`) that
    grants `grant` (`_decide`)."""
    code = locked.code
    redemption = Redemption(id=locked.redemption_id, code=code, user=user, redeemed_at=at,
                            ip=ip, transaction_id=transaction_id)
    rows.insert([redemption])
    Code.objects.count_redemption(code, at)
    redemption.entitlements = grant_entitlements(
        user=user, items=grant.items, starts_at=at, expires_at=grant.expires_at,
        source=SOURCE, source_ref=redemption.pk)
    redemption.seats = _take_seats(licenses=grant.licenses, user=user, redemption=redemption,
                                   at=at, ends_by=grant.expires_at)
    if grant.user_tags:
        add_tags(user, grant.user_tags)
    record_event(EventKind.CODE_REDEEMED, redemption, user=user, group_id=code.group_id,
                 data=payloads.redemption(redemption, code), at=at)
    return redemption


def rollback(redemption: Redemption, reason: str = "", *, by: str = "") -> Redemption:
    """Undo one redemption (a refund, a mistake): its grants and seats revoked, the use given
    back, the redemption kept and marked with when, who and why. One transaction."""
    with transaction.atomic():
        code = Code.objects.select_for_update().get(pk=redemption.code_id)  # redeem's lock
        locked = Redemption.objects.select_for_update().get(pk=redemption.pk)
        if locked.rolled_back_at is not None:
            raise AlreadyRolledBack()
        now = timezone.now()
        note = reason.strip()[:300] or "Rolled back"
        locked.rolled_back_at = now
        locked.rolled_back_by = by[:200]
        locked.rolled_back_reason = note
        locked.save(update_fields=["rolled_back_at", "rolled_back_by", "rolled_back_reason",
                                   "updated_at"])
        code.redemptions_count = max(code.redemptions_count - 1, 0)
        code.save(update_fields=["redemptions_count", "updated_at"])
        revoke_from_source(SOURCE, locked.pk, reason=f"Redemption rolled back: {note}")
        _release_seats(locked, code.offer, reason=f"Redemption rolled back: {note}")
        record_event(EventKind.REDEMPTION_ROLLED_BACK, locked, user=locked.user,
                     group_id=code.group_id, data=payloads.redemption(locked, code), at=now)
    return locked
