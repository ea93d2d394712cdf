"""Records loader: curated entities and claims from YAML (format: docs/records.md).

``records/entities/*.yaml`` define things (organisations, platforms, ...)
with their labels in English and Traditional Chinese and abbreviations.
``records/claims/*.yaml`` hold what one document asserts: figures,
relations, event dates and lists, each citing a passage of that document
and a verbatim quote. A quote that is not in its passage (after
normalising markup and whitespace), an unknown reference, a duplicate
identifier or a bad date or amount stops the build with ``file:line``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from graph.errors import BuildError, InputProblem
from graph.namespaces import HKSC, ID, OA, SCHEMA
from loaders.dates import PreciseDate, parse_date
from loaders.documents import SourceDocument
from loaders.terms import Vocabulary
from loaders.text import locate, normalise
from loaders.yamlio import LINE, load_yaml

CURRENCIES = {"hkd": "HKD", "rmb": "CNY"}
CLAIM_KINDS = ("figure", "relation", "event", "schedule", "listing")
# How often a recurring event is held, as the ISO 8601 duration schema:repeatFrequency takes.
SCHEDULE_FREQUENCIES = {"year": "P1Y", "month": "P1M", "week": "P1W", "day": "P1D"}
_CLAIM_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# Hong Kong sources print Traditional Chinese; a name quoted from the Mainland
# (Shanghai's 随申办) is Simplified and must be tagged so.
ZH_LANGS = frozenset({"zh-Hant", "zh-Hans"})

ENTITY_KEYS = {
    "id",
    "type",
    "label",
    "label_zh",
    "alt",
    "alt_zh",
    "zh_lang",
    "description",
    "url",
    "smart_area",
    "technology",
    "application_area",
    "status",
    "mentionable",
    "event_kind",
    "event_object",
    "same_as",
    LINE,
}
COMMON_CLAIM_KEYS = {
    "kind",
    "passage",
    "quote",
    "date",
    "modality",
    "uncertain",
    "note",
    "id",
    "verbatim",
    LINE,
}
CLAIM_KEYS = {
    "figure": {
        "about",
        "measure",
        "value",
        "text_value",
        "unit",
        "qualifier",
        "context",
        "smart_area",
        "technology",
        "pillar",
        "counted",
    },
    "relation": {"subject", "predicate", "object"},
    "event": {"event", "qualifier"},
    "schedule": {"event", "every", "month"},
    "listing": {"subject", "role", "members", "exhaustive", "description"},
}


@dataclass
class Entity:
    iri: URIRef
    id: str
    type: URIRef
    labels_en: list[str]
    labels_zh: list[str]
    mentionable: bool
    where: InputProblem  # file and line, message unused


@dataclass
class RecordSet:
    """Everything the records define, for the tables and mentions loaders."""

    entities: dict[str, Entity] = field(default_factory=dict)
    graph: Graph = field(default_factory=Graph)
    # IRI -> "records/<folder>/<file>.yaml:<line>" of every entity and claim, so that a
    # SHACL violation can say which record to fix.
    locations: dict[str, str] = field(default_factory=dict)


class _Problems:
    def __init__(self) -> None:
        self.items: list[InputProblem] = []

    def add(self, file: Path | str, line: int | None, message: str) -> None:
        self.items.append(InputProblem(file, line, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise BuildError(self.items)


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def load_records(records_dir: Path, docs: dict[str, SourceDocument], vocab: Vocabulary) -> RecordSet:
    """Read entities then claims; raise one BuildError listing every problem."""
    problems = _Problems()
    rs = RecordSet()
    pending: list[tuple[str, dict[str, Any]]] = []
    for path in sorted((records_dir / "entities").glob("*.yaml")):
        _load_entities(path, _display(path, records_dir), rs, vocab, problems, pending)
    _entity_references(pending, rs, vocab, problems)
    seen_claims: dict[URIRef, str] = {}
    for path in sorted((records_dir / "claims").glob("*.yaml")):
        _load_claims(path, _display(path, records_dir), rs, docs, vocab, problems, seen_claims)
    problems.raise_if_any()
    rs.locations = {str(e.iri): f"{e.where.file}:{e.where.line}" for e in rs.entities.values()}
    rs.locations.update((str(c), where) for c, where in seen_claims.items())
    return rs


# --------------------------------------------------------------------------- entities


def _load_entities(
    path: Path,
    name: str,
    rs: RecordSet,
    vocab: Vocabulary,
    problems: _Problems,
    pending: list[tuple[str, dict[str, Any]]],
) -> None:
    data = load_yaml(path, name)
    if not isinstance(data, dict) or not isinstance(data.get("entities"), list):
        problems.add(name, 1, "expected a mapping with an 'entities' list")
        return
    g = rs.graph
    for rec in data["entities"]:
        line = rec.get(LINE) if isinstance(rec, dict) else None
        if not isinstance(rec, dict):
            problems.add(name, line, "expected a mapping for each entity")
            continue
        unknown = set(rec) - ENTITY_KEYS
        if unknown:
            problems.add(
                name, line, f"unknown key(s) {sorted(unknown)}; expected {sorted(ENTITY_KEYS - {LINE})}"
            )
        ent_id, type_name, label = rec.get("id"), rec.get("type"), rec.get("label")
        if not ent_id or not type_name or not label:
            problems.add(name, line, "entity needs 'id', 'type' and 'label'")
            continue
        ent_id = str(ent_id)
        if "/" not in ent_id or ent_id.startswith("/") or " " in ent_id:
            problems.add(name, line, f"entity id {ent_id!r} must look like 'kind/slug'")
            continue
        if ent_id in rs.entities:
            first = rs.entities[ent_id].where
            problems.add(
                name, line, f"duplicate identifier {ent_id!r} (first defined at {first.file}:{first.line})"
            )
            continue
        cls = vocab.classes.get(str(type_name))
        if cls is None:
            problems.add(name, line, f"unknown type {type_name!r}; expected one of {sorted(vocab.classes)}")
            continue
        zh_lang = str(rec.get("zh_lang", "zh-Hant"))
        if zh_lang not in ZH_LANGS:
            problems.add(name, line, f"zh_lang {zh_lang!r}: expected one of {sorted(ZH_LANGS)} "
                                     "(the script the source prints the Chinese names in)")
            continue
        iri = ID[ent_id]
        en = [str(label)] + [str(a) for a in rec.get("alt", []) or []]
        zh = ([str(rec["label_zh"])] if rec.get("label_zh") else []) + [
            str(a) for a in rec.get("alt_zh", []) or []
        ]
        rs.entities[ent_id] = Entity(
            iri, ent_id, cls, en, zh, rec.get("mentionable", True) is not False, InputProblem(name, line, "")
        )
        pending.append((name, rec))
        g.add((iri, RDF.type, cls))
        g.add((iri, RDFS.label, Literal(str(label), lang="en")))
        g.add((iri, SKOS.prefLabel, Literal(str(label), lang="en")))
        if rec.get("label_zh"):
            g.add((iri, SKOS.prefLabel, Literal(str(rec["label_zh"]), lang=zh_lang)))
            g.add((iri, RDFS.label, Literal(str(rec["label_zh"]), lang=zh_lang)))
        for alt in rec.get("alt", []) or []:
            g.add((iri, SKOS.altLabel, Literal(str(alt), lang="en")))
        for alt in rec.get("alt_zh", []) or []:
            g.add((iri, SKOS.altLabel, Literal(str(alt), lang=zh_lang)))
        if rec.get("description"):
            g.add((iri, DCTERMS.description, Literal(str(rec["description"]), lang="en")))
        if rec.get("url"):
            g.add((iri, SCHEMA.url, Literal(str(rec["url"]), datatype=XSD.anyURI)))
        for same in rec.get("same_as", []) or []:
            g.add((iri, OWL.sameAs, URIRef(str(same))))
        if rec.get("mentionable") is False:
            g.add((iri, HKSC.mentionable, Literal(False)))


_CONCEPT_FIELDS = {
    "smart_area": ("smart-area", HKSC.smartArea),
    "technology": ("technology", HKSC.technology),
    "application_area": ("ai-application-area", HKSC.applicationArea),
    "status": ("initiative-status", HKSC.status),
    "event_kind": ("event-kind", HKSC.eventKind),
}


def _entity_references(
    pending: list[tuple[str, dict[str, Any]]],
    rs: RecordSet,
    vocab: Vocabulary,
    problems: _Problems,
) -> None:
    """Second pass: concept and entity references, once every id is known."""
    for name, rec in pending:
        ent = rs.entities[str(rec["id"])]
        line = rec[LINE]
        for key, (scheme, prop) in _CONCEPT_FIELDS.items():
            values = rec.get(key)
            if values is None:
                continue
            for v in values if isinstance(values, list) else [values]:
                concept = vocab.concepts(scheme).get(str(v))
                if concept is None:
                    problems.add(
                        name, line, f"unknown {key} {v!r}; expected one of {sorted(vocab.concepts(scheme))}"
                    )
                else:
                    rs.graph.add((ent.iri, prop, concept))
        obj = rec.get("event_object")
        for o in obj if isinstance(obj, list) else ([obj] if obj else []):
            target = _ref(str(o), rs, vocab)
            if target is None:
                problems.add(name, line, f"unknown entity reference {o!r} in event_object")
            else:
                rs.graph.add((ent.iri, HKSC.eventObject, target))


# --------------------------------------------------------------------------- claims


def _ref(value: str, rs: RecordSet, vocab: Vocabulary) -> URIRef | None:
    """An entity id, or a concept as 'scheme/slug'."""
    if value in rs.entities:
        return rs.entities[value].iri
    if "/" in value:
        scheme, slug = value.split("/", 1)
        concept = vocab.concepts(scheme).get(slug)
        if concept is not None:
            return concept
    return None


def _load_claims(
    path: Path,
    name: str,
    rs: RecordSet,
    docs: dict[str, SourceDocument],
    vocab: Vocabulary,
    problems: _Problems,
    seen: dict[URIRef, str],
) -> None:
    data = load_yaml(path, name)
    if not isinstance(data, dict) or "document" not in data or not isinstance(data.get("claims"), list):
        problems.add(name, 1, "expected a mapping with 'document' and a 'claims' list")
        return
    doc = docs.get(str(data["document"]))
    if doc is None:
        problems.add(
            name, data.get(LINE, 1), f"unknown document {data['document']!r}; expected one of {sorted(docs)}"
        )
        return
    for rec in data["claims"]:
        line = rec.get(LINE) if isinstance(rec, dict) else None
        if not isinstance(rec, dict):
            problems.add(name, line, "expected a mapping for each claim")
            continue
        try:
            for message in _claim(rec, doc, rs, vocab, seen, f"{name}:{line}"):
                problems.add(name, line, message)
        except ValueError as exc:
            problems.add(name, line, str(exc))


def _claim(
    rec: dict[str, Any],
    doc: SourceDocument,
    rs: RecordSet,
    vocab: Vocabulary,
    seen: dict[URIRef, str],
    where: str,
) -> Iterator[str]:
    kind = rec.get("kind")
    if kind not in CLAIM_KINDS:
        yield f"claim 'kind' must be one of {list(CLAIM_KINDS)}, got {kind!r}"
        return
    allowed = COMMON_CLAIM_KEYS | CLAIM_KEYS[kind]
    unknown = set(rec) - allowed
    if unknown:
        yield f"unknown key(s) {sorted(unknown)} for a {kind} claim; expected {sorted(allowed - {LINE})}"
        return
    # ---- evidence: passage and quote
    key = str(rec.get("passage", "")).strip()
    quote = rec.get("quote")
    if not key or not quote:
        yield "claim needs 'passage' and 'quote'"
        return
    if key not in doc.passages:
        yield f"unknown passage {key!r} in document {doc.doc_id!r} (see `hkkg passages {doc.doc_id}`)"
        return
    if normalise(str(quote)) not in doc.normalised[key]:
        yield (
            f"quote not found in passage {doc.doc_id}/p/{key} (lines "
            f"{doc.passages[key].line_start}-{doc.passages[key].line_end}): {str(quote)[:120]!r}"
        )
        return
    verbatim = rec.get("verbatim")
    if verbatim and normalise(str(verbatim)) not in normalise(str(quote)):
        # Catches a key typed inside the string ("over 60, date: 2024-06"), which
        # would silently drop the key and date the figure by its document.
        yield (f"verbatim {str(verbatim)[:80]!r} is not in the quote; "
               "it must be the figure as the quote words it")
        return
    g = rs.graph
    claim_type = {
        "figure": HKSC.Observation,
        "relation": HKSC.RelationClaim,
        "event": HKSC.DateClaim,
        "schedule": HKSC.ScheduleClaim,
        "listing": HKSC.ListingClaim,
    }[kind]
    # The id is the claim's IRI, cited by others: it must be written down, never
    # derived from the content (a hash would change with any edit, even a note).
    claim_id = str(rec.get("id") or "").strip()
    if not claim_id:
        yield ("claim needs an 'id': a stable descriptive slug such as 'iam-smart-registered-users-2024' "
               "(it is the claim's IRI; no id is derived from the content)")
        return
    if not _CLAIM_ID.match(claim_id):
        yield f"claim id {claim_id!r} must be a slug of lower-case letters, digits and hyphens"
        return
    c = ID[f"claim/{doc.doc_id}/{claim_id}"]
    if c in seen:
        yield f"duplicate identifier: claim {claim_id!r} (first defined at {seen[c]})"
        return
    seen[c] = where
    triples: list[tuple[Any, Any, Any]] = [(c, RDF.type, claim_type)]
    errors: list[str] = []

    def need_ref(field_name: str) -> URIRef | None:
        value = rec.get(field_name)
        if value is None:
            errors.append(f"{kind} claim needs {field_name!r}")
            return None
        target = _ref(str(value), rs, vocab)
        if target is None:
            errors.append(f"unknown entity reference {value!r} in {field_name!r}")
        return target

    def concept(scheme: str, value: Any, field_name: str) -> URIRef | None:
        found = vocab.concepts(scheme).get(str(value))
        if found is None:
            errors.append(f"unknown {field_name} {value!r}; expected one of {sorted(vocab.concepts(scheme))}")
        return found

    if kind == "figure":
        about = need_ref("about")
        measure = concept("measure", rec.get("measure"), "measure") if rec.get("measure") else None
        if rec.get("measure") is None:
            errors.append("figure claim needs 'measure'")
        if about is not None:
            triples.append((c, HKSC.about, about))
        if measure is not None:
            triples.append((c, HKSC.measure, measure))
        unit_name = str(rec.get("unit", "count"))
        unit = concept("unit", unit_name, "unit")
        if unit is not None:
            triples.append((c, HKSC.unit, unit))
        if "value" in rec:
            value = _number(rec["value"])
            if value is None:
                errors.append(
                    f"unparseable amount {rec['value']!r}: expected a number such as 3000000000 or 2.5"
                )
            else:
                triples.append((c, HKSC.value, value))
                if unit_name in CURRENCIES:
                    money = part_of(c, "amount")
                    triples += [
                        (c, HKSC.amount, money),
                        (money, RDF.type, SCHEMA.MonetaryAmount),
                        (money, SCHEMA.value, value),
                        (money, SCHEMA.currency, Literal(CURRENCIES[unit_name])),
                    ]
        elif "text_value" in rec:
            triples.append((c, HKSC.textValue, Literal(str(rec["text_value"]))))
        elif not rec.get("uncertain"):
            errors.append(
                "figure claim needs 'value' (or 'text_value', or 'uncertain: true' for a garbled figure)"
            )
        if not rec.get("verbatim"):
            errors.append("figure claim needs 'verbatim', the figure as the source words it")
        if rec.get("counted"):
            # The source lists items but prints no number: the value is the curator's count.
            triples.append((c, HKSC.countedFromList, Literal(True)))
        if rec.get("qualifier"):
            q = concept("qualifier", rec["qualifier"], "qualifier")
            if q is not None:
                triples.append((c, HKSC.qualifier, q))
        for key_name, (scheme, prop) in (
            ("smart_area", _CONCEPT_FIELDS["smart_area"]),
            ("technology", _CONCEPT_FIELDS["technology"]),
        ):
            if rec.get(key_name):
                found = concept(scheme, rec[key_name], key_name)
                if found is not None:
                    triples.append((c, prop, found))
        if rec.get("context"):
            ctx = need_ref("context")
            if ctx is not None:
                triples.append((c, HKSC.context, ctx))
        if rec.get("pillar"):
            triples.append((c, HKSC.pillar, Literal(str(rec["pillar"]))))
    elif kind == "relation":
        subject, obj = need_ref("subject"), need_ref("object")
        pred = vocab.relations.get(str(rec.get("predicate")))
        if pred is None:
            errors.append(
                f"unknown predicate {rec.get('predicate')!r}; expected one of {sorted(vocab.relations)}"
            )
        if subject is not None and obj is not None and pred is not None:
            triples += [
                (c, HKSC.about, subject),
                (c, RDF.subject, subject),
                (c, HKSC.claimPredicate, pred),
                (c, HKSC.claimObject, obj),
            ]
    elif kind == "event":
        event = need_ref("event")
        if event is not None:
            triples.append((c, HKSC.about, event))
        if not rec.get("date"):
            errors.append("event claim needs 'date'")
        if rec.get("qualifier"):
            q = concept("qualifier", rec["qualifier"], "qualifier")
            if q is not None:
                triples.append((c, HKSC.qualifier, q))
    elif kind == "schedule":
        event = need_ref("event")
        if event is not None:
            triples.append((c, HKSC.about, event))
        if rec.get("date"):
            errors.append("schedule claim takes no 'date': it says when the event recurs "
                          "('every', 'month'), not when it happened; date one edition with an event claim")
        every = SCHEDULE_FREQUENCIES.get(str(rec.get("every")))
        if every is None:
            errors.append(f"schedule claim needs 'every', one of {sorted(SCHEDULE_FREQUENCIES)}; "
                          f"got {rec.get('every')!r}")
        month = rec.get("month")
        if month is not None and (isinstance(month, bool) or not isinstance(month, int)
                                  or not 1 <= month <= 12):
            errors.append(f"schedule claim 'month' must be a month number, 1 to 12; got {month!r}")
            month = None
        if not rec.get("verbatim"):
            errors.append("schedule claim needs 'verbatim', the schedule as the source words it")
        if every is not None:
            schedule = part_of(c, "schedule")
            triples += [
                (c, SCHEMA.eventSchedule, schedule),
                (schedule, RDF.type, SCHEMA.Schedule),
                (schedule, SCHEMA.repeatFrequency, Literal(every, datatype=XSD.duration)),
            ]
            if month is not None:
                triples.append((schedule, SCHEMA.byMonth, Literal(month)))
    elif kind == "listing":
        subject = need_ref("subject")
        if subject is not None:
            triples.append((c, HKSC.about, subject))
        role = vocab.relations.get(str(rec.get("role", "involves")))
        if role is None:
            errors.append(f"unknown role {rec.get('role')!r}; expected one of {sorted(vocab.relations)}")
        else:
            triples.append((c, HKSC.listRole, role))
        members = rec.get("members") or []
        if not isinstance(members, list) or not members:
            errors.append("listing claim needs a non-empty 'members' list")
        for m in members if isinstance(members, list) else []:
            target = _ref(str(m), rs, vocab)
            if target is None:
                errors.append(f"unknown entity reference {m!r} in 'members'")
            else:
                triples.append((c, HKSC.member, target))
        if "exhaustive" not in rec:
            errors.append("listing claim needs 'exhaustive: true|false' (false when the source says 'etc.')")
        else:
            triples.append((c, HKSC.exhaustive, Literal(bool(rec["exhaustive"]))))
        if rec.get("description"):
            triples.append((c, DCTERMS.description, Literal(str(rec["description"]), lang="en")))
    # ---- common parts
    if rec.get("date"):
        try:
            when = parse_date(str(rec["date"]))
        except ValueError as exc:
            errors.append(str(exc))
        else:
            triples += _date_triples(c, when, from_document=False)
    elif kind == "figure":
        triples += _date_triples(c, doc.date, from_document=True)
    modality = rec.get("modality", "achieved")
    m = concept("modality", modality, "modality")
    if m is not None:
        triples.append((c, HKSC.modality, m))
    if rec.get("verbatim"):
        triples.append((c, HKSC.verbatim, Literal(str(rec["verbatim"]))))
    if rec.get("uncertain"):
        triples.append((c, HKSC.uncertain, Literal(True)))
    if rec.get("note"):
        triples.append((c, HKSC.note, Literal(str(rec["note"]))))
    if errors:
        yield from errors
        return
    for t in triples:
        g.add(t)
    add_evidence(g, c, doc, key, str(quote))


def part_of(claim: URIRef, name: str) -> URIRef:
    """A node that belongs to one claim (its evidence, quote selector, amount or schedule):
    ``<claim>#name``. Not a blank node: a client that fetches the claim's description twice,
    or once and again inside another thing's, merges the two into one graph, and blank
    nodes would come out twice (RDF 1.1 Concepts 3.5 advises IRIs where identity matters).
    A fragment resolves to the claim's own description."""
    return URIRef(f"{claim}#{name}")


