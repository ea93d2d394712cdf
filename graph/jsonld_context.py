"""The JSON-LD context of the graph (``ontology/context.jsonld``), made from the ontology.

Apps read JSON-LD as plain JSON, so the context gives every term of the project's own
vocabulary a short key (``develops``, ``value``, ``refDate``), says which properties hold
IRIs (``"@type": "@id"``) and which dates, maps labels by language
(``"prefLabel": {"en": "iAM Smart", "zh-hant": "智方便"}``), and keeps the usual prefixes
for the reused vocabularies. The file is generated, never edited: ``python -m
graph.jsonld_context > ontology/context.jsonld``; a test checks it matches the ontology.
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from typing import Any

from rdflib import Graph
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS, XSD

from graph.namespaces import HKSC, PREFIXES

# Ranges that JSON-LD can state as a value type; other literals keep their own datatype.
_TYPED_RANGES = {XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth, XSD.anyURI}


def build_context(ontology: Graph) -> dict[str, Any]:
    """The ``@context`` object for ``ontology`` (the project's OWL file)."""
    ns = str(HKSC)
    # No "id" prefix: apps read the graph's IRIs whole, not as "id:platform/..." CURIEs.
    context: dict[str, Any] = {k: v for k, v in sorted(PREFIXES.items()) if k != "id"}
    context.update({
        "prefLabel": {"@id": str(SKOS.prefLabel), "@container": "@language"},
        "label": {"@id": str(RDFS.label), "@container": "@language"},
        "description": {"@id": str(DCTERMS.description), "@container": "@language"},
    })
    terms: dict[str, Any] = {}
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for subject in ontology.subjects(RDF.type, kind):
            iri = str(subject)
            if not iri.startswith(ns) or "/" in iri[len(ns):]:
                continue
            name = iri[len(ns):]
            if kind == OWL.Class:
                terms[name] = iri
            elif kind == OWL.ObjectProperty:
                terms[name] = {"@id": iri, "@type": "@id"}
            else:
                ranges = set(ontology.objects(subject, RDFS.range)) & _TYPED_RANGES
                terms[name] = ({"@id": iri, "@type": str(ranges.pop())} if len(ranges) == 1
                               else {"@id": iri})
    clashes = sorted(set(terms) & set(context))
    if clashes:
        raise ValueError(f"ontology terms clash with context keys: {clashes}")
    context.update(dict(sorted(terms.items())))
    return {"@context": context}


def project_context() -> dict[str, Any]:
    """The context built from the installed ``ontology/hksc.ttl``."""
    g = Graph().parse(data=(resources.files("ontology") / "hksc.ttl").read_text("utf-8"),
                      format="turtle")
    return build_context(g)


def render(context: dict[str, Any]) -> str:
    return json.dumps(context, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(project_context()))
