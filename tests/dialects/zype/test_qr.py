"""Zype's QR drawings (`dialects.zype.qr`) are segno's own, byte for byte, for any code, one
at a time (`qr_drawing`) or many together (`qr_paths`)."""

import re

import numpy as np
import segno
from django.conf import settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dialects.zype import qr
from dialects.zype.codes import QR_MASK
from dialects.zype.qr import qr_drawing, qr_paths
from redemptions.codes import ALPHABET_CHARACTERS

SITE = f"{settings.SITE_URL}/redeem/{settings.SITE_SLUG}?redemptionCode="


def segno_drawing(url: str) -> tuple[int, str]:
    symbol = segno.make(url, error="m", mask=QR_MASK, micro=False)
    return (symbol.symbol_size(scale=1)[0],
            re.search(r"<path [^>]*/>", symbol.svg_inline(scale=1)).group(0))


codes = st.sampled_from(sorted(ALPHABET_CHARACTERS.values())).flatmap(
    lambda alphabet: st.text(alphabet, min_size=6, max_size=20))


@hypothesis_settings(max_examples=60, deadline=None)
@given(codes)
def test_a_codes_drawing_is_segnos(code):
    assert qr_drawing(SITE + code, mask=QR_MASK) == segno_drawing(SITE + code)


@hypothesis_settings(max_examples=30, deadline=None)
@given(st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=1,
               max_size=30))
def test_any_text_after_the_equals_sign_draws_as_segno_does(text):
    assert qr_drawing(SITE + text, mask=QR_MASK) == segno_drawing(SITE + text)


def test_a_url_without_a_lower_case_prefix_is_drawn_by_segno_whole():
    url = "HTTP://EXAMPLE.COM/R?C=123456"
    assert qr_drawing(url, mask=QR_MASK) == segno_drawing(url)


def drawn_together(prefix: str, codes: list[str]) -> list[tuple[int, str]]:
    """`qr_paths`' answers as `qr_drawing`'s: (side, `<path …/>`)."""
    return [(frame.side, frame.head + path.decode() + frame.tail)
            for frame, path in qr_paths(prefix, codes, mask=QR_MASK)]


@hypothesis_settings(max_examples=25, deadline=None)
@given(st.sampled_from(sorted(ALPHABET_CHARACTERS.values())).flatmap(
    lambda alphabet: st.lists(st.text(alphabet, min_size=6, max_size=20), min_size=1,
                              max_size=40)))
def test_codes_drawn_together_are_each_segnos_drawing(codes):
    assert drawn_together(SITE, codes) == [segno_drawing(SITE + code) for code in codes]


@hypothesis_settings(max_examples=15, deadline=None)
@given(st.lists(st.text(st.characters(min_codepoint=1, max_codepoint=0x2FF), min_size=1,
                        max_size=24), min_size=1, max_size=12))
def test_any_texts_drawn_together_are_each_segnos_drawing(texts):
    # not ASCII, holding "=", of several lengths: the table's, or segno's alone
    assert drawn_together(SITE, texts) == [segno_drawing(SITE + text) for text in texts]


def test_more_codes_than_one_chunk_are_each_segnos_drawing():
    codes = [f"{n:016X}" for n in range(0, 2_500 * 7919, 7919)]
    drawn = drawn_together(SITE, codes)
    assert len(drawn) == len(codes)
    for index in (0, 1, 1023, 1024, 1025, 2047, 2048, 2499):
        assert drawn[index] == segno_drawing(SITE + codes[index])


def test_a_prefix_segno_must_draw_whole_draws_together_as_segno_does():
    prefix = "HTTP://EXAMPLE.COM/R?C="
    assert drawn_together(prefix, ["123456", "ABCDEF"]) == \
        [segno_drawing(prefix + "123456"), segno_drawing(prefix + "ABCDEF")]


def test_light_rows_are_moved_over_as_segno_moves_over_them(monkeypatch):
    # a row with no dark module is all but impossible in a real symbol (the data's modules
    # would all have to be light): blank two in segno's own matrix and draw that
    code = "BCDFGHJKMNPQRSTV"
    symbol = segno.make(SITE + code, error="m", mask=QR_MASK, micro=False)
    for row in (20, 21, len(symbol.matrix) - 1):
        symbol.matrix[row][:] = bytes(len(symbol.matrix[row]))
    table = qr._table(SITE, len(code), QR_MASK)
    monkeypatch.setattr(table, "symbols",
                        lambda codes: np.array([list(row) for row in symbol.matrix],
                                               np.uint8)[np.newaxis])
    side = symbol.symbol_size(scale=1)[0]
    expected = re.search(r"<path [^>]*/>", symbol.svg_inline(scale=1)).group(0)
    assert drawn_together(SITE, [code]) == [(side, expected)]
    assert " 3h" in expected  # three rows down, over the two light ones


def test_every_token_in_the_table_is_the_move_segno_writes():
    side, border = 25, 4
    tokens = qr._tokens(side, border)
    table = tokens.table.view(np.uint8).reshape(2, -1, 8)

    def token(key: int) -> bytes:
        text = table[0, key].tobytes() + (table[1, key].tobytes() if tokens.longer[key]
                                           else b"")
        return text.rstrip(b"\0")

    width = side + 1
    for dx in range(-side, side + 1):
        for dy in range(side):
            for length in range(1, width):
                key = (dx + side) * side * width + dy * width + length
                assert token(key) == f"m{dx} {dy}h{length}".encode()
    for length in range(1, width):
        assert token(tokens.opening + length) == f"M{border} {border + 0.5}h{length}".encode()
