"""What apps and people read, on the real graph: JSON-LD that reads as plain JSON (a short
key for every property, IRIs as whole strings) and says what the Turtle says, pages that
name what they link to, and paths that cannot be IRIs refused before a query is built."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from hypothesis import assume, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from pyld import jsonld
from rdflib import Graph, Literal
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS, XSD

from api.app import create_app
from graph.settings import PROJECT_ROOT, Settings
from graph.store import EmbeddedStore

JSONLD = "application/ld+json"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
BASE = "https://w3id.org/hk-smartcity/"
HKSC = BASE + "def/"

# Resources of every sort, by a fixed path or as the first of a class (so a curator's edit
# of one record does not break the test). The ontology and the SHACL report are compacted
# with the same context.
FIXED = {
    "observation": "/id/claim/2025-05-12-legco-paper/iam-smart-annual-usage-2024",
    "passage": "/id/source/2025-05-12-legco-paper/p/7",
    "document": "/id/source/2024-07-12-legco-paper",
    "platform": "/id/platform/iam-smart",
    "organisation": "/id/org/dpo",
    "dataset": "/id/dataset",
    "measure": "/id/measure/rank",
    "concept scheme": "/id/measure",
    "ontology": "/def",
    "validation report": "/validation",
}
FIRST_OF = {
    "relation claim": "?x a hksc:RelationClaim",
    "date claim": "?x a hksc:DateClaim",
    "schedule claim": "?x a hksc:ScheduleClaim",
    "listing claim": "?x a hksc:ListingClaim",
    "not-a-fact entry": "?x a hksc:NotAFact",
    "money figure": "?x hksc:amount ?_a",
    "event": "?x a hksc:Event",
    "fund": "?x a hksc:Fund",
}
SAMPLE = [*FIXED, *FIRST_OF]


@pytest.fixture(scope="module")
def client(built_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(built_settings)) as c:
        yield c


@pytest.fixture(scope="module")
def paths(built_store: EmbeddedStore) -> dict[str, str]:
    found = dict(FIXED)
    for kind, pattern in FIRST_OF.items():
        rows = list(built_store.query(f"SELECT (MIN(STR(?x)) AS ?first) WHERE {{ {pattern} }}",
                                      prefixes={"hksc": HKSC}))
        first = rows[0][0]
        assert first is not None, f"no {kind} in the graph"
        found[kind] = "/" + first.value.removeprefix(BASE)
    return found


@pytest.fixture(scope="module")
def context(client: TestClient) -> dict[str, Any]:
    served: dict[str, Any] = client.get("/def/context.jsonld").json()["@context"]
    return served


def _iri_of(definition: str | dict[str, Any]) -> str:
    return definition if isinstance(definition, str) else str(definition["@id"])


# ---------------------------------------------------------------- the context


def _kinds_of_values(store: EmbeddedStore) -> dict[str, set[str]]:
    """For each predicate of the published graph: "iri", "blank", "lang" or the datatypes
    of its objects."""
    kinds: dict[str, set[str]] = {}
    for row in store.query("""
            SELECT DISTINCT ?p ?kind WHERE { ?s ?p ?o
              BIND(IF(isIRI(?o), "iri", IF(isBlank(?o), "blank",
                   IF(LANG(?o) != "", "lang", STR(DATATYPE(?o))))) AS ?kind) }"""):
        kinds.setdefault(row[0].value, set()).add(row[1].value)
    return kinds


def test_every_property_and_class_of_the_graph_has_a_term(context: dict[str, Any],
                                                          built_store: EmbeddedStore) -> None:
    """A short key for each predicate of the published graph (all named graphs, the
    ontology, the metadata and the SHACL report included), typed by what its values are:
    "@id" for IRIs, a language map for text by language, a datatype for dates, none for
    strings, numbers and booleans (plain JSON); and a term for every class, for "@type"."""
    terms: dict[str, list[tuple[str, Any]]] = {}
    for key, definition in context.items():
        if not key.startswith("@"):  # "@version"
            terms.setdefault(_iri_of(definition), []).append((key, definition))
    kinds = _kinds_of_values(built_store)
    assert len(kinds) > 100
    missing = sorted(p for p in kinds if p != str(RDF.type) and p not in terms)
    assert not missing, f"predicates without a term in the context: {missing}"
    # The SHACL shapes (served at /def/shapes) too; their lists are JSON arrays.
    shapes = Graph().parse(PROJECT_ROOT / "shapes" / "shapes.ttl")
    in_shapes = {str(p) for p in shapes.predicates()} - {str(RDF.type), str(RDF.first), str(RDF.rest)}
    assert not sorted(in_shapes - set(terms)), "shape predicates without a term"
    shape_classes = {str(c) for c in shapes.objects(None, RDF.type)}
    wrong: list[tuple[str, list[str], Any]] = []
    for predicate, seen in sorted(kinds.items()):
        if predicate == str(RDF.type):
            continue
        definitions = [d for _key, d in terms[predicate] if isinstance(d, dict)]
        literal_types = seen - {"iri", "blank", "lang"}
        if seen & {"iri", "blank"} and seen - {"iri", "blank"}:
            # IRIs and literals: one key for the IRIs (strings), one for the literals.
            if sorted(str(d.get("@type")) for d in definitions) != ["@id", "None"]:
                wrong.append((predicate, sorted(seen), definitions))
            continue
        assert len(definitions) == 1, predicate
        (definition,) = definitions
        if seen <= {"iri", "blank"}:
            ok = definition.get("@type") == "@id"
        elif "lang" in seen:
            ok = (definition.get("@container") in ("@language", ["@language", "@set"])
                  and "@type" not in definition and literal_types <= {str(XSD.string)})
        elif len(literal_types) == 1 and literal_types <= {str(XSD.date), str(XSD.dateTime),
                                                           str(XSD.anyURI), str(XSD.duration)}:
            ok = definition.get("@type") == next(iter(literal_types))
        else:  # strings, numbers, booleans (native JSON), or more than one datatype
            ok = "@type" not in definition and "@container" not in definition
        if not ok:
            wrong.append((predicate, sorted(seen), definition))
    assert not wrong, f"terms whose type does not fit the values: {wrong}"
    classes = {row[0].value for row in built_store.query(
        f"SELECT DISTINCT ?c WHERE {{ ?s <{RDF.type}> ?c }}")}
    assert len(classes) > 40
    untermed = sorted(c for c in classes | shape_classes
                      if not any(isinstance(d, str) for _k, d in terms.get(c, [])))
    assert not untermed, f"classes without a term in the context: {untermed}"


def test_the_context_has_no_prefixes(context: dict[str, Any]) -> None:
    """A prefix of the context is used for values too ("hksc:develops", "time:unitYear"):
    an app could not follow such a value without the context. Every key is a term."""
    prefixes = {k: v for k, v in context.items()
                if isinstance(v, str) and v[-1:] in ("/", "#")}
    assert not prefixes
    assert all(":" not in key and not key.startswith("@") for key in context if key != "@version")


def test_a_key_holds_an_array_unless_the_graph_gives_one_value(
        context: dict[str, Any], built_store: EmbeddedStore) -> None:
    """Whether a key's value is an array must not depend on the thing (``mentions`` was a
    string on 145 passages and an array on others): a property is "@set" unless it has at
    most one value per thing (per language, for a language map) in the whole graph and in
    the shapes. The context picks by meaning; this checks it against the data."""
    single = {_iri_of(d): key for key, d in context.items() if not key.startswith("@")
              and isinstance(d, dict) and "@set" not in str(d.get("@container"))
              and d.get("@container") != "@list"}
    assert len(single) > 30
    rows = built_store.query("""SELECT ?p (MAX(?n) AS ?most) WHERE {
        { SELECT ?s ?p ?l (COUNT(DISTINCT ?o) AS ?n) WHERE {
            GRAPH ?g { ?s ?p ?o } BIND(IF(isLiteral(?o), LANG(?o), "") AS ?l) } GROUP BY ?s ?p ?l } }
        GROUP BY ?p""")
    several = {row[0].value for row in rows if int(row[1].value) > 1}
    shapes = Graph().parse(PROJECT_ROOT / "shapes" / "shapes.ttl")
    several |= {str(p) for s, p in set(shapes.subject_predicates())
                if len({o for o in shapes.objects(s, p)
                        if not isinstance(o, Literal) or not o.language}) > 1}
    wrong = sorted(single[p] for p in several if p in single)
    assert not wrong, f"keys without @set that hold several values of one thing: {wrong}"
    # And the other way round, an example of each: a passage's single mention is an array.
    assert context["mentions"]["@container"] == "@set"
    assert context["about"].get("@container") is None


# ---------------------------------------------------------------- JSON-LD documents


def _get(client: TestClient, path: str, accept: str) -> str:
    response = client.get(path, headers={"Accept": accept})
    assert response.status_code == 200, (path, response.text[:300])
    assert response.headers["content-type"].split(";")[0] == accept
    assert "hkkg-truncated" not in response.headers
    return response.text


def _is_whole_iri(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _walk(value: Any, path: str, found: list[str], context: dict[str, Any]) -> None:
    """Collects what is not plain JSON in ``value``: keys that are not terms, "@type"s
    that are not terms, IRIs left as {"@id": ...} objects or written as prefixed names."""
    if isinstance(value, list):
        for item in value:
            _walk(item, path, found, context)
        return
    if not isinstance(value, dict):
        return
    if set(value) == {"@id"} and path != "@graph":
        found.append(f"{path}: an IRI as an object: {value}")
    for key, item in value.items():
        if key == "@context":
            continue
        if key == "@type":
            for t in item if isinstance(item, list) else [item]:
                if ":" in t and "@value" not in value:
                    found.append(f"{path}: @type {t}")
            continue
        if not key.startswith("@") and ":" in key:
            found.append(f"{path}: key {key}")
        term = context.get(key)
        if isinstance(term, dict) and term.get("@type") == "@id":
            values = item if isinstance(item, list) else [item]
            # An RDF list (a SHACL sequence path) is {"@list": [...]}: its items are IRIs.
            values = [x for v in values
                      for x in (v["@list"] if isinstance(v, dict) and set(v) == {"@list"} else [v])]
            for v in values:
                if not isinstance(v, str) or not (v.startswith("_:") or _is_whole_iri(v)):
                    found.append(f"{path}.{key}: not a whole IRI: {v!r}")
        if term is None or not isinstance(term, dict) or term.get("@container") != "@language":
            _walk(item, key if key == "@graph" else f"{path}.{key}", found, context)


@pytest.mark.parametrize("kind", SAMPLE)
def test_jsonld_reads_as_plain_json_and_says_what_the_turtle_says(
        client: TestClient, paths: dict[str, str], kind: str) -> None:
    """No key holds a ':' (every property has a term), every value of a term typed "@id"
    is a whole IRI (or a blank node), and no IRI is left as an {"@id": ...} object; and
    the short keys lose nothing: expanded into RDF by PyLD (the JSON-LD API's reference
    implementation), the answer is the same graph as the Turtle answer."""
    doc = json.loads(_get(client, paths[kind], JSONLD))
    context = doc["@context"]
    assert isinstance(context, dict) and "@graph" in doc
    found: list[str] = []
    _walk(doc, "", found, context)
    assert not found, f"{paths[kind]}: {len(found)} problems, first: {found[:10]}"
    from_jsonld = Graph().parse(data=jsonld.to_rdf(doc, {"format": "application/n-quads"}),
                                format="nt")
    from_turtle = Graph().parse(data=_get(client, paths[kind], "text/turtle"), format="turtle")
    assert len(from_turtle) > 0 and len(from_jsonld) == len(from_turtle)
    assert isomorphic(from_jsonld, from_turtle)


EXPANDED = 'application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"'


@pytest.mark.parametrize("kind", ["iam-smart", "ontology", "listing", "search", "validation",
                                  "shapes"])
def test_the_expanded_profile_gets_expanded_json_ld(client: TestClient, kind: str) -> None:
    """JSON-LD 1.1's profile parameter: a client asking for the expanded form gets it (an
    array of node objects, full IRIs as keys, no context), saying so in its Content-Type;
    it is the same graph as the compacted answer. Plain ``application/ld+json`` and the
    compacted profile get the compacted form."""
    path = {"iam-smart": "/id/platform/iam-smart", "ontology": "/def",
            "listing": "/id/platform/", "search": "/search?q=iam",
            "validation": "/validation?severity=Warning", "shapes": "/def/shapes"}[kind]
    answer = client.get(path, headers={"Accept": EXPANDED})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["content-type"] == \
        'application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"'
    assert "jsonld-expanded" in answer.headers["content-location"]
    expanded = answer.json()
    assert isinstance(expanded, list) and expanded
    assert all(key.startswith(("@", "http://", "https://")) for node in expanded for key in node)
    assert jsonld.expand(expanded) == expanded  # already in expanded form
    def same_graph(doc: object) -> bool:  # blank node names differ from one answer to the next
        return isomorphic(*(Graph().parse(data=jsonld.to_rdf(d, {"format": "application/n-quads"}),
                                          format="nt") for d in (doc, expanded)))

    by_name = client.get(path + ("&" if "?" in path else "?") + "format=jsonld-expanded",
                         headers={"Accept": "*/*"})
    assert by_name.status_code == 200 and isinstance(by_name.json(), list) and same_graph(by_name.json())
    compacted_profile = 'application/ld+json; profile="http://www.w3.org/ns/json-ld#compacted"'
    for accept in (JSONLD, compacted_profile):
        compacted = client.get(path, headers={"Accept": accept})
        assert compacted.headers["content-type"] == JSONLD
        assert "@context" in compacted.json()
    same = [Graph().parse(data=jsonld.to_rdf(doc, {"format": "application/n-quads"}), format="nt")
            for doc in (expanded, compacted.json())]
    assert len(same[0]) > 0 and isomorphic(*same)
    # In Link as JSON-LD with a profile attribute of its own: no quotes nest in the type.
    assert ('format=jsonld-expanded>; rel="alternate"; type="application/ld+json"; '
            'profile="http://www.w3.org/ns/json-ld#expanded"') in compacted.headers["link"]
    # format= may name the whole media type, profile included.
    whole = 'application/ld+json; profile="http://www.w3.org/ns/json-ld#expanded"'
    by_type = client.get(path + ("&" if "?" in path else "?") + "format=" + quote(whole))
    assert by_type.status_code == 200 and isinstance(by_type.json(), list) and same_graph(by_type.json())


def test_the_shapes_read_as_plain_json_too() -> None:
    """The SHACL shapes (served at /def/shapes, named by the report's sourceShape) are
    compacted with the same context: short keys there too, and nothing lost."""
    from api.resources.document import JSONLD as JSONLD_FORMAT
    from api.resources.document import rdf_body

    turtle = (PROJECT_ROOT / "shapes" / "shapes.ttl").read_bytes()
    ntriples = ox.serialize(ox.parse(turtle, format=ox.RdfFormat.TURTLE),
                            format=ox.RdfFormat.N_TRIPLES)
    assert ntriples is not None
    doc = json.loads(rdf_body(JSONLD_FORMAT, ntriples))
    found: list[str] = []
    _walk(doc, "", found, doc["@context"])
    assert not found, f"{len(found)} problems, first: {found[:10]}"
    expanded = Graph().parse(data=jsonld.to_rdf(doc, {"format": "application/n-quads"}),
                             format="nt")
    assert isomorphic(expanded, Graph().parse(data=turtle, format="turtle"))


def test_link_values_are_iris_an_app_can_follow(client: TestClient,
                                                paths: dict[str, str]) -> None:
    """The reviewer's examples: a claim's passage, quote and precision, a relation claim's
    predicate, a passage's document, a concept's scheme."""
    doc = json.loads(_get(client, FIXED["observation"], JSONLD))
    nodes = {n["@id"]: n for n in doc["@graph"]}
    claim = nodes[BASE + FIXED["observation"].removeprefix("/")]
    # Properties that may hold several values are arrays even with one ("@set").
    assert claim["wasDerivedFrom"] == [BASE + "id/source/2025-05-12-legco-paper/p/7"]
    assert claim["datePrecision"] == "http://www.w3.org/2006/time#unitYear"
    (evidence_id,) = claim["evidence"]
    evidence = nodes[evidence_id]
    assert evidence["@type"] == "SpecificResource"
    assert [evidence["hasSource"]] == claim["wasDerivedFrom"]
    assert nodes[evidence["hasSelector"]]["exact"].startswith("The annual usage of “iAM Smart”")
    relation = next(n for n in json.loads(_get(client, paths["relation claim"], JSONLD))["@graph"]
                    if n["@id"] == BASE + paths["relation claim"].removeprefix("/"))
    assert relation["claimPredicate"].startswith(HKSC) and _is_whole_iri(relation["subject"])
    passage = next(n for n in json.loads(_get(client, FIXED["passage"], JSONLD))["@graph"]
                   if n["@id"] == BASE + FIXED["passage"].removeprefix("/"))
    assert passage["isPartOf"] == BASE + "id/source/2025-05-12-legco-paper"
    rank = next(n for n in json.loads(_get(client, FIXED["measure"], JSONLD))["@graph"]
                if n["@id"] == BASE + "id/measure/rank")
    assert rank["inScheme"] == [BASE + "id/measure"] and rank["@type"] == "Concept"


# ---------------------------------------------------------------- pages


class _Links(HTMLParser):
    """The (href, text) of every link of a page, and its <h1>."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.h1 = ""
        self._href: str | None = None
        self._text: list[str] = []
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._href, self._text = dict(attrs).get("href") or "", []
        elif tag == "h1":
            self._in_h1 = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text).strip()))
            self._href = None
        elif tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)
        if self._in_h1:
            self.h1 += data


