"""What the records may name: classes, relations and concepts, read from the ontology.

Records say ``type: Department`` or ``predicate: develops``; this module
resolves those names against ``ontology/*.ttl`` so that a typo is a build
error naming the record, and a new term needs only an ontology edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from importlib import resources

from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from graph.namespaces import HKSC, ID

ONTOLOGY_FILES = ("hksc.ttl", "schemes.ttl")


def load_ontology() -> Graph:
    """The ontology and its SKOS schemes as one graph."""
    g = Graph()
    pkg = resources.files("ontology")
    for name in ONTOLOGY_FILES:
        g.parse(data=(pkg / name).read_text(encoding="utf-8"), format="turtle")
    return g


@dataclass
class Vocabulary:
    """Lookups from record names to IRIs."""

    graph: Graph

    @cached_property
    def classes(self) -> dict[str, URIRef]:
        return {
            str(c)[len(str(HKSC)):]: c
            for c in self.graph.subjects(RDF.type, OWL.Class)
            if isinstance(c, URIRef) and str(c).startswith(str(HKSC))
        }

    @cached_property
    def relations(self) -> dict[str, URIRef]:
        out: dict[str, URIRef] = {}
        for p in self.graph.transitive_subjects(RDFS.subPropertyOf, HKSC.relatedTo):
            if isinstance(p, URIRef) and p != HKSC.relatedTo:
                out[str(p)[len(str(HKSC)):]] = p
        return out

    def concepts(self, scheme: str) -> dict[str, URIRef]:
        """Concept slugs of a scheme (``measure``, ``unit`` ...) to IRIs."""
        scheme_iri = ID[scheme]
        prefix = str(scheme_iri) + "/"
        return {
            str(c)[len(prefix):]: c
            for c in self.graph.subjects(SKOS.inScheme, scheme_iri)
            if isinstance(c, URIRef)
        }

    def is_subclass(self, cls: URIRef, ancestor: URIRef) -> bool:
        return ancestor in set(self.graph.transitive_objects(cls, RDFS.subClassOf))
