"""Properties of `normalize_code`, the one normaliser every entry point uses."""

from hypothesis import given
from hypothesis import strategies as st

from redemptions.codes import normalize_code

CODES = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=1, max_size=20)
SEPARATORS = st.text(alphabet=" -\t", max_size=3)


@given(st.text(max_size=80))
def test_normalize_code_is_idempotent(text):
    assert normalize_code(normalize_code(text)) == normalize_code(text)


@given(CODES, st.lists(st.booleans(), max_size=20), st.lists(SEPARATORS, max_size=21))
def test_normalize_code_ignores_case_dashes_and_spaces(code, lower, separators):
    typed = "".join(
        (ch.lower() if i < len(lower) and lower[i] else ch)
        + (separators[i] if i < len(separators) else "")
        for i, ch in enumerate(code))
    padding = separators[-1] if separators else ""
    assert normalize_code(padding + typed + padding) == code


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=80))
def test_normalized_codes_hold_no_lower_case_dash_or_space(text):
    normal = normalize_code(text)
    assert normal == normal.upper()
    assert not any(ch in normal for ch in " -\t\n")


@given(st.text(max_size=80))
def test_a_code_given_by_hand_is_refused_or_kept_exactly_as_normalised(text):
    from redemptions.codes import clean_code, is_canonical, min_code_length
    from redemptions.errors import CodeGroupError

    try:
        kept = clean_code(text)
    except CodeGroupError:
        normal = normalize_code(text)
        assert not is_canonical(normal) or len(normal) < min_code_length()
    else:
        assert kept == normalize_code(text)
        assert is_canonical(kept) and len(kept) >= min_code_length()