_RAW = re.compile(r"^(?:[a-z][a-z0-9+.-]*://\S+|id:\S+)$")


def _page(client: TestClient, path: str) -> _Links:
    parser = _Links()
    parser.feed(_get(client, path, "text/html"))
    return parser


@pytest.mark.parametrize("path", ["/id/source/2024-07-12-legco-paper", "/id/measure/rank"])
def test_pages_name_what_they_link_to(client: TestClient, path: str) -> None:
    """A link to a thing of the graph says its name, or for a claim (which has none) what it
    states: never the bare IRI. (Links out of the graph, such as a license, may show their
    address.)"""
    page = _page(client, path)
    local = [(href, text) for href, text in page.links if href.startswith("/id/")]
    assert len(local) > 30
    raw = [(href, text) for href, text in local if _RAW.match(text) or not text]
    assert not raw, f"{len(raw)} links named by their IRI, first: {raw[:5]}"
    assert not _RAW.match(page.h1.strip())


def test_claims_are_named_by_what_they_state(client: TestClient) -> None:
    rank = dict(_page(client, "/id/measure/rank").links)
    zurich = rank["/id/claim/2024-07-12-legco-paper/annex3-zurich-rank"]
    assert zurich == "rank of Zurich: 1 (2024-07-12-legco-paper)"
    document = _page(client, "/id/source/2024-07-12-legco-paper")
    texts = dict(document.links)
    # Stated in the page's own document: no need to name it again.
    assert texts["/id/claim/2024-07-12-legco-paper/annex3-zurich-rank"] == "rank of Zurich: 1"
    claims = [text for href, text in document.links if href.startswith("/id/claim/")]
    assert len(claims) > 150


