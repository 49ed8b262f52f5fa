"""Group paths (seed 004): `*`, `{name: "…"}`, `{code: "…"}` joined by `/`, or a plain id."""

import uuid

import pytest

from accounts.errors import GroupNotFound, GroupPathAmbiguous, GroupPathInvalid
from accounts.selectors import Segment, parse_group_path, resolve_group_path
from tests.factories import LearnerGroupFactory


@pytest.fixture
def tree(db):
    """Training/Corporate/{Sales, Support}, Training/Retail/Sales, Archive/Corporate."""
    training = LearnerGroupFactory(name="Training", code="TRN")
    corporate = LearnerGroupFactory(name="Corporate", code="CORP", parent=training)
    retail = LearnerGroupFactory(name="Retail", code="RET", parent=training)
    archive = LearnerGroupFactory(name="Archive", code="ARC")
    return {
        "training": training,
        "corporate": corporate,
        "retail": retail,
        "sales": LearnerGroupFactory(name="Sales", code="S1", parent=corporate),
        "support": LearnerGroupFactory(name="Support", code="S2", parent=corporate),
        "retail_sales": LearnerGroupFactory(name="Sales", code="S3", parent=retail),
        "archive": archive,
        "old_corporate": LearnerGroupFactory(name="Corporate", code="OLD", parent=archive),
    }


def test_the_seeds_example_path_parses_with_its_spaces():
    assert parse_group_path('{name:"Training"}/{name: "Corporate"}/{name: "Sales"}') == [
        Segment("name", "Training"), Segment("name", "Corporate"), Segment("name", "Sales")]


def test_star_code_and_single_quotes_parse():
    assert parse_group_path(" { code : 'CORP' } / * ") == [Segment("code", "CORP"),
                                                           Segment(None)]


def test_a_slash_inside_quotes_is_part_of_the_name():
    assert parse_group_path('{name: "A/B"}/{name: "say \\"hi\\""}') == [
        Segment("name", "A/B"), Segment("name", 'say "hi"')]


@pytest.mark.parametrize("bad", ['{name:"Training"', '{title: "x"}', "Training",
                                 '{name: ""}', '{name: "a"}/', '{name "a"}', '{name: "a"} x'])
def test_malformed_paths_are_refused_with_a_hint(bad):
    with pytest.raises(GroupPathInvalid) as err:
        parse_group_path(bad)
    assert "Invalid group path" in err.value.message


def test_the_seeds_full_path_resolves_to_the_one_group(tree):
    path = '{name:"Training"}/{name: "Corporate"}/{name: "Sales"}'
    assert resolve_group_path(path) == tree["sales"]


def test_names_and_codes_match_in_any_case(tree):
    assert resolve_group_path('{code: "trn"}/{name: "corporate"}/{code: "s2"}') == tree["support"]


def test_a_path_is_anchored_at_the_top_level(tree):
    with pytest.raises(GroupNotFound):
        resolve_group_path('{name: "Corporate"}/{name: "Sales"}')


def test_star_matching_several_groups_says_how_many(tree):
    with pytest.raises(GroupPathAmbiguous) as err:
        resolve_group_path('{name:"Training"}/{name: "Corporate"}/*')
    assert err.value.message.startswith("2 groups match")


def test_star_in_the_middle_matching_one_group_resolves(tree):
    assert resolve_group_path('{name: "Archive"}/*') == tree["old_corporate"]


def test_star_at_the_top_can_be_ambiguous_across_branches(tree):
    with pytest.raises(GroupPathAmbiguous) as err:
        resolve_group_path('*/{name: "Corporate"}')
    assert err.value.message.startswith("2 groups match")


def test_no_match_says_so_and_is_a_404(tree):
    with pytest.raises(GroupNotFound) as err:
        resolve_group_path('{name: "Training"}/{name: "Nowhere"}')
    assert err.value.message.startswith("No group matches")
    assert err.value.http_status == 404


def test_a_plain_group_id_resolves(tree):
    assert resolve_group_path(str(tree["retail"].pk)) == tree["retail"]


def test_an_unknown_group_id_is_not_found(db):
    with pytest.raises(GroupNotFound):
        resolve_group_path(str(uuid.uuid4()))


def test_an_empty_reference_is_invalid(db):
    with pytest.raises(GroupPathInvalid):
        resolve_group_path("  ")


def test_a_nul_character_is_refused_before_any_query(db):
    with pytest.raises(GroupPathInvalid):
        resolve_group_path('{name: "a\x00b"}')
