"""/search: find things of the graph by name, without writing SPARQL.

Apps need an IRI before they can fetch a resource, and people arrive with a name ("iAM
Smart", "CDEG", "InnoEX"). Every word of ``q`` must occur, in any letter case, in one
preferred or alternative label of a thing under ``/id/`` (``kind=`` narrows it to one kind:
``platform``, ``org`` ...). Best matches first: a label equal to ``q``, then one starting
with it, then one with every word at a word start, then the rest; shorter labels first.

The query is one fixed CONSTRUCT with the words as string literals (no user text is ever
spliced in as SPARQL syntax), run in the SPARQL workers like every resource, so it has the
same time limit, per-build cache, ETag, CORS and formats: JSON (the default), a page, or
the matching labels as RDF.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from rdflib import Graph, Literal
from rdflib.namespace import RDF, SKOS

from api.problems import Problem, shown
from api.resources.description import Labeller
from api.resources.document import (
    HTML,
    JSON,
    VIEW_FORMATS,
    as_graph,
    known_kinds,
    page_links,
    preflight,
    rdf_body,
    respond,
)
from api.routers.sparql import SparqlService
from api.sparql import formats
from graph.settings import Settings

router = APIRouter(tags=["search"])

MAX_Q = 200
MAX_WORDS = 8
# The parameters an answer depends on (format= chooses among its representations).
PARAMETERS = ("q", "kind", "limit")
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
_KIND = re.compile(r"^[a-z0-9][a-z0-9-]{0,60}$")
_DIGITS = re.compile(r"[0-9]{1,3}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def words_of(q: str) -> list[str]:
    """The lower-cased words of ``q``; a Problem (400) when there is nothing to look for."""
    if len(q) > MAX_Q:
        raise Problem(400, f"q= is {len(q)} characters long; at most {MAX_Q}",
                      kind="invalid-parameter", parameter="q")
    if _CONTROL.search(q):
        raise Problem(400, "q= holds control characters", kind="invalid-parameter",
                      parameter="q")
    words = list(dict.fromkeys(w for w in q.lower().split() if w))
    if not words:
        raise Problem(400, "q= is required: the name, or words of it, to look for",
                      kind="invalid-parameter", parameter="q")
    if len(words) > MAX_WORDS:
        raise Problem(400, f"q= has {len(words)} words; at most {MAX_WORDS}",
                      kind="invalid-parameter", parameter="q")
    return words


def search_query(words: list[str], prefix: str) -> str:
    """CONSTRUCT the things under ``prefix`` having a label that holds every word.

    Each word becomes a SPARQL string literal through ``json.dumps``: with control
    characters refused beforehand it escapes only ``"`` and ``\\``, and both escapes mean
    the same in SPARQL, so a word can never end the literal."""
    tests = " && ".join(f"CONTAINS(LCASE(STR(?matched)), {json.dumps(w, ensure_ascii=False)})"
                        for w in words)
    return f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
CONSTRUCT {{ ?s skos:prefLabel ?label . ?s skos:altLabel ?alt . ?s a ?type .
            ?type <http://www.w3.org/2000/01/rdf-schema#label> ?typeLabel . }}
WHERE {{
  {{ ?s skos:prefLabel ?matched }} UNION {{ ?s skos:altLabel ?matched }}
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), {json.dumps(prefix)}) && {tests})
  ?s skos:prefLabel ?label .
  OPTIONAL {{ ?s skos:altLabel ?alt }}
  OPTIONAL {{ ?s a ?type OPTIONAL {{ ?type <http://www.w3.org/2000/01/rdf-schema#label> ?typeLabel }} }}
}}"""


@dataclass
class Hit:
    iri: str
    href: str
    label: str
    matched: str
    kind: str
    types: list[str]


def _rank(label: str, q: str, words: list[str]) -> int:
    text = label.lower()
    if text == q:
        return 0
    if text.startswith(q):
        return 1
    starts = {m.start() for m in re.finditer(r"\w+", text)}
    if all(any(text.startswith(w, i) for i in starts) for w in words):
        return 2
    return 3


def rank(graph: Graph, base: str, q: str, words: list[str]) -> list[Hit]:
    """Every thing of ``graph`` with a label holding all ``words``, best match first."""
    lab = Labeller(graph, base)
    q = " ".join(q.lower().split())
    scored: list[tuple[tuple[int, int, str, str], Hit]] = []
    for node in set(graph.subjects(SKOS.prefLabel, None)):
        iri = str(node)
        labels = [str(v) for p in (SKOS.prefLabel, SKOS.altLabel)
                  for v in graph.objects(node, p) if isinstance(v, Literal)]
        matching = [x for x in labels if all(w in x.lower() for w in words)]
        if not matching:
            continue
        score, length, best = min((_rank(x, q, words), len(x), x) for x in matching)
        name = lab.label(node) or iri
        types = sorted(lab.label(t) or lab.curie(str(t)) for t in graph.objects(node, RDF.type))
        kind = iri[len(base) + 3:].split("/", 1)[0]
        hit = Hit(iri, lab.href(iri), name, best, kind, types)
        scored.append(((score, length, name.lower(), iri), hit))
    return [hit for _key, hit in sorted(scored, key=lambda pair: pair[0])]


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    # Not str.isdigit(): it accepts "²", which int() refuses.
    if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= MAX_LIMIT:
        raise Problem(400, f"limit= must be a whole number from 1 to {MAX_LIMIT}, not {raw!r}",
                      kind="invalid-parameter", parameter="limit")
    return int(raw)


@router.get("/search", response_model=None, summary="Things of the graph by name")
@router.head("/search", response_model=None, include_in_schema=False)
async def search(request: Request, q: str = "", kind: str | None = None) -> Response:
    """Things whose preferred or alternative label holds every word of ``q``, best first:
    ``{"q", "kind", "total", "limit", "results": [{"iri", "href", "label", "matched",
    "kind", "types"}]}``. ``kind=`` narrows to one kind (the first segment after ``/id/``),
    ``limit=`` (1 to 100, default 20) bounds the results; ``total`` counts them all."""
    settings: Settings = request.app.state.settings
    base = settings.base_iri
    words = words_of(q)
    if kind is not None:
        kinds = await known_kinds(request, base)
        if not _KIND.match(kind) or (kinds and kind not in kinds):
            raise Problem(400, f"kind= is {shown(kind, 60)!r}; expected one of the kinds under /id/: "
                               f"{', '.join(kinds)}", kind="invalid-parameter",
                          parameter="kind", kinds=kinds)
    limit = _limit(request)
    prefix = f"{base}id/{kind}/" if kind else f"{base}id/"

    def render(fmt: formats.Format, ntriples: bytes) -> bytes:
        if fmt not in (HTML, JSON):
            return rdf_body(fmt, ntriples)
        hits = rank(as_graph(ntriples), base, q, words)
        answer: dict[str, Any] = {"q": q, "kind": kind, "total": len(hits), "limit": limit,
                                  "results": [asdict(h) for h in hits[:limit]]}
        if fmt is JSON:
            return json.dumps(answer, indent=2, ensure_ascii=False).encode("utf-8")
        service: SparqlService = request.app.state.sparql
        return service.render_page("search.html", answer=answer,
                                   links=page_links(request, VIEW_FORMATS, PARAMETERS)).encode("utf-8")

    return await respond(request, search_query(words, prefix), VIEW_FORMATS, render, keep=PARAMETERS)


@router.options("/search", include_in_schema=False)
async def options(request: Request) -> Response:
    return preflight(request)