def test_a_thing_with_a_title_is_named_by_it(client: TestClient) -> None:
    """The dataset has dct:title but no label: "HK Smart City Knowledge Graph", not
    "id:dataset"."""
    page = _page(client, "/id/dataset")
    assert page.h1.strip() == "HK Smart City Knowledge Graph"
    document = dict(_page(client, "/id/source/2024-07-12-legco-paper").links)
    assert document["/id/dataset"] == "HK Smart City Knowledge Graph"


# ---------------------------------------------------------------- paths that are no IRIs


@pytest.mark.parametrize("path", [
    "/id/platform/%FF",            # invalid UTF-8: decodes to U+FFFD
    "/id/platform/a%C3",           # truncated UTF-8
    "/id/platform/%C2%85",         # a C1 control character
    "/id/platform/%7F",            # DEL
    "/id/platform/%EF%BF%BE",      # U+FFFE, a noncharacter
    "/id/platform/x%25zz",         # "%zz": a bad percent-encoding in the IRI
])
def test_a_path_that_is_no_iri_is_not_found(client: TestClient, path: str) -> None:
    """Refused as a 404 problem before any query is built: no SPARQL parser message."""
    response = client.get(path, headers={"Accept": "text/turtle"})
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("not-found")
    assert "query" not in problem["detail"] and "parser_message" not in problem


