"""`manage.py generate_codes`: make a code group of any size, in batches, showing progress.

    manage.py generate_codes --offer <offer id> --count 1000000 --label "Spring 2025"
    manage.py generate_codes --item <item id> --item <item id> --count 500 --label Fall
    manage.py generate_codes --group <group id> --count 20000      # more codes for a group
    manage.py generate_codes ... --dry-run                         # check, show samples

A new group is made by the same generation job the admin and the API hand to the workers,
run here in this process: codes are written in committed chunks of JOB_CHUNK_SIZE with a
progress line and an ETA, and the group becomes redeemable only when the last chunk is in
(an interrupted run leaves a job the workers' sweep resumes, and a group nobody can redeem
meanwhile). More codes for an existing group (`--group`) are a job too: written switched off,
chunk by chunk, and switched on together when the last chunk is in.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from catalog.models import CatalogItem
from core.errors import DomainError
from core.time import parse_instant
from jobs.models import Job, JobStatus
from redemptions import services
from redemptions.codes import Alphabet, check_code_space, default_length, random_codes
from redemptions.models import CodeGroup, Offer


class Command(BaseCommand):
    help = "Generate a code group (or more codes for one), in batches, with progress."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--offer", help="The offer the codes grant (its id).")
        target.add_argument("--item", action="append", default=[],
                            help="Grant this catalog item (id); repeat for several. An "
                                 "apply-offer offer is made for the group.")
        target.add_argument("--group", help="Add codes to this existing group (its id).")
        parser.add_argument("--count", type=int, required=True, help="How many codes.")
        parser.add_argument("--label", default="", help="The group's label (new groups).")
        parser.add_argument("--length", type=int, help="Code length (default: 8, or more "
                                                       "when the count needs it).")
        parser.add_argument("--alphabet", choices=Alphabet.values,
                            default=Alphabet.UNAMBIGUOUS)
        parser.add_argument("--redemptions-per-code", type=int, default=1)
        parser.add_argument("--access-days", type=int)
        parser.add_argument("--expires", help="When the codes expire (ISO 8601 or Unix time).")
        parser.add_argument("--dry-run", action="store_true",
                            help="Check everything and show sample codes; write nothing.")

    def handle(self, *args, **opts):
        count = opts["count"]
        group = self._group(opts["group"]) if opts["group"] else None
        alphabet = group.alphabet if group else opts["alphabet"]
        length = group.code_length if group else (opts["length"]
                                                  or default_length(count, alphabet))
        existing = group.total_codes_count if group else 0
        try:
            check_code_space(count=existing + count, length=length, alphabet=alphabet)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        expires = self._instant(opts["expires"]) if opts["expires"] else None
        offer = self._offer(opts) if group is None else group.offer
        label = opts["label"] or (group.label if group else "Generated codes")
        grants = (f"offer {offer.name!r}" if isinstance(offer, Offer) else
                  f"a new offer of {', '.join(i.title for i in offer.items)}")
        self.stdout.write(f"{'Would add' if opts['dry_run'] else 'Adding'} {count:,} codes of "
                          f"{length} {alphabet} characters to {label!r} ({grants}).")
        if opts["dry_run"]:
            samples = ", ".join(random_codes(3, length, alphabet))
            self.stdout.write(f"Samples: {samples}. Dry run: nothing was written.")
            return
        self._started = started = time.monotonic()
        try:
            if group is not None:
                group = self._add(group, count=count)
            else:
                group = self._generate(label=label, offer=offer, count=count, length=length,
                                       alphabet=alphabet, opts=opts, expires=expires)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(self.style.SUCCESS(
            f"Done in {time.monotonic() - started:.1f} s: group {group.pk} ({group.label}) "
            f"now has {group.total_codes_count:,} codes."))

    def _generate(self, *, label, offer, count, length, alphabet, opts, expires) -> CodeGroup:
        group = services.start_code_group_generation(
            label=label, offer=offer, count=count, code_length=length, alphabet=alphabet,
            redemptions_per_code=opts["redemptions_per_code"], expiration_date=expires,
            max_count=None, queue=False)
        self._run(group.job_id)
        return CodeGroup.objects.get(pk=group.pk)

    def _add(self, group: CodeGroup, *, count: int) -> CodeGroup:
        job = services.start_code_addition(group, count=count, queue=False)
        self._run(job.pk)
        return CodeGroup.objects.get(pk=group.pk)

    def _run(self, job_id) -> None:
        job = services.run_code_group_generation(job_id, progress=self._job_progress)
        if job is None or job.status != JobStatus.SUCCEEDED:
            raise CommandError(f"The generation job {job_id} did not succeed: "
                               f"{job.error if job else 'another worker runs it'}")

    def _job_progress(self, job: Job) -> None:
        every = max(1, job.total // 20)  # about twenty lines, whatever the count
        before = job.done - settings.JOB_CHUNK_SIZE
        if job.done == job.total or job.done // every != before // every:
            elapsed = time.monotonic() - self._started
            eta = elapsed * (job.total - job.done) / job.done if job.done else 0
            self.stdout.write(f"  {job.done:,} / {job.total:,} codes "
                              f"({100 * job.done // job.total}%), ETA {eta:.0f} s")

    def _group(self, ident: str) -> CodeGroup:
        return _get(CodeGroup.objects.select_related("offer"), ident, "code group")

    def _instant(self, text: str):
        try:
            return parse_instant(text)
        except ValueError as exc:
            raise CommandError(f"--expires: {exc}") from exc

    def _offer(self, opts) -> Offer | services.OfferTerms:
        if opts["offer"]:
            return _get(Offer.objects.all(), opts["offer"], "offer")
        items = [_get(CatalogItem.objects.all(), ident, "catalog item")
                 for ident in dict.fromkeys(opts["item"])]
        return services.OfferTerms(name=opts["label"] or "Generated codes", items=items,
                                   access_days=opts["access_days"])


def _get(queryset, ident: str, what: str):
    try:
        return queryset.get(pk=ident)
    except (queryset.model.DoesNotExist, ValueError, ValidationError) as exc:
        raise CommandError(f"No {what} {ident!r}.") from exc
