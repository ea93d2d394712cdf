"""What the server says about one thing: the query that gathers it, and a view for pages.

A resource description is what an app needs without a second request: the thing's own
statements (with blank nodes closed, as in a Concise Bounded Description), the links that
point at it, every claim about it with its evidence (passage and verbatim quote), what
each other claim linked to it states (a claim stated in a document, one of a measure: a
few fixed properties, no evidence), and the labels (or titles) of everything it links to,
so a client can show names without looking them up.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, TIME
from rdflib.term import Node

from graph.gate import SEVERITIES, severity_name
from graph.namespaces import HKSC, OA, PREFIXES, PROV, SCHEMA, SH, by_length, prefixed_name
from loaders.text import readable

# Characters that cannot stand in an IRI (RFC 3987) nor, therefore, in a SPARQL IRIREF:
# controls (C0, DEL, C1), space, and the delimiters the IRIREF production excludes.
_BAD_IRI_CHARS = re.compile(r'[\x00-\x20\x7f-\x9f<>"{}|^`\\]')

# Properties through which a claim points at the thing it is about. A claim also points at
# the passage it was derived from (passages point at their document the same way, so a
# claim is told apart by hksc:statedIn).
CLAIM_LINKS = ("hksc:about", "rdf:subject", "rdf:object", "hksc:claimObject",
               "hksc:eventObject")


def _claims_of(var: str, x: str) -> str:
    """A pattern binding ``var`` to every claim about ``x`` or derived from it.

    One property path and a filter, not a UNION of two patterns: Oxigraph 0.5 plans the
    UNION form about 15 times slower (0.5 s instead of 35 ms for iAM Smart)."""
    return (f"{var} {'|'.join(CLAIM_LINKS)}|prov:wasDerivedFrom {x} . "
            f"FILTER (EXISTS {{ {var} hksc:statedIn ?_doc }} "
            f"|| NOT EXISTS {{ {var} prov:wasDerivedFrom {x} }})")


def local_path(iri: str | None, base: str) -> str | None:
    """Where one of the graph's own IRIs is answered on this server (None for others)."""
    return "/" + iri[len(base):] if iri and iri.startswith(base) else None


def iri_is_safe(iri: str) -> bool:
    """True when ``iri`` can be put between ``<>`` in a query without changing it, and the
    query parser will take it: no character an IRIREF excludes, and a valid IRI for
    pyoxigraph (whose parser the queries meet), so a path that decoded to U+FFFD (invalid
    UTF-8 such as ``%FF``), a bad percent-encoding (``%zz``) or a noncharacter is refused
    here, as a 404, instead of reaching the query as a syntax error."""
    if _BAD_IRI_CHARS.search(iri):
        return False
    try:
        ox.NamedNode(iri)
    except ValueError:
        return False
    return True


# What the description holds of a claim that is linked to the thing without being about it
# (a claim stated in a document, one of a measure): enough for a page to say what it
# states ("annual usage of iAM Smart: around 44 million"), see Labeller._claim_text, with
# the labels of the IRIs among them. A fixed list, so the description stays bounded: a
# few triples per linked claim (and one per member of a list).
CLAIM_SUMMARY = ("hksc:statedIn", "hksc:about", "hksc:measure", "hksc:verbatim", "rdf:subject",
                 "hksc:claimPredicate", "hksc:claimObject", "hksc:listRole", "hksc:member")
_SUMMARY_NAMED = ("hksc:about", "hksc:measure", "rdf:subject", "hksc:claimPredicate",
                  "hksc:claimObject", "hksc:listRole")


def _linked_claims(var: str, x: str) -> str:
    """A subquery binding ``var`` to every claim that links to ``x`` or that ``x`` links to."""
    return (f"{{ SELECT DISTINCT {var} WHERE {{ {{ {var} ?_il {x} }} UNION {{ {x} ?_ol {var} }} "
            f"{var} hksc:statedIn ?_icd }} }}")


# The properties that lead from a claim to nodes of its own (``<claim>#evidence`` and its
# selector ``#quote``, ``#amount``, ``#schedule``), closed like blank nodes.
_OWN_NODE_LINKS = ("hksc:evidence", "oa:hasSelector", "hksc:amount", "schema:eventSchedule")