def test_iri_check_agrees_with_the_query_parser() -> None:
    from api.resources.description import describe_query, iri_is_safe

    for bad in ("\ufffd", "\x85", "\x7f", "\ufffe", "%zz", "a b", "a>b"):
        assert not iri_is_safe(f"{BASE}id/platform/{bad}"), repr(bad)
    for good in ("iam-smart", "智方便", "a%20b", "x#y"):
        iri = f"{BASE}id/platform/{good}"
        assert iri_is_safe(iri), good
        ox.Store().query(describe_query(iri))  # the query parser takes it
    assert iri_is_safe(str(RDFS.label))


@hyp_settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=12))
def test_an_iri_the_check_lets_through_reaches_the_query_as_itself(tail: str) -> None:
    """The direction that matters for safety, for any text after /id/: an IRI that
    ``iri_is_safe`` accepts makes a description query the parser takes, and that query
    describes exactly that IRI (nothing in it can close the ``<>`` and add a pattern)."""
    from api.resources.description import describe_query, iri_is_safe

    iri = f"{BASE}id/platform/{tail}"
    assume(iri_is_safe(iri))
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode(iri), ox.NamedNode(str(RDFS.label)), ox.Literal("it", language="en"),
                      ox.NamedNode(BASE + "id/graph/records")))
    store.add(ox.Quad(ox.NamedNode(BASE + "id/other"), ox.NamedNode(str(RDFS.label)),
                      ox.Literal("other", language="en"), ox.NamedNode(BASE + "id/graph/records")))
    described = {t.subject for t in store.query(describe_query(iri), use_default_graph_as_union=True)}
    assert described == {ox.NamedNode(iri)}


def test_every_name_and_description_has_a_language(built_store: EmbeddedStore) -> None:
    """JSON-LD gives labels by language (``label.en``); an untagged one comes out under
    "@none" where an app does not look. Passage labels and listing descriptions were."""
    rows = list(built_store.query("""SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o }
        FILTER(?p IN (<http://www.w3.org/2000/01/rdf-schema#label>, <http://purl.org/dc/terms/description>,
                      <http://www.w3.org/2004/02/skos/core#prefLabel>, <http://www.w3.org/2004/02/skos/core#altLabel>,
                      <http://purl.org/dc/terms/title>, <http://www.w3.org/2004/02/skos/core#definition>))
        FILTER(isLiteral(?o) && LANG(?o) = "") } LIMIT 5"""))
    assert rows == []
