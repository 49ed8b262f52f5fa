"""Zype's QR drawings (`dialects.zype.qr`) are segno's own, byte for byte, for any code."""

import re

import segno
from django.conf import settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dialects.zype.codes import QR_MASK
from dialects.zype.qr import qr_drawing
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
