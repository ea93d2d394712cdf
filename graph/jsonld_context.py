"""The JSON-LD context of the graph (``ontology/context.jsonld``), made from the ontology.

Apps read JSON-LD as plain JSON, so the context gives a short key to every property and
class the graph uses: the project's own terms (``develops``, ``value``, ``refDate``, read
from the ontology) and the terms of the reused vocabularies (``wasDerivedFrom``,
``isPartOf``, ``exact``, ``inScheme``, listed below). It says which properties hold IRIs
(``"@type": "@id"``) and which dates, and maps labels by language (``"prefLabel": {"en":
"iAM Smart", "zh-hant": "智方便"}``).

It has no prefixes (no ``hksc:``, ``skos:``, ``time:`` ...). In JSON-LD a prefix of the
context is used for compacting values as well as keys, so with one an IRI value came out
as ``"hksc:develops"`` or ``"time:unitYear"``, which an app cannot follow without
expanding it first; without prefixes every IRI value is written whole, a string an app
can dereference. Keys and types are terms of the context; a property or class the context
does not know (none in the current graph: a test checks) would be written as its full
IRI, never as a prefixed name.

The file is generated, never edited: ``python -m graph.jsonld_context >
ontology/context.jsonld``; a test checks it matches the ontology.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from importlib import resources
from typing import Any

from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME, VANN, VOID, XSD

from graph.namespaces import HKSC, OA, SCHEMA, SH

# Ranges that JSON-LD can state as a value type; other literals keep their own datatype.
_TYPED_RANGES = {XSD.date, XSD.dateTime, XSD.gYear, XSD.gYearMonth, XSD.anyURI}

ID = "@id"  # the property's values are IRIs (or blank nodes): plain strings in JSON
LANG = "@language"  # language-tagged text: a map by language, like prefLabel
PLAIN = None  # strings, numbers and booleans, which JSON has natively
LIST = "@list"  # an RDF list of values: a JSON array
ID_LIST = "@id @list"  # an RDF list of IRIs or blank nodes: an array of strings
# IRIs and literals both: two keys for the one property, ``key`` for its IRIs (strings)
# and ``keyLiteral`` for its literals; JSON-LD picks the key that fits each value.
MIXED = "@id or literal"

# The reused vocabularies' properties the graph (and the SHACL shapes) use, by key, with the kind of their
# values. The key is the local name, or prefix and name where two vocabularies (or the
# project's) share one: ``schemaValue``, ``shValue`` (``value`` is hksc:value), ``shPrefix``
# (``prefix`` is the text before a quote, oa:prefix).
# dct:modified holds dates and date-times, so it states no datatype.
REUSED_PROPERTIES: dict[str, tuple[URIRef, str | None]] = {
    # labels and text, by language
    "prefLabel": (SKOS.prefLabel, LANG),
    "altLabel": (SKOS.altLabel, LANG),
    "definition": (SKOS.definition, LANG),
    "label": (RDFS.label, LANG),
    "description": (DCTERMS.description, LANG),
    "title": (DCTERMS.title, LANG),
    # SKOS concept schemes
    "inScheme": (SKOS.inScheme, ID),
    "topConceptOf": (SKOS.topConceptOf, ID),
    "broader": (SKOS.broader, ID),
    # documents, passages, the dataset
    "isPartOf": (DCTERMS.isPartOf, ID),
    "source": (DCTERMS.source, ID),
    "publisher": (DCTERMS.publisher, ID),
    "license": (DCTERMS.license, ID),
    "creator": (DCTERMS.creator, PLAIN),
    "identifier": (DCTERMS.identifier, PLAIN),
    "issued": (DCTERMS.issued, str(XSD.date)),
    "modified": (DCTERMS.modified, PLAIN),
    "subset": (VOID.subset, ID),
    "dataDump": (VOID.dataDump, ID),
    "sparqlEndpoint": (VOID.sparqlEndpoint, ID),
    "vocabulary": (VOID.vocabulary, ID),
    "uriSpace": (VOID.uriSpace, PLAIN),
    "triples": (VOID.triples, PLAIN),
    "generatedAtTime": (PROV.generatedAtTime, str(XSD.dateTime)),
    # claims: the passage, the quote, the statement
    "wasDerivedFrom": (PROV.wasDerivedFrom, ID),
    "hasSource": (OA.hasSource, ID),
    "hasSelector": (OA.hasSelector, ID),
    "exact": (OA.exact, PLAIN),
    "prefix": (OA.prefix, PLAIN),
    "suffix": (OA.suffix, PLAIN),
    "subject": (RDF.subject, ID),
    # amounts of money
    "currency": (SCHEMA.currency, PLAIN),
    "schemaValue": (SCHEMA.value, PLAIN),
    "url": (SCHEMA.url, str(XSD.anyURI)),
    # a recurring event's schedule
    "eventSchedule": (SCHEMA.eventSchedule, ID),
    "repeatFrequency": (SCHEMA.repeatFrequency, str(XSD.duration)),
    "byMonth": (SCHEMA.byMonth, PLAIN),
    # the ontology
    "domain": (RDFS.domain, ID),
    "range": (RDFS.range, ID),
    "subClassOf": (RDFS.subClassOf, ID),
    "subPropertyOf": (RDFS.subPropertyOf, ID),
    "inverseOf": (OWL.inverseOf, ID),
    "versionInfo": (OWL.versionInfo, PLAIN),
    "preferredNamespacePrefix": (VANN.preferredNamespacePrefix, PLAIN),
    "preferredNamespaceUri": (VANN.preferredNamespaceUri, PLAIN),
    # the SHACL report
    "conforms": (SH.conforms, PLAIN),
    "result": (SH.result, ID),
    "focusNode": (SH.focusNode, ID),
    "resultPath": (SH.resultPath, ID),
    "resultSeverity": (SH.resultSeverity, ID),
    "resultMessage": (SH.resultMessage, PLAIN),
    "sourceShape": (SH.sourceShape, ID),
    "sourceConstraint": (SH.sourceConstraint, ID),
    "sourceConstraintComponent": (SH.sourceConstraintComponent, ID),
    "shValue": (SH.value, MIXED),  # the value node: a claim, or a literal of it
    "path": (SH.path, ID),
    "severity": (SH.severity, ID),
    "message": (SH.message, PLAIN),
    "select": (SH.select, PLAIN),
    "hasValue": (SH.hasValue, PLAIN),
    # the SHACL shapes (shapes/shapes.ttl, served at /def/shapes); sh:in, sh:or and
    # sh:languageIn hold RDF lists, which JSON-LD writes as arrays
    "comment": (RDFS.comment, PLAIN),
    "targetClass": (SH.targetClass, ID),
    "targetSubjectsOf": (SH.targetSubjectsOf, ID),
    "property": (SH.property, ID),
    "node": (SH.node, ID),
    "nodeKind": (SH.nodeKind, ID),
    "class": (SH["class"], ID),
    "datatype": (SH.datatype, ID),
    "lessThanOrEquals": (SH.lessThanOrEquals, ID),
    "qualifiedValueShape": (SH.qualifiedValueShape, ID),
    "sparql": (SH.sparql, ID),
    "prefixes": (SH.prefixes, ID),
    "declare": (SH.declare, ID),
    "shPrefix": (SH.prefix, PLAIN),
    "namespace": (SH.namespace, str(XSD.anyURI)),
    "minCount": (SH.minCount, PLAIN),
    "maxCount": (SH.maxCount, PLAIN),
    "qualifiedMinCount": (SH.qualifiedMinCount, PLAIN),
    "qualifiedMaxCount": (SH.qualifiedMaxCount, PLAIN),
    "minInclusive": (SH.minInclusive, PLAIN),
    "maxInclusive": (SH.maxInclusive, PLAIN),
    "minLength": (SH.minLength, PLAIN),
    "pattern": (SH.pattern, PLAIN),
    "uniqueLang": (SH.uniqueLang, PLAIN),
    "in": (SH["in"], LIST),
    "languageIn": (SH.languageIn, LIST),
    "or": (SH["or"], ID_LIST),
}

# Whether a key holds one value or an array must not depend on the thing: an app that
# reads ``doc.mentions.map(...)`` breaks on the one passage with a single mention. So a
# property whose values are IRIs always holds an array ("@container": "@set"), except
# these, which hold at most one value per thing (the shapes say so, or the loaders make
# one; a test checks the graph). A literal holds one value, except the keys of
# MULTI_LITERALS, whose values per language are arrays.
SINGLE_IRIS: frozenset[str] = frozenset({
    # a claim: what it is about and says, where it comes from
    "about", "claimPredicate", "claimObject", "listRole", "measure", "unit", "qualifier",
    "modality", "datePrecision", "statedIn", "amount", "eventSchedule", "subject",
    "hasSource", "hasSelector",
    # kinds and parts of documents, passages and events
    "documentKind", "passageKind", "eventKind", "isPartOf", "license", "sparqlEndpoint",
    # the ontology and the SHACL shapes and report
    "domain", "range", "inverseOf", "focusNode", "resultPath", "resultSeverity",
    "sourceConstraint", "sourceConstraintComponent", "sourceShape", "shValue", "path",
    "severity", "node", "nodeKind", "class", "datatype", "lessThanOrEquals",
    "qualifiedValueShape", "prefixes",
})
MULTI_LITERALS: frozenset[str] = frozenset({"altLabel"})

# The reused vocabularies' classes the graph uses, so that "@type" is a term too.
REUSED_CLASSES: dict[str, URIRef] = {
    "Concept": SKOS.Concept,
    "ConceptScheme": SKOS.ConceptScheme,
    "SpecificResource": OA.SpecificResource,
    "TextQuoteSelector": OA.TextQuoteSelector,
    "MonetaryAmount": SCHEMA.MonetaryAmount,
    "Schedule": SCHEMA.Schedule,
    "TemporalUnit": TIME.TemporalUnit,
    "DcatDataset": DCAT.Dataset,
    "VoidDataset": VOID.Dataset,
    "ValidationReport": SH.ValidationReport,
    "ValidationResult": SH.ValidationResult,
    "NodeShape": SH.NodeShape,
    "PropertyShape": SH.PropertyShape,
    "SPARQLConstraint": SH.SPARQLConstraint,
    "Ontology": OWL.Ontology,
    "Class": OWL.Class,
    "ObjectProperty": OWL.ObjectProperty,
    "DatatypeProperty": OWL.DatatypeProperty,
}


def _definition(iri: str, kind: str | None, key: str) -> dict[str, Any]:
    if kind == LANG:
        return {"@id": iri, "@container": ["@language", "@set"] if key in MULTI_LITERALS
                else "@language"}
    if kind == LIST:
        return {"@id": iri, "@container": "@list"}
    if kind == ID_LIST:
        return {"@id": iri, "@type": "@id", "@container": "@list"}
    if kind == ID:
        return {"@id": iri, "@type": "@id"} if key in SINGLE_IRIS else \
            {"@id": iri, "@type": "@id", "@container": "@set"}
    return {"@id": iri, "@type": kind} if kind else {"@id": iri}


def build_context(ontology: Graph) -> dict[str, Any]:
    """The ``@context`` object for ``ontology`` (the project's OWL file)."""
    ns = str(HKSC)
    # Reused vocabularies' properties, then their classes, then the project's terms, each
    # by key.
    # JSON-LD 1.1: a language map whose values are arrays (["@language", "@set"]), and
    # "@none" for text without a language, which compaction writes.
    context: dict[str, Any] = {"@version": 1.1}
    for key, (prop, values) in sorted(REUSED_PROPERTIES.items()):
        if values == MIXED:
            context[key] = _definition(str(prop), ID, key)
            context[key + "Literal"] = _definition(str(prop), PLAIN, key + "Literal")
        else:
            context[key] = _definition(str(prop), values, key)
    context.update({key: str(cls) for key, cls in sorted(REUSED_CLASSES.items())})
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
                terms[name] = _definition(iri, ID, name)
            else:
                ranges = set(ontology.objects(subject, RDFS.range)) & _TYPED_RANGES
                terms[name] = _definition(iri, str(ranges.pop()) if len(ranges) == 1 else PLAIN, name)
    property_keys = [*REUSED_PROPERTIES,
                     *(k + "Literal" for k, (_p, v) in REUSED_PROPERTIES.items() if v == MIXED)]
    keys = [*property_keys, *REUSED_CLASSES, *terms]
    clashes = sorted(k for k, n in Counter(keys).items() if n > 1)
    if clashes:
        raise ValueError(f"two terms of the context have one key: {clashes}")
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
