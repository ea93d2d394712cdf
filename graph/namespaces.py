"""Namespaces used across loaders, shapes, queries and the API.

The project's own vocabulary is ``https://w3id.org/hk-smartcity/def/`` (prefix
``hksc``); the ontology IRI itself is ``.../def`` without the slash, because
pyLODE 3.3.4 cannot document an ontology whose IRI ends in ``/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, ORG, OWL, PROV, RDF, RDFS, SKOS, TIME, VOID, XSD

BASE = "https://w3id.org/hk-smartcity/"
HKSC = Namespace(BASE + "def/")
ONTOLOGY_IRI = BASE + "def"
ID = Namespace(BASE + "id/")
CPOV = Namespace("http://data.europa.eu/m8g/")
CPSV = Namespace("http://purl.org/vocab/cpsv#")
OA = Namespace("http://www.w3.org/ns/oa#")
QB = Namespace("http://purl.org/linked-data/cube#")
SCHEMA = Namespace("https://schema.org/")
SH = Namespace("http://www.w3.org/ns/shacl#")

PREFIXES: dict[str, str] = {
    "hksc": str(HKSC),
    "id": str(ID),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dct": str(DCTERMS),
    "dcat": str(DCAT),
    "prov": str(PROV),
    "org": str(ORG),
    "cpov": str(CPOV),
    "cpsv": str(CPSV),
    "oa": str(OA),
    "qb": str(QB),
    "time": str(TIME),
    "schema": str(SCHEMA),
    "void": str(VOID),
    "sh": str(SH),
}


def by_length(prefixes: Mapping[str, str]) -> list[tuple[str, str]]:
    """``prefixes`` longest namespace first, the order :func:`prefixed_name` needs."""
    return sorted(prefixes.items(), key=lambda kv: -len(kv[1]))


def prefixed_name(iri: str, namespaces: Iterable[tuple[str, str]],
                  fits: Callable[[str], bool]) -> str:
    """``iri`` as ``prefix:local`` under the first of ``namespaces`` (longest first, see
    :func:`by_length`) whose local part ``fits``; else the IRI itself."""
    for prefix, ns in namespaces:
        local = iri[len(ns):]
        if iri.startswith(ns) and local and fits(local):
            return f"{prefix}:{local}"
    return iri


def sparql_prologue() -> str:
    """PREFIX lines for every namespace above, for queries and the editor."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


# Prefixes for writing Turtle, TriG and RDF/XML: all but ``id:``. Every local name under
# it holds a "/", which Turtle must escape (``id:platform\/iam-smart``); the full IRI
# reads better and is what a reader copies into a browser.
WRITE_PREFIXES: dict[str, str] = {k: v for k, v in PREFIXES.items() if k != "id"}

# Named graphs: one per kind of input, so a researcher can restrict a query.
GRAPH_ONTOLOGY = ID["graph/ontology"]
GRAPH_SOURCES = ID["graph/sources"]
GRAPH_RECORDS = ID["graph/records"]
GRAPH_TABLES = ID["graph/tables"]
GRAPH_MENTIONS = ID["graph/mentions"]
GRAPH_METADATA = ID["graph/metadata"]
GRAPH_NOT_A_FACT = ID["graph/not-a-fact"]


def user_graph(name: str) -> str:
    """Named graph IRI for a user-supplied RDF file."""
    return str(ID[f"graph/rdf/{name}"])
