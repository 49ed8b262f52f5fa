"""`core.written_json`: pieces of DRF's own rendering, joined back, are its rendering."""

from rest_framework.renderers import JSONRenderer

from core import written_json


def test_pieces_joined_with_the_values_are_the_renderers_bytes():
    data = {"id": "17", "title": 'Ünï "quoted" \u2028', "path": "M4 4.5h7m1 0h2", "n": 3}
    marked = {**data, "id": written_json.mark("id"),
              "path": f"<p d=\"{written_json.mark('path')}\"/>"}
    pieces = written_json.template(marked, ["id", "path"])
    assert len(pieces) == 3
    joined = pieces[0] + b"17" + pieces[1] + b"M4 4.5h7m1 0h2" + pieces[2]
    assert joined == JSONRenderer().render({**data, "path": '<p d="M4 4.5h7m1 0h2"/>'})


def test_data_holding_a_marker_of_its_own_is_not_cut():
    data = {"id": written_json.mark("id"), "title": written_json.mark("id")}
    assert written_json.template(data, ["id"]) is None


def test_a_list_envelope_is_the_renderers():
    opening, separator, closing = written_json.list_envelope("response")
    assert opening + b"1" + separator + b"2" + closing == \
        JSONRenderer().render({"response": [1, 2]})


def test_an_answer_of_pieces_sends_them_joined_and_counts_their_length():
    pieces = [f'{{"n":{n}}}'.encode() for n in range(2_500)]
    response = written_json.PiecesResponse(pieces, status=201, content_type="application/json")
    sent = list(response)
    assert len(sent) == 3  # a group of pieces at a time
    assert b"".join(sent) == response.content == b"".join(pieces)
    assert response["Content-Length"] == str(len(response.content))
    assert (response.status_code, response["Content-Type"]) == (201, "application/json")