def _closed(node: str, link: str) -> str:
    """SPARQL: ``node`` (reached by property ``link``) belongs to the description of the
    node it hangs off: a blank node, or a node of the claim's own (by the link, which is
    cheap to test; a test on the IRI's text made every description ten times slower)."""
    return f"isBlank({node}) || {link} IN ({', '.join(_OWN_NODE_LINKS)})"


def is_part(node: Node, owner: Node) -> bool:
    """The same test in Python, for the page: such nodes are shown inside their owner."""
    return isinstance(node, BNode) or str(node).startswith(f"{owner}#")


def describe_query(iri: str) -> str:
    """CONSTRUCT the description of ``iri`` (checked with :func:`iri_is_safe` first)."""
    if not iri_is_safe(iri):
        raise ValueError(f"not a usable IRI: {iri!r}")
    x = f"<{iri}>"
    return f"""PREFIX hksc: <{PREFIXES['hksc']}>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX schema: <https://schema.org/>
CONSTRUCT {{
  {x} ?p ?o . ?o ?p2 ?o2 . ?o2 ?p3 ?o3 .
  ?s ?ip {x} . ?s ?sp ?so .
  ?c ?cp ?co . ?co ?bp ?bo . ?bo ?sp ?so .
  ?ic ?icp ?ico .
  ?n rdfs:label ?label . ?n skos:prefLabel ?pref . ?n dct:title ?title .
}} WHERE {{
  {{ {x} ?p ?o . OPTIONAL {{ FILTER({_closed("?o", "?p")}) ?o ?p2 ?o2
                            OPTIONAL {{ FILTER({_closed("?o2", "?p2")}) ?o2 ?p3 ?o3 }} }} }}
  UNION {{ ?s ?ip {x} OPTIONAL {{ FILTER(isBlank(?s)) ?s ?sp ?so }} }}
  UNION {{ {{ {_claims_of("?c", x)} }} ?c ?cp ?co .
          OPTIONAL {{ FILTER({_closed("?co", "?cp")}) ?co ?bp ?bo
                     OPTIONAL {{ FILTER({_closed("?bo", "?bp")}) ?bo ?sp ?so }} }} }}
  UNION {{ {_linked_claims("?ic", x)}
          VALUES ?icp {{ {" ".join(CLAIM_SUMMARY)} }} ?ic ?icp ?ico }}
  UNION {{ {{ {x} ?lp ?n }} UNION {{ {x} ?n ?lo }} UNION {{ ?n ?lp {x} }} UNION {{ ?ls ?n {x} }}
          UNION {{ {{ {_claims_of("?lc", x)} }} {{ ?lc ?lp ?n }} UNION {{ ?lc ?n ?lo }} }}
          UNION {{ {_linked_claims("?lic", x)} ?lic {"|".join(_SUMMARY_NAMED)} ?n }}
          FILTER(isIRI(?n))
          {{ ?n rdfs:label ?label }} UNION {{ ?n skos:prefLabel ?pref }} UNION {{ ?n dct:title ?title }} }}
}}"""


# ---------------------------------------------------------------- the page's view


@dataclass
class Term:
    """A value as a page shows it: text, and where it links (if anywhere)."""

    text: str
    href: str | None = None
    lang: str | None = None


@dataclass
class Row:
    prop: Term
    value: Term


@dataclass
class ClaimView:
    """One claim about the thing, with the quote and passage it rests on."""

    iri: str
    href: str
    kind: str
    summary: list[Row]
    quote: str | None
    passage: Term | None
    uncertain: bool


@dataclass
class ResourceView:
    iri: str
    title: str
    other_labels: list[Term]
    types: list[Term]
    evidence: ClaimView | None = None  # when the thing is itself a claim
    statements: list[Row] = field(default_factory=list)
    claims: list[ClaimView] = field(default_factory=list)
    events: list[ClaimView] = field(default_factory=list)  # events are things, not claims
    incoming: list[Row] = field(default_factory=list)
    # Results of the build's SHACL report about the thing: (severity, message, shape).
    findings: list[tuple[str, str, Term | None]] = field(default_factory=list)


