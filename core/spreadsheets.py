"""CSV cells a spreadsheet will not run as a formula (OWASP, "CSV Injection").

Excel, LibreOffice and Google Sheets treat a cell that begins with `=`, `+`, `-` or `@` as a
formula, and a leading tab or carriage return is stripped before they look. Text from outside
(a learner's email such as `=1+2@example.com`, a hand-typed code) could then run as one when
staff open an export. `neutral_cell` prefixes such a cell with a single quote, which the
spreadsheet shows as text; `writer` is `csv.writer` with every cell passed through it, and every
CSV the project writes goes through `writer`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutral_cell(value: object) -> object:
    """`value`, with a leading quote when a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _NeutralWriter:
    def __init__(self, file):
        self._writer = csv.writer(file)

    def writerow(self, row: Iterable[object]):
        return self._writer.writerow([neutral_cell(value) for value in row])


def writer(file) -> _NeutralWriter:
    """A `csv.writer` (Excel dialect) whose rows cannot carry a formula."""
    return _NeutralWriter(file)
