"""QR drawings of Zype codes' redemption URLs, without encoding each one from scratch.

segno encodes a symbol in ~1.3 ms and writes its SVG path in ~0.9 ms: a bulk create of
10,000 codes spent half a minute drawing. The URLs of one site differ only in the code at
their end, and with the version, error level, mask and byte mode fixed, a QR symbol is an
affine function of its data bits over GF(2) (Reed–Solomon is linear, placement a
permutation, masking an XOR). So a symbol = the symbol of a base text XOR, for each
character that differs from the base, the change that character makes alone — itself the
XOR of the changes of the bits it differs in, each drawn once by segno and kept. The
modules are then written as segno writes them (one run of dark modules per `h`, relative
moves), so the SVG is segno's own byte for byte (tests/dialects/zype/test_qr.py compares
them). Texts this does not hold for (not ASCII, or
whose prefix does not force byte mode) go to segno whole.

`qr_paths` draws many codes of one site at once (a bulk create's 10,000) with numpy: the
symbols as one XOR per character position over all codes, then every run of dark modules
of every symbol found and written as one token each from a table of every move segno can
write — no Python per module, run or row.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
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
        self.bit_changes: dict[tuple[int, int], int] = {}
        self.moves = _Moves(self.side)
        self.frame = Frame(self.side + 2 * self.border, self.head, self.tail)
        # numpy's form, made when first asked (`paths`): the base and each change as packed
        # bits, by position and character code
        self.packed_base: np.ndarray | None = None
        self.packed_changes: np.ndarray | None = None
        self.known: np.ndarray | None = None
        self.lock = threading.Lock()

    def change(self, position: int, char: str) -> int:
        """What `char` (ASCII) at `position` alone changes in the base symbol: the changes
        of the bits it differs from the base character in, each drawn once (seven symbols
        a position, not one per character: a worker's first bulk create of 16-character
        codes draws 112, not ~500)."""
        key = (position, char)
        found = self.changes.get(key)
        if found is None:
            found, differs = 0, ord(char) ^ ord(_BASE_CHAR)
            for bit in range(7):
                if differs >> bit & 1:
                    found ^= self._bit_change(position, bit)
            self.changes[key] = found
        return found

    def _bit_change(self, position: int, bit: int) -> int:
        key = (position, bit)
        found = self.bit_changes.get(key)
        if found is None:
            char = chr(ord(_BASE_CHAR) ^ 1 << bit)  # "1", "2", "4", "8", " ", "\x10", "p"
            text = (self.prefix + _BASE_CHAR * position + char
                    + _BASE_CHAR * (self.length - position - 1))
            symbol = _symbol(text, self.mask)
            if symbol.version != self.version:  # cannot happen for equal lengths in byte mode
                raise ValueError("the symbol's version moved")
            found = self.bit_changes[key] = _bits(symbol) ^ self.base
        return found

    def body(self, text: str) -> str:
        bits = self.base
        for position, char in enumerate(text):
            if char != _BASE_CHAR:
                bits ^= self.change(position, char)
        return self.head + self.path(bits) + self.tail

    def _packed(self, bits: int) -> np.ndarray:
        size = self.side * self.side
        length = (size + 7) // 8
        return np.frombuffer((bits << (length * 8 - size)).to_bytes(length, "big"), np.uint8)

    def symbols(self, codes: Sequence[str]) -> np.ndarray:
        """The modules of each code's symbol (codes × side × side, 1 dark): the base XOR,
        position by position, the change each code's character there makes."""
        chars = np.frombuffer("".join(codes).encode("ascii"), np.uint8)
        chars = chars.reshape(len(codes), self.length)
        with self.lock:  # the changes not yet packed, packed once (threads may share a table)
            if self.packed_base is None:
                self.packed_changes = np.zeros((self.length, 128, self._packed(0).size),
                                               np.uint8)
                self.known = np.zeros((self.length, 128), bool)
                self.known[:, ord(_BASE_CHAR)] = True  # no change
                self.packed_base = self._packed(self.base)
            for position in range(self.length):
                present = np.unique(chars[:, position])
                for char in present[~self.known[position, present]]:
                    self.packed_changes[position, char] = self._packed(
                        self.change(position, chr(char)))
                    self.known[position, char] = True
            base, changes = self.packed_base, self.packed_changes
        bits = np.repeat(base[np.newaxis, :], len(codes), axis=0)
        for position in range(self.length):
            bits ^= changes[position, chars[:, position]]
        size = self.side * self.side
        return np.unpackbits(bits, axis=1, count=size).reshape(len(codes), self.side,
                                                                 self.side)

    def paths(self, codes: Sequence[str]) -> list[bytes]:
        """`path`'s text for each of `codes` (ASCII, `length` characters each), drawn
        together: each run of dark modules is found as an edge in the modules laid end to
        end (each row followed by one light module, so a run ends with its row), and written
        as its token in `_tokens`, keyed by its move from the previous run's end and its
        length."""
        side = self.side
        width = side + 1
        block = side * width  # one symbol's modules, each row and its light one
        tokens = _tokens(side, self.border)
        found: list[bytes] = []
        for first in range(0, len(codes), _CHUNK):  # small enough to stay in the caches
            chunk = codes[first:first + _CHUNK]
            laid = np.zeros(len(chunk) * block + 1, np.uint8)  # a light module first
            laid[1:].reshape(len(chunk), side, width)[:, :, :side] = self.symbols(chunk)
            edges = np.flatnonzero(laid[1:] != laid[:-1]).astype(np.int32)
            starts, ends = edges[0::2], edges[1::2]  # dark from start to end (excluded)
            rows = starts // width
            row_starts = rows * width
            lengths = ends - starts
            key = np.empty_like(starts)
            key[1:] = ((starts[1:] - row_starts[1:] - ends[:-1] + row_starts[:-1] + side)
                       * block + (rows[1:] - rows[:-1]) * width)
            opening = starts % block == 0  # each symbol's first run: its top-left corner
            if int(np.count_nonzero(opening)) != len(chunk):
                raise ValueError("a symbol without a dark top-left module")
            key[opening] = tokens.opening
            key += lengths
            longer = np.flatnonzero(tokens.longer[key])  # their last bytes: a second key
            if longer.size:
                key = np.insert(key, longer + 1, key[longer] + tokens.rest)
            text = tokens.table[key].view(np.uint8)
            text = text[text != 0]
            marks = np.flatnonzero(text == ord("M")).tolist()  # each symbol's first token
            written = text.tobytes()
            marks.append(len(written))
            found.extend(written[start:end] for start, end in itertools.pairwise(marks))
        return found

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


