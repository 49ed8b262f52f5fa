"""The CSV export of codes (each code as stored, and as learners see it with its redemption
link), shared by the admin, every API that exports and the export job
(`services.run_code_export`, which writes the same rows to a file chunk by chunk).

The rows are streamed from a chunked iterator, never built in memory. Each cell goes through
`core.spreadsheets` (a redeemer's email such as `=1+2@example.com` stays text in a spreadsheet).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils.text import slugify

from core import spreadsheets
from core.time import iso_millis_z
from redemptions.codes import nice_code
from redemptions.models import CodeGroup
from redemptions.selectors import redeemed_by, redemption_url

CSV_COLUMNS = ["code", "redeemed", "redeemedBy", "redeemedAt", "niceCode", "redemptionUrl"]
CSV_CHUNK = 2000


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_header() -> str:
    return spreadsheets.writer(_Echo()).writerow(CSV_COLUMNS)


def code_csv_row(code) -> list[str]:
    """One code's row (its redeemers prefetched: `selectors.codes_with_redeemers`)."""
    return [
        code.display_code(),
        "true" if code.redemptions_count else "false",
        ";".join(redeemed_by(code)),
        iso_millis_z(code.last_redeemed_at) or "",
        nice_code(code.display_code()),
        redemption_url(code),
    ]


def code_csv_lines(codes) -> str:
    """These codes' rows as CSV text (one export job chunk)."""
    writer = spreadsheets.writer(_Echo())
    return "".join(writer.writerow(code_csv_row(code)) for code in codes)


def code_csv_rows(codes) -> Iterator[str]:
    writer = spreadsheets.writer(_Echo())
    yield csv_header()
    for code in codes.iterator(chunk_size=CSV_CHUNK):
        yield writer.writerow(code_csv_row(code))


def codes_csv_response(codes, group: CodeGroup | None) -> StreamingHttpResponse:
    """`codes` (with their redeemers: `selectors.codes_with_redeemers`) as a streamed CSV
    download named after the group (the APIs and the admin)."""
    name = slugify(group.label)[:50] if group is not None else ""
    response = StreamingHttpResponse(code_csv_rows(codes), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name or "codes"}-codes.csv"'
    return response
