"""The redemption field rules, each written once (`redemptions.validators`)."""

import pytest

from redemptions.errors import (
    InvalidMaxUses,
    InvalidRemainingUses,
    LabelRequired,
    LabelTooLong,
    OfferError,
)
from redemptions.validators import (
    MAX_USES_PER_CODE,
    clean_label,
    clean_max_uses,
    clean_remaining_uses,
    clean_user_tags,
)


@pytest.mark.parametrize("uses", [0, 1, MAX_USES_PER_CODE])
def test_a_code_allows_from_no_uses_to_the_cap(uses):
    assert clean_max_uses(uses) == uses


@pytest.mark.parametrize("uses", [-1, MAX_USES_PER_CODE + 1, "3", 2.0, True, None])
def test_uses_outside_the_range_or_not_whole_numbers_are_refused(uses):
    with pytest.raises(InvalidMaxUses) as exc:
        clean_max_uses(uses)
    assert exc.value.field == "max_redemptions"


def test_a_code_never_allows_fewer_uses_than_it_has_had():
    with pytest.raises(InvalidMaxUses) as exc:
        clean_max_uses(1, used=2)
    assert exc.value.message == ("max_redemptions cannot go below 2 (the code has been used "
                                 "2 time(s)).")


def test_the_uses_it_has_had_are_enough():
    assert clean_max_uses(2, used=2) == 2


@pytest.mark.parametrize("left", [-1, MAX_USES_PER_CODE + 1, "1", False])
def test_remaining_uses_are_a_whole_number_within_the_cap(left):
    with pytest.raises(InvalidRemainingUses):
        clean_remaining_uses(left)


def test_user_tags_are_a_list_and_a_string_is_not_split():
    with pytest.raises(OfferError):
        clean_user_tags("a;b")
    assert clean_user_tags([" a ", "b", "a", ""]) == ["a", "b"]


def test_a_label_is_trimmed_and_must_say_something():
    assert clean_label("  spring batch ") == "spring batch"
    for nothing in ("", "   ", None, 12):
        with pytest.raises(LabelRequired):
            clean_label(nothing)


def test_a_label_fits_its_column():
    assert clean_label("x" * 200) == "x" * 200
    with pytest.raises(LabelTooLong) as refused:
        clean_label("x" * 201)
    assert refused.value.data["limit"] == 200 and refused.value.field == "label"