# Characters of the passage text kept before and after a quote that occurs more than
# once in it (oa:prefix, oa:suffix), enough to tell the places apart.
QUOTE_CONTEXT = 32


class UnmappedQuote(BuildError, ValueError):
    """A quote matches its passage after normalising but no span of the text reads as it.

    A BuildError naming the source file and line; a ValueError too, so that the claims
    loader reports it at the record's file and line like its other checks."""


def add_evidence(g: Graph, claim: URIRef, doc: SourceDocument, key: str, quote: str) -> None:
    """Provenance of a claim: the passage, the document and the verbatim quote.

    ``quote`` is compared with the passage after normalising (``loaders.text``); the
    selector's oa:exact is the span of the passage's text (``hksc:text``, markup
    included) that reads as it, so a Web Annotation client finds it in that text; where
    those words occur more than once in the passage, a few characters before and after
    them (oa:prefix, oa:suffix) tell which. The quote as the curator typed it stays in
    the records (``quote:``)."""
    passage = doc.passage_iri(key)
    text = doc.passages[key].text
    span = locate(text, quote)
    if span is None:
        p = doc.passages[key]
        raise UnmappedQuote(InputProblem(
            f"{doc.file.parent.name}/{doc.file.name}", p.line_start,
            f"quote cannot be mapped to a span of passage {doc.doc_id}/p/{key} (lines "
            f"{p.line_start}-{p.line_end}) that reads as it after normalising: {quote[:120]!r}"))
    start, end = span
    target, selector = part_of(claim, "evidence"), part_of(claim, "quote")
    g.add((claim, PROV.wasDerivedFrom, passage))
    g.add((claim, HKSC.statedIn, doc.iri))
    g.add((claim, HKSC.evidence, target))
    g.add((target, RDF.type, OA.SpecificResource))
    g.add((target, OA.hasSource, passage))
    g.add((target, OA.hasSelector, selector))
    g.add((selector, RDF.type, OA.TextQuoteSelector))
    exact = text[start:end]
    g.add((selector, OA.exact, Literal(exact)))
    if text.count(exact) > 1:
        if start > 0:
            g.add((selector, OA.prefix, Literal(text[max(0, start - QUOTE_CONTEXT):start])))
        if end < len(text):
            g.add((selector, OA.suffix, Literal(text[end:end + QUOTE_CONTEXT])))


def _date_triples(c: URIRef, when: PreciseDate, *, from_document: bool) -> list[tuple[Any, Any, Any]]:
    return [
        (c, HKSC.refDate, Literal(when.start, datatype=XSD.date)),
        (c, HKSC.periodEnd, Literal(when.end, datatype=XSD.date)),
        (c, HKSC.datePrecision, when.precision),
        (c, HKSC.dateFromDocument, Literal(from_document)),
    ]


def _number(value: Any) -> Literal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Literal(value, datatype=XSD.integer)
    try:
        d = Decimal(str(value).replace("_", ""))
    except InvalidOperation:
        return None
    if d == d.to_integral_value() and "." not in str(value):
        return Literal(int(d), datatype=XSD.integer)
    return Literal(d, datatype=XSD.decimal)