def _shortened(text: str, limit: int = 80) -> str:
    """``text`` on one line, cut at a word before ``limit`` characters (with an ellipsis)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1].rsplit(" ", 1)[0] or text[:limit - 1]
    return cut.rstrip(",;:.") + "…"


class Labeller:
    """Turns terms into page text and links: IRIs under ``base`` link to this server.

    ``focus`` is the thing the page is about: a link to a claim about it, or stated in it,
    need not name it again ("registered users: ...", not "registered users of iAM Smart")."""

    def __init__(self, graph: Graph, base: str, focus: Node | None = None):
        self.graph = graph
        self.base = base
        self.focus = focus
        self._prefixes = by_length(PREFIXES)

    def href(self, iri: str) -> str:
        return local_path(iri, self.base) or iri

    def curie(self, iri: str) -> str:
        return prefixed_name(iri, self._prefixes, lambda local: "/" not in local)

    def label(self, node: Node) -> str | None:
        """A name for ``node``: its preferred label or rdfs:label (English first), else its
        title (dct:title: documents, the dataset), else what it states if it is a claim."""
        for props in ((SKOS.prefLabel, RDFS.label), (DCTERMS.title,)):
            labels = [lit for p in props for lit in self.graph.objects(node, p)
                      if isinstance(lit, Literal)]
            english = [lit for lit in labels if lit.language == "en"]
            plain = [lit for lit in labels if not lit.language]
            for candidates in (english, plain, labels):
                if candidates:
                    return str(sorted(candidates, key=str)[0])
        return self._claim_text(node)

    def name(self, node: Node) -> str:
        """The label of ``node``, else a prefixed name or the IRI itself."""
        return self.label(node) or self.curie(str(node))

    def _claim_text(self, node: Node) -> str | None:
        """Claims have no label; when the description holds one, say what it states:
        "registered users of iAM Smart: Over 2.7 million (2024-07-12-legco-paper)",
        "Digital Policy Office develops iAM Smart (...)", "HKGAI develops: 3 listed (...)",
        a date claim's event and wording, or a not-a-fact entry's quoted wording. The page's
        own thing and document are not repeated."""
        g = self.graph
        doc = g.value(node, HKSC.statedIn)
        if doc is None:
            return None
        source = "" if doc == self.focus else f" ({str(doc).rsplit('/', 1)[-1]})"
        about = g.value(node, HKSC.about)
        of_other = about is not None and about != self.focus
        measure, verbatim = g.value(node, HKSC.measure), g.value(node, HKSC.verbatim)
        said = _shortened(str(verbatim)) if verbatim is not None else None
        if measure is not None and said is not None:
            of = f" of {self.name(about)}" if of_other and about is not None else ""
            return f"{self.name(measure)}{of}: {said}{source}"
        parts = [g.value(node, p) for p in (RDF.subject, HKSC.claimPredicate, HKSC.claimObject)]
        if all(p is not None for p in parts):
            return " ".join(self.name(p) for p in parts if p is not None) + source
        role = g.value(node, HKSC.listRole)
        if role is not None and about is not None:
            listed = len(set(g.objects(node, HKSC.member)))
            return f"{self.name(about)} {self.name(role)}: {listed} listed{source}"
        if said is not None and about is not None:  # a date claim: the event and its date
            return (f"{self.name(about)}: {said}" if of_other else said) + source
        if said is not None:  # a not-a-fact entry: the wording it accounts for
            return f"“{said}”{source}"
        return None

    def term(self, node: Node) -> Term:
        if isinstance(node, URIRef):
            iri = str(node)
            return Term(self.label(node) or self.curie(iri), self.href(iri))
        if isinstance(node, Literal):
            return Term(str(node), None, node.language)
        return Term("(blank node)")


def _sorted_rows(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (r.prop.text, r.value.text))


def build_view(graph: Graph, iri: str, base: str) -> ResourceView:
    """The page's content for ``iri`` from its description ``graph``."""
    node = URIRef(iri)
    lab = Labeller(graph, base, focus=node)
    labels = sorted(set(graph.objects(node, SKOS.prefLabel)) | set(graph.objects(node, RDFS.label)),
                    key=str)
    title = lab.label(node) or lab.curie(iri)
    view = ResourceView(
        iri=iri, title=title,
        other_labels=[Term(str(lit), None, getattr(lit, "language", None)) for lit in labels
                      if str(lit) != title],
        types=[lab.term(t) for t in sorted(graph.objects(node, RDF.type), key=str)],
    )
    if (node, HKSC.evidence, None) in graph:
        view.evidence = _claim_view(graph, lab, node)
    hidden = {RDF.type, RDFS.label, SKOS.prefLabel}
    for p, o in graph.predicate_objects(node):
        if p == SCHEMA.eventSchedule and is_part(o, node):
            view.statements.append(Row(lab.term(p), Term(schedule_text(graph, o))))
        elif not (p in hidden or is_part(o, node)):
            view.statements.append(Row(lab.term(p), lab.term(o)))
    view.statements = _sorted_rows(view.statements)
    claims: set[Node] = set()
    for link in (HKSC.about, RDF.subject, RDF.object, HKSC.claimObject, HKSC.eventObject):
        claims.update(graph.subjects(link, node))
    claims.update(c for c in graph.subjects(PROV.wasDerivedFrom, node)
                  if (c, HKSC.statedIn, None) in graph)
    events = set(graph.subjects(HKSC.eventObject, node))
    for claim in sorted(claims, key=str):
        (view.events if claim in events else view.claims).append(_claim_view(graph, lab, claim))
    for views in (view.claims, view.events):
        views.sort(key=lambda c: (c.kind, [r.value.text for r in c.summary]))
    for s, p in graph.subject_predicates(node):
        if s in claims or isinstance(s, BNode) or URIRef(str(s).split("#", 1)[0]) in claims:
            continue  # a claim (or its evidence) is shown with the claims
        view.incoming.append(Row(lab.term(p), lab.term(s)))
    view.incoming = _sorted_rows(view.incoming)
    for result in graph.subjects(SH.focusNode, node):
        shape = graph.value(result, SH.sourceShape)
        view.findings.append((
            severity_name(graph.value(result, SH.resultSeverity)) or "",
            str(graph.value(result, SH.resultMessage) or ""),
            Term(str(shape).rsplit("/", 1)[-1], lab.href(str(shape))) if isinstance(shape, URIRef)
            else None,
        ))
    view.findings.sort(key=lambda f: (SEVERITIES.index(f[0]) if f[0] in SEVERITIES else 3, f[1]))
    return view


