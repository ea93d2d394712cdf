"""Turn answers into comparable values, so the endpoint's answers can be
checked against the same query run directly on the store."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
import rdflib

Row = tuple[tuple[str, str], ...]


def _term(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return "_:b"  # labels are not comparable across answers
    return str(term)


def rows_of(solutions: ox.QuerySolutions) -> list[Row]:
    variables = [v.value for v in solutions.variables]
    return [tuple((v, _term(t)) for v, t in zip(variables, sol, strict=True))
            for sol in solutions]


def direct_rows(store: ox.Store, query: str, **kwargs: Any) -> list[Row]:
    kwargs.setdefault("use_default_graph_as_union", True)
    result = store.query(query, **kwargs)
    assert isinstance(result, ox.QuerySolutions)
    return rows_of(result)


def direct_bool(store: ox.Store, query: str) -> bool:
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QueryBoolean)
    return bool(result)


def direct_graph(store: ox.Store, query: str) -> rdflib.Graph:
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QueryTriples)
    triples = list(result)
    return ntriples_graph(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")


def ntriples_graph(data: bytes) -> rdflib.Graph:
    return rdflib.Graph().parse(data=data.decode(), format="nt")


def parse_rows(body: bytes, fmt: ox.QueryResultsFormat) -> list[Row]:
    result = ox.parse_query_results(body, format=fmt)
    assert isinstance(result, ox.QuerySolutions)
    return rows_of(result)


def rdflib_term(term: Any) -> str:
    """An rdflib term as pyoxigraph writes it (N-Triples), for rdflib-side answers."""
    if term is None:
        return ""
    if isinstance(term, rdflib.BNode):
        return "_:b"
    if isinstance(term, rdflib.URIRef):
        return f"<{term}>"
    assert isinstance(term, rdflib.Literal)
    if term.language:
        return str(ox.Literal(str(term), language=term.language))
    return str(ox.Literal(str(term), datatype=ox.NamedNode(
        str(term.datatype or "http://www.w3.org/2001/XMLSchema#string"))))


def canonical(graph: rdflib.Graph) -> set[str]:
    """The graph's triples after RDFC-1.0 blank node relabelling (Oxigraph's;
    rdflib's ``isomorphic`` takes minutes on hundreds of blank nodes)."""
    data = graph.serialize(format="nt", encoding="utf-8")
    dataset = ox.Dataset(ox.parse(data, format=ox.RdfFormat.N_TRIPLES))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return {str(q) for q in dataset}


def same_graph(a: rdflib.Graph, b: rdflib.Graph) -> bool:
    return len(a) == len(b) and canonical(a) == canonical(b)
