"""The CSV export of codes (each code as stored, and as learners see it with its redemption
link), shared by the admin, every API that exports and the export job
(`services.run_code_export`, which writes the same rows to a file chunk by chunk).

Rows are read in keyset chunks of plain tuples (`values_list`, id order: the group's
(group, id) index), never as model instances: a code nobody redeemed — nearly all of a big
group — becomes its line with no quoting to decide (a canonical code is letters and digits),
and the emails of the learners holding the others come in one query per chunk.

A group above `settings.CSV_STREAM_MAX_CODES` codes is not streamed at all: streaming it would
outlast a request's timeout and cut the file off after the client was told 200, so the admin
and the APIs hand it to the export job instead (`exports_by_job`), whose result states the
rows it wrote.
Each cell a spreadsheet could run as a formula goes through `core.spreadsheets` (a redeemer's
email such as `=1+2@example.com` stays text).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from urllib.parse import quote

from django.conf import settings
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils.text import slugify

from core import spreadsheets
from core.codes import Alphabet
from core.time import iso_millis_z
from redemptions.codes import nice_code
from redemptions.models import Code, CodeGroup, Redemption

CSV_COLUMNS = ["code", "redeemed", "redeemedBy", "redeemedAt", "niceCode", "redemptionUrl"]
CSV_CHUNK = 5000
_ROW_FIELDS = ("pk", "code", "redemptions_count", "last_redeemed_at", "group__alphabet")


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_header() -> str:
    return spreadsheets.writer(_Echo()).writerow(CSV_COLUMNS)


def exports_by_job(group: CodeGroup) -> bool:
    """Whether the group's codes are too many to stream in one request (the export job's)."""
    return group.total_codes_count > settings.CSV_STREAM_MAX_CODES


def more_than(codes: QuerySet[Code], limit: int) -> bool:
    """Whether `codes` holds more than `limit` rows: a count that stops after limit + 1."""
    return codes.order_by().values("pk")[:limit + 1].count() > limit


def _redeemers(code_ids: list[int]) -> dict[int, list[str]]:
    """The emails of the learners holding a standing redemption of each code, oldest first."""
    held: dict[int, list[str]] = defaultdict(list)
    rows = (Redemption.objects.active().filter(code_id__in=code_ids)
            .order_by("redeemed_at", "id").values_list("code_id", "user__email"))
    for code_id, email in rows:
        held[code_id].append(email)
    return held


def code_csv_chunk(codes: QuerySet[Code], *, after: int = 0,
                   size: int = CSV_CHUNK) -> tuple[str, int, int]:
    """The rows of the next `size` codes of `codes` with an id above `after`, as CSV text:
    (text, rows, the last id written; `after` when there are none)."""
    rows = list(codes.filter(pk__gt=after).order_by("pk").select_related(None)
                .prefetch_related(None).values_list(*_ROW_FIELDS)[:size])
    if not rows:
        return "", 0, after
    held = _redeemers([row[0] for row in rows if row[2]])
    link = (f"{settings.SITE_URL}/redeem/{quote(settings.SITE_SLUG, safe='')}"
            "?redemptionCode=")
    writer = spreadsheets.writer(_Echo())
    lines = []
    for pk, code, used, last, alphabet in rows:
        shown = code.lower() if alphabet == Alphabet.HEX else code
        if used or not shown.isalnum():  # emails or a time: let csv quote what it must
            lines.append(writer.writerow([
                shown, "true" if used else "false", ";".join(held.get(pk, ())),
                iso_millis_z(last) or "", nice_code(shown), link + quote(shown, safe="")]))
        else:  # letters and digits: nothing to quote or neutralise (what the writer writes)
            lines.append(f"{shown},false,,,{nice_code(shown)},{link}{shown}\r\n")
    return "".join(lines), len(rows), rows[-1][0]


def code_csv_rows(codes: QuerySet[Code]) -> Iterator[str]:
    """The header, then every code of `codes` in id order, a chunk at a time."""
    yield csv_header()
    after = 0
    while True:
        text, written, after = code_csv_chunk(codes, after=after)
        if not written:
            return
        yield text


def codes_csv_response(codes: QuerySet[Code], group: CodeGroup | None) -> StreamingHttpResponse:
    """`codes` as a streamed CSV download named after the group (the APIs and the admin);
    callers send groups above CSV_STREAM_MAX_CODES to the export job instead."""
    name = slugify(group.label)[:50] if group is not None else ""
    response = StreamingHttpResponse(code_csv_rows(codes), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name or "codes"}-codes.csv"'
    return response