# The order a claim's fields are shown in; others follow by name. Evidence and the
# passage have their own place on the page; the link back to the thing is implied.
_CLAIM_ORDER = (RDF.subject, HKSC.claimPredicate, RDF.predicate, HKSC.claimObject,
                HKSC.eventObject, HKSC.listRole, HKSC.member, HKSC.measure, HKSC.value,
                HKSC.amount, HKSC.textValue, HKSC.unit, HKSC.qualifier, HKSC.verbatim,
                HKSC.refDate, HKSC.periodEnd, HKSC.modality, HKSC.note, HKSC.statedIn)
_CLAIM_HIDDEN = {RDF.type, HKSC.evidence, PROV.wasDerivedFrom, HKSC.uncertain,
                 HKSC.datePrecision, HKSC.dateFromDocument, HKSC.about, HKSC.mentionable,
                 RDFS.label, SKOS.prefLabel}
# Dates are stored as full xsd:date with a precision; show only what the source says.
_PRECISION_CHARS = {str(TIME.unitYear): 4, str(TIME.unitMonth): 7}


_EVERY = {"P1Y": "every year", "P1M": "every month", "P1W": "every week", "P1D": "every day"}


def schedule_text(graph: Graph, schedule: Node) -> str:
    """A schema:Schedule in words: "every year, in April" (its frequency as stored when it
    is not one of the simple ones)."""
    parts = [_EVERY.get(str(f), f"every {f}") for f in graph.objects(schedule, SCHEMA.repeatFrequency)]
    months = sorted(int(m) for m in graph.objects(schedule, SCHEMA.byMonth)
                    if isinstance(m, Literal) and str(m).isdigit() and 1 <= int(m) <= 12)
    if months:
        parts.append("in " + ", ".join(calendar.month_name[m] for m in months))
    return ", ".join(parts) or "a schedule"


