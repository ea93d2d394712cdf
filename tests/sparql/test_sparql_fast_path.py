"""pyoxigraph's serializer writes SELECT answers only when they provably fit.

``formats.serialize_solutions`` must never hand back an answer longer than
``max_results`` rows (the cut and its "truncated" mark would be lost), and
what it hands back must be the whole answer. Hypothesis generates answers
whose text is built to fool the byte counts: values holding ``<result``,
line breaks, ``{},``, quotes and tabs, rows with nothing bound.
"""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.sparql import formats, workers

TRICKY_TEXT = st.lists(
    st.sampled_from(["a", "<", "<result", "<results>", "s", ">", "\n", "\r", "\t", ",", '"',
                     "{},", "}", "\\", "é", " "]),
    max_size=12,
).map("".join)

TERM = st.one_of(
    st.none(),
    st.builds(lambda t: {"type": "literal", "value": t}, TRICKY_TEXT),
    st.builds(lambda t: {"type": "literal", "value": t, "xml:lang": "en"}, TRICKY_TEXT),
    st.builds(lambda n: {"type": "literal", "value": str(n),
                         "datatype": "http://www.w3.org/2001/XMLSchema#integer"},
              st.integers(-5, 5)),
    st.builds(lambda n: {"type": "uri", "value": f"http://example.org/{n}"}, st.integers(0, 9)),
)


@st.composite
def answers(draw: Any) -> tuple[list[str], list[list[dict[str, str] | None]]]:
    variables = draw(st.lists(st.sampled_from(["a", "b", "c"]), max_size=3, unique=True))
    rows = draw(st.lists(st.lists(TERM, min_size=len(variables), max_size=len(variables)),
                         max_size=8))
    return variables, rows


def solutions(variables: list[str], rows: list[list[dict[str, str] | None]]) -> ox.QuerySolutions:
    doc = {"head": {"vars": variables}, "results": {"bindings": [
        {v: t for v, t in zip(variables, row, strict=True) if t is not None} for row in rows]}}
    parsed = ox.parse_query_results(json.dumps(doc).encode(), format=ox.QueryResultsFormat.JSON)
    assert isinstance(parsed, ox.QuerySolutions)
    return parsed


def read_back(body: bytes, fmt: formats.Format) -> list[tuple[Any, ...]]:
    parsed = ox.parse_query_results(body, format=formats._RESULT_SERIALIZERS[fmt.name])
    assert isinstance(parsed, ox.QuerySolutions)
    return [tuple(s) for s in parsed]


@pytest.mark.parametrize("fmt", formats.RESULT_FORMATS, ids=lambda f: f.name)
@settings(max_examples=150, deadline=None)
@given(answer=answers(), max_results=st.integers(0, 9))
def test_never_longer_than_the_cap_and_always_whole(fmt: formats.Format,
                                                    answer: tuple[list[str], list[Any]],
                                                    max_results: int) -> None:
    variables, rows = answer
    body = formats.serialize_solutions(solutions(variables, rows), fmt, max_results)
    if len(rows) > max_results:
        assert body is None
        return
    # The counts are exact: the fast path is taken whenever the answer fits.
    assert body is not None
    if fmt.name != "csv":  # CSV drops datatypes and languages; it cannot be read back exactly
        expected = [tuple(s) for s in solutions(variables, rows)]
        assert read_back(body, fmt) == expected


def test_a_larger_answer_than_the_byte_cap_is_left_to_the_python_writers() -> None:
    rows: list[list[dict[str, str] | None]] = [[{"type": "literal", "value": "x" * 100}]] * 50
    sols = solutions(["a"], rows)
    assert formats.serialize_solutions(sols, formats.RESULT_FORMATS[0], 1000, max_bytes=1000) is None


def test_execute_cuts_and_marks_a_long_answer(tmp_path: Any) -> None:
    """Past the cap, the query runs again and the Python writer cuts and marks it."""
    store = ox.Store()
    for n in range(7):
        store.add(ox.Quad(ox.NamedNode(f"http://example.org/{n}"), ox.NamedNode("http://example.org/p"),
                          ox.Literal(str(n))))
    job = workers.Job("SELECT ?s WHERE { ?s ?p ?o }", "json", None, max_results=5)
    outcome = workers.execute(store, job)
    doc = json.loads(outcome.body)
    assert outcome.status == "ok" and outcome.truncated
    assert len(doc["results"]["bindings"]) == 5 and doc["head"]["truncated"] is True
    whole = workers.execute(store, workers.Job(job.query, "json", None, max_results=7))
    assert not whole.truncated and len(json.loads(whole.body)["results"]["bindings"]) == 7
