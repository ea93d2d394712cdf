"""The SPARQL 1.1 Service Description answered by ``GET /sparql`` without a query.

It tells a client what the endpoint does and does not do: SPARQL 1.1 Query
only (no update, no federation), the result formats, the union default graph,
and the named graphs of the current build with their sizes (so a researcher
can pick ``default-graph-uri`` / ``named-graph-uri`` values).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from api.sparql.formats import ALL_FORMATS

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS = "http://www.w3.org/ns/formats/"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DCT_DESCRIPTION = ox.NamedNode("http://purl.org/dc/terms/description")

# W3C format IRIs (https://www.w3.org/ns/formats/) of the formats we write.
FORMAT_IRIS: dict[str, str] = {
    "json": "SPARQL_Results_JSON", "xml": "SPARQL_Results_XML", "csv": "SPARQL_Results_CSV",
    "tsv": "SPARQL_Results_TSV", "turtle": "Turtle", "ntriples": "N-Triples",
    "jsonld": "JSON-LD", "rdfxml": "RDF_XML", "trig": "TriG", "nquads": "N-Quads",
}

GRAPH_SIZES_QUERY = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"

SD_PREFIXES = {"sd": SD, "formats": FORMATS, "void": VOID,
               "dct": "http://purl.org/dc/terms/"}


@dataclass(frozen=True)
class GraphInfo:
    """A named graph of the current build and its number of triples."""

    name: str
    triples: int


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def description_triples(endpoint: str, graphs: Sequence[GraphInfo] | None) -> list[ox.Triple]:
    """The description as triples; ``graphs`` None means no build is published."""
    service = _n(endpoint)
    t: list[ox.Triple] = [
        ox.Triple(service, RDF_TYPE, _n(SD + "Service")),
        ox.Triple(service, _n(SD + "endpoint"), service),
        ox.Triple(service, _n(SD + "supportedLanguage"), _n(SD + "SPARQL11Query")),
        ox.Triple(service, _n(SD + "feature"), _n(SD + "UnionDefaultGraph")),
        ox.Triple(service, DCT_DESCRIPTION, ox.Literal(
            "Read-only SPARQL 1.1 Query endpoint of the HK Smart City Knowledge Graph. "
            "Without a dataset in the request or query, the default graph is the union of "
            "all named graphs. SPARQL Update and SERVICE (federation) are refused; FROM / "
            "FROM NAMED and default-graph-uri / named-graph-uri name graphs already in the "
            "store and never cause a fetch. Answers longer than the result cap are cut and "
            "carry the header HKKG-Truncated: true.", language="en")),
    ]
    for fmt in ALL_FORMATS:
        t.append(ox.Triple(service, _n(SD + "resultFormat"), _n(FORMATS + FORMAT_IRIS[fmt.name])))
    if graphs is not None:
        dataset = ox.BlankNode("dataset")
        default = ox.BlankNode("defaultGraph")
        t += [
            ox.Triple(service, _n(SD + "defaultDataset"), dataset),
            ox.Triple(dataset, RDF_TYPE, _n(SD + "Dataset")),
            ox.Triple(dataset, _n(SD + "defaultGraph"), default),
            ox.Triple(default, RDF_TYPE, _n(SD + "Graph")),
            ox.Triple(default, _n(VOID + "triples"),
                      ox.Literal(str(sum(g.triples for g in graphs)),
                                 datatype=_n("http://www.w3.org/2001/XMLSchema#integer"))),
        ]
        for i, g in enumerate(graphs):
            named = ox.BlankNode(f"namedGraph{i}")
            graph = ox.BlankNode(f"graph{i}")
            t += [
                ox.Triple(dataset, _n(SD + "namedGraph"), named),
                ox.Triple(named, RDF_TYPE, _n(SD + "NamedGraph")),
                ox.Triple(named, _n(SD + "name"), _n(g.name)),
                ox.Triple(named, _n(SD + "graph"), graph),
                ox.Triple(graph, RDF_TYPE, _n(SD + "Graph")),
                ox.Triple(graph, _n(VOID + "triples"),
                          ox.Literal(str(g.triples),
                                     datatype=_n("http://www.w3.org/2001/XMLSchema#integer"))),
            ]
    return t


def render(endpoint: str, graphs: Sequence[GraphInfo] | None, rdf_format: ox.RdfFormat) -> bytes:
    """Serialize the description in ``rdf_format`` (Turtle or JSON-LD)."""
    data = ox.serialize(description_triples(endpoint, graphs), format=rdf_format,
                        prefixes=SD_PREFIXES)
    assert data is not None
    return data