def _claim_view(graph: Graph, lab: Labeller, claim: Node) -> ClaimView:
    kinds = [lab.term(t).text for t in graph.objects(claim, RDF.type)]
    name = lab.label(claim)  # events have one; claims do not
    precision = graph.value(claim, HKSC.datePrecision)
    cut = _PRECISION_CHARS.get(str(precision)) if precision is not None else None
    rank: dict[Node, int] = {p: i for i, p in enumerate(_CLAIM_ORDER)}
    rows: list[tuple[int, str, Row]] = []
    for p, o in graph.predicate_objects(claim):
        if p == SCHEMA.eventSchedule and is_part(o, claim):
            value = Term(schedule_text(graph, o))
        elif p in _CLAIM_HIDDEN or is_part(o, claim):
            continue
        else:
            value = lab.term(o)
        if p in (HKSC.refDate, HKSC.periodEnd) and cut:
            value = Term(value.text[:cut])
        prop = lab.term(p)
        rows.append((rank.get(p, len(rank)), prop.text, Row(prop, value)))
    quote = None
    for evidence in graph.objects(claim, HKSC.evidence):
        for selector in graph.objects(evidence, OA.hasSelector):
            exact = graph.value(selector, OA.exact)
            if exact is not None:
                # oa:exact is the passage's own text, markdown included; a page shows it
                # as read (``**4.2 million**`` as 4.2 million).
                quote = readable(str(exact))
    passage = graph.value(claim, PROV.wasDerivedFrom)
    uncertain = graph.value(claim, HKSC.uncertain)
    return ClaimView(
        iri=str(claim), href=lab.href(str(claim)),
        kind=(", ".join(sorted(kinds)) or "claim") + (f": {name}" if name else ""),
        summary=[row for _r, _n, row in sorted(rows, key=lambda t: (t[0], t[1], t[2].value.text))],
        quote=quote,
        passage=lab.term(passage) if passage is not None else None,
        uncertain=isinstance(uncertain, Literal) and uncertain.toPython() is True,
    )


# ---------------------------------------------------------------- listings of things


def index_query(prefix: str) -> str:
    """CONSTRUCT the labelled things whose IRI starts with ``prefix``, with their types."""
    if not iri_is_safe(prefix):
        raise ValueError(f"not a usable IRI prefix: {prefix!r}")
    return f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
CONSTRUCT {{ ?s skos:prefLabel ?label . ?s a ?type . ?type skos:prefLabel ?typeLabel .
            ?type <http://www.w3.org/2000/01/rdf-schema#label> ?typeRdfsLabel . }}
WHERE {{
  ?s skos:prefLabel ?label .
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), "{prefix}"))
  OPTIONAL {{ ?s a ?type
             OPTIONAL {{ ?type <http://www.w3.org/2000/01/rdf-schema#label> ?typeRdfsLabel }} }}
}}"""


@dataclass
class Listed:
    iri: str
    href: str
    label: str
    types: list[str]


def build_index(graph: Graph, base: str) -> dict[str, list[Listed]]:
    """Things by kind (the first segment after ``id/``), each sorted by label."""
    lab = Labeller(graph, base)
    kinds: dict[str, list[Listed]] = {}
    for node in set(graph.subjects(SKOS.prefLabel, None)):
        iri = str(node)
        if not iri.startswith(base + "id/"):
            continue
        kind = iri[len(base) + 3:].split("/", 1)[0]
        types = sorted(lab.label(t) or lab.curie(str(t)) for t in graph.objects(node, RDF.type))
        kinds.setdefault(kind, []).append(
            Listed(iri, lab.href(iri), lab.label(node) or iri, types))
    return {k: sorted(v, key=lambda x: (x.label.lower(), x.iri)) for k, v in sorted(kinds.items())}
