"""Hypothesis strategies for hostile input, shared by the property tests and the schema walk.

- `unstorable_text()`: text with a NUL or a lone surrogate somewhere in it (what PostgreSQL
  refuses, what cannot be encoded for a cache key or a response);
- `deep_json()`: JSON text nesting arrays and objects from just past the limit to 100,000
  levels, some of it valid, some cut short;
- `json_values()`: any JSON value, nested a little or a lot.
"""

from hypothesis import strategies as st

from core.parsers import MAX_JSON_DEPTH

NUL = "\x00"
SURROGATES = st.integers(0xD800, 0xDFFF).map(chr)


def unstorable_text(*, surrogates: bool = True) -> st.SearchStrategy[str]:
    """Text holding at least one NUL (or, where the wire can carry one, a lone surrogate).
    A URL or a form cannot carry a surrogate (percent-decoding replaces it), JSON can."""
    bad = st.one_of(st.just(NUL), SURROGATES) if surrogates else st.just(NUL)
    return st.tuples(st.text(max_size=12), bad, st.text(max_size=12)).map("".join)


@st.composite
def deep_json(draw, min_depth: int = MAX_JSON_DEPTH + 1) -> str:
    """Arrays and objects nested `depth` levels (1,000 and 100,000 among them), closed or not."""
    depth = draw(st.one_of(st.sampled_from([1_000, 100_000]),
                           st.integers(min_depth, 5_000)))
    opener = draw(st.sampled_from(['[', '{"a":', '[1,', '{"k": [']))
    closer = {"[": "]", '{"a":': "}", "[1,": "]", '{"k": [': "]}"}[opener]
    inner = draw(st.sampled_from(["1", '"x"', "null", "[]", "{}"]))
    closed = draw(st.booleans())
    return opener * depth + inner + (closer * depth if closed else "")


def json_values(max_leaves: int = 20) -> st.SearchStrategy[object]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8),
                        st.floats(allow_nan=False, allow_infinity=False))
    return st.recursive(scalars, lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(max_size=4), children, max_size=3),
    ), max_leaves=max_leaves)