_CHUNK = 1024  # symbols drawn together by `_Table.paths`
_TOKEN_WIDTH = 8  # bytes per key in `_tokens`' table, zero-padded: one uint64


class _Tokens(NamedTuple):
    table: np.ndarray  # each key's token, its first _TOKEN_WIDTH bytes (uint64)
    opening: int  # the key of a symbol's first run of length 0 (add the length)
    rest: int  # key + rest: the rest of a longer token (a few, "m-12 1h10")
    longer: np.ndarray  # by key: its token is longer than _TOKEN_WIDTH


@functools.lru_cache(maxsize=4)
def _tokens(side: int, border: int) -> _Tokens:
    """Every token segno writes for a run in a symbol of `side` modules, by key:
    `(dx + side) * side * (side + 1) + dy * (side + 1) + length` for `m<dx> <dy>h<length>`
    (the move from the previous run's end to this run's start), then the symbol's first run
    `M<border> <border + .5>h<length>` (it starts at the top-left corner)."""
    width = side + 1
    opening = (2 * side + 1) * side * width
    rest = opening + width
    # every key's token written by numpy, a column at a time (a worker's first bulk create
    # would otherwise spend ~80 ms formatting 100,000 of them)
    moves = np.arange(opening)
    dx, within = np.divmod(moves, side * width)
    dx -= side
    dy, length = np.divmod(within, width)
    text = np.zeros((rest, 2 * _TOKEN_WIDTH), np.uint8)
    ends = np.zeros(rest, np.int64)
    _write(text, ends, moves, np.full(opening, ord("m")))
    _write_number(text, ends, moves, dx)
    _write(text, ends, moves, np.full(opening, ord(" ")))
    _write_number(text, ends, moves, dy)
    _write(text, ends, moves, np.full(opening, ord("h")))
    _write_number(text, ends, moves, length)
    text[moves[length == 0]], ends[moves[length == 0]] = 0, 0  # no run is empty
    for run in range(1, width):
        token = f"M{border} {border + 0.5}h{run}".encode()
        text[opening + run, :len(token)] = np.frombuffer(token, np.uint8)
        ends[opening + run] = len(token)
    if ends.max() > 2 * _TOKEN_WIDTH:
        raise ValueError("a token longer than two keys")
    table = np.concatenate([text[:, :_TOKEN_WIDTH], text[:, _TOKEN_WIDTH:]])
    return _Tokens(table.view(np.uint64).ravel(), opening, rest, ends > _TOKEN_WIDTH)


def _write(text: np.ndarray, ends: np.ndarray, rows: np.ndarray, chars: np.ndarray) -> None:
    """Each of `rows` of `text` continued by its character of `chars`."""
    text[rows, ends[rows]] = chars
    ends[rows] += 1


def _write_number(text: np.ndarray, ends: np.ndarray, rows: np.ndarray,
                  numbers: np.ndarray) -> None:
    """Each of `rows` of `text` continued by its number of `numbers` in decimal."""
    _write(text, ends, rows[numbers < 0], np.full(np.count_nonzero(numbers < 0), ord("-")))
    size = np.abs(numbers)
    for place in (100, 10):
        wide = size >= place
        _write(text, ends, rows[wide], ord("0") + size[wide] // place % 10)
    _write(text, ends, rows, ord("0") + size % 10)


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


class Frame(NamedTuple):
    """What surrounds a path's `d` text in `qr_drawing`'s `<path …/>`, and the symbol's side."""

    side: int  # in modules, border included
    head: str  # `<path … d="`
    tail: str  # `"/>`


def qr_paths(prefix: str, codes: Sequence[str], *, mask: int) -> list[tuple[Frame, bytes]]:
    """`qr_drawing(prefix + code)` for each of `codes`, as (its frame, its path's `d` text):
    the site's table draws each length's codes together (`_Table.paths`); a URL it does not
    hold for is drawn by segno alone."""
    drawn: list[tuple[Frame, bytes] | None] = [None] * len(codes)
    by_length: dict[int, list[int]] = {}
    # as qr_drawing decides, the prefix's part once: the URL's last "=" ends the prefix
    tables = prefix.endswith("=") and prefix.isascii() and _forces_byte_mode(prefix[:-1])
    for index, code in enumerate(codes):
        if tables and code and code.isascii() and "=" not in code:
            by_length.setdefault(len(code), []).append(index)
            continue
        side, body = qr_drawing(prefix + code, mask=mask)
        start, end = body.index(' d="') + 4, body.rindex('"')
        drawn[index] = Frame(side, body[:start], body[end:]), body[start:end].encode()
    for length, indexes in by_length.items():
        table = _table(prefix, length, mask)
        paths = table.paths([codes[index] for index in indexes])
        for index, path in zip(indexes, paths, strict=True):
            drawn[index] = table.frame, path
    return drawn
