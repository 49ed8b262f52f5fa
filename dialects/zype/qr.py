"""QR drawings of Zype codes' redemption URLs, without encoding each one from scratch.

segno encodes a symbol in ~1.3 ms and writes its SVG path in ~0.9 ms: a bulk create of
10,000 codes spent half a minute drawing. The URLs of one site differ only in the code at
their end, and with the version, error level, mask and byte mode fixed, a QR symbol is an
affine function of its data bits over GF(2) (Reed–Solomon is linear, placement a
permutation, masking an XOR). So a symbol = the symbol of a base text XOR, for each
character that differs from the base, the change that character makes alone — each change
drawn once by segno and kept. The modules are then written as segno writes them (one run of
dark modules per `h`, relative moves), so the SVG is segno's own byte for byte
(tests/dialects/zype/test_qr.py compares them). Texts this does not hold for (not ASCII, or
whose prefix does not force byte mode) go to segno whole.
"""

from __future__ import annotations

import functools
import re

import segno

# The path's runs: each run of dark modules with the light before it, rows ended by "2"
# (possessive: no backtracking through a long light stretch).
_RUNS = re.compile("[02]*+1+")
_BITS = bytes.maketrans(b"\x00\x01", b"01")
_BASE_CHAR = "0"


class _Moves(dict):
    """A run's text → its move and line as segno writes them, made when first seen: within a
    row "0011" is "m2 0h2" (the light before it); across rows "…0|2|00111" moves from the
    end of the last dark run above (its row's trailing light) to this one's start."""

    def __init__(self, side: int):
        super().__init__()
        self.side = side

    def __missing__(self, run: str) -> str:
        dark = len(run.lstrip("02"))
        light = run[:len(run) - dark].split("2")
        if len(light) == 1:
            move = f"m{len(light[0])} 0h{dark}"
        else:
            move = f"m{len(light[0]) + len(light[-1]) - self.side} {len(light) - 1}h{dark}"
        self[run] = move
        return move


def _symbol(text: str, mask: int) -> segno.QRCode:
    return segno.make(text, error="m", mask=mask, micro=False)


def _bits(symbol: segno.QRCode) -> int:
    return int(b"".join(symbol.matrix).translate(_BITS), 2)


class _Table:
    """The symbols of `prefix` + any ASCII text of `length` characters."""

    def __init__(self, prefix: str, length: int, mask: int):
        self.prefix, self.length, self.mask = prefix, length, mask
        base = _symbol(prefix + _BASE_CHAR * length, mask)
        self.version = base.version
        self.side = len(base.matrix)
        self.border = (base.symbol_size(scale=1)[0] - self.side) // 2
        self.base = _bits(base)
        drawing = base.svg_inline(scale=1)
        body = drawing[drawing.index(">") + 1:drawing.rindex("</svg>")]
        self.head = body[:body.index(' d="') + 4]
        self.tail = body[body.rindex('"'):]
        self.changes: dict[tuple[int, str], int] = {}
        self.moves = _Moves(self.side)

    def change(self, position: int, char: str) -> int:
        """What `char` at `position` alone changes in the base symbol (drawn once)."""
        key = (position, char)
        found = self.changes.get(key)
        if found is None:
            text = (self.prefix + _BASE_CHAR * position + char
                    + _BASE_CHAR * (self.length - position - 1))
            symbol = _symbol(text, self.mask)
            if symbol.version != self.version:  # cannot happen for equal lengths in byte mode
                raise ValueError("the symbol's version moved")
            found = self.changes[key] = _bits(symbol) ^ self.base
        return found

    def body(self, text: str) -> str:
        bits = self.base
        for position, char in enumerate(text):
            if char != _BASE_CHAR:
                bits ^= self.change(position, char)
        return self.head + self.path(bits) + self.tail

    def path(self, bits: int) -> str:
        """segno's path: each run of dark modules as `h<length>`, moved to from the previous
        run's end (`M` absolute for the first, then relative `m`), each run's text looked up
        in `_Moves`."""
        side = self.side
        modules = format(bits, f"0{side * side}b")
        rows = "2".join([modules[start:start + side] for start in range(0, side * side, side)])
        runs = _RUNS.findall(rows)
        first = runs[0]  # the top-left finder pattern: the first row starts dark
        dark = len(first.lstrip("0"))
        return (f"M{self.border + len(first) - dark} {self.border + 0.5}h{dark}"
                + "".join(map(self.moves.__getitem__, runs[1:])))


@functools.lru_cache(maxsize=16)
def _table(prefix: str, length: int, mask: int) -> _Table:
    return _Table(prefix, length, mask)


def _forces_byte_mode(prefix: str) -> bool:
    # a lower-case letter is in neither the numeric nor the alphanumeric set, so segno
    # encodes the whole text in byte mode whatever follows
    return any("a" <= char <= "z" for char in prefix)


def qr_drawing(url: str, *, mask: int) -> tuple[int, str]:
    """`url`'s QR symbol (error level M, `mask`) as segno's inline SVG at scale 1 has it:
    (its side in modules, border included; its `<path …/>`), from the site's table when the
    URL ends in `=<code>`."""
    prefix, equals, code = url.rpartition("=")
    if equals and code and url.isascii() and _forces_byte_mode(prefix):
        table = _table(prefix + equals, len(code), mask)
        return table.side + 2 * table.border, table.body(code)
    symbol = _symbol(url, mask)
    drawing = symbol.svg_inline(scale=1)
    return (symbol.symbol_size(scale=1)[0],
            drawing[drawing.index(">") + 1:drawing.rindex("</svg>")])
