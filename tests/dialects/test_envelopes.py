"""Each dialect's envelope: how a list of problems looks on its wire."""

from core.envelopes import Problem
from dialects.native.errors import render_native
from dialects.thought_industries.errors import render_thought_industries
from dialects.tizra.errors import render_tizra
from dialects.zype.errors import render_zype

PROBLEMS = [Problem("required", "This field is required.", "label"), Problem("x", "Bad.")]


def test_native_envelope_lists_code_message_field():
    assert render_native(400, PROBLEMS) == {"errors": [
        {"code": "required", "message": "This field is required.", "field": "label"},
        {"code": "x", "message": "Bad.", "field": None},
    ]}


def test_thought_industries_envelope_is_a_list_of_messages():
    assert render_thought_industries(400, PROBLEMS) == {
        "errors": ["label: This field is required.", "Bad."]}


def test_zype_and_tizra_envelopes_are_one_message():
    assert render_zype(400, PROBLEMS) == {"message": "label: This field is required. Bad."}
    assert render_tizra(400, PROBLEMS) == {"error": "label: This field is required. Bad."}
