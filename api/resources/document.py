"""One negotiated document made from one fixed CONSTRUCT: the shared path of /id/... and
/validation.

The query runs in the SPARQL worker pool (hard time limit, per-build cache, rebuilds
picked up), answers N-Triples, and is turned into the negotiated format here. Every
answer carries CORS, ``Vary: Accept``, a ``Link`` header naming the other formats and a
per-build weak ``ETag``; ``If-None-Match`` gets a 304 and ``HEAD`` the headers alone.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import json
from collections.abc import Callable
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from fastapi import Request, Response
from pyld import jsonld
from rdflib import Graph

from api.problems import Problem
from api.routers.sparql import (
    CORS_HEADERS,
    TRUNCATED_HEADER,
    SparqlService,
    client_of,
    etag_matches,
    requested_headers,
)
from api.sparql import formats
from api.sparql.negotiation import NotAcceptableError, negotiate
from api.sparql.workers import Job, Outcome
from graph.gate import shapes_of_build
from graph.namespaces import WRITE_PREFIXES
from graph.settings import Settings

HTML = formats.Format("html", "text/html", "graph", "html", ("application/xhtml+xml",))
JSON = formats.Format("json", "application/json", "graph", "json")  # a plain JSON view
_GRAPH = {f.name: f for f in formats.GRAPH_FORMATS}
TURTLE, NTRIPLES, RDFXML = (_GRAPH[n] for n in ("turtle", "ntriples", "rdfxml"))
# Documents give JSON-LD compacted (with the context inline), so a request for the
# compacted profile names this format too.
COMPACTED_PROFILE = "http://www.w3.org/ns/json-ld#compacted"
JSONLD = dataclasses.replace(
    _GRAPH["jsonld"],
    aliases=(*_GRAPH["jsonld"].aliases, f'application/ld+json; profile="{COMPACTED_PROFILE}"'))
# JSON-LD in expanded form (JSON-LD 1.1, 9.5: the profile parameter), for clients that ask
# for it with ``Accept: application/ld+json;profile="http://www.w3.org/ns/json-ld#expanded"``
# or ``format=jsonld-expanded``: full IRIs as keys, every value an array, no context to
# apply. Plain ``application/ld+json`` (and the compacted or flattened profiles) get the
# compacted form, with its context inline; its top-level ``@graph`` is flattened already.
# Negotiation tells the two apart because python-mimeparse counts a matching parameter.
EXPANDED_PROFILE = "http://www.w3.org/ns/json-ld#expanded"
JSONLD_EXPANDED = formats.Format("jsonld-expanded", f'application/ld+json; profile="{EXPANDED_PROFILE}"',
                                 "graph", "jsonld")
# A view computed from a graph (search hits, the SHACL report): its JSON first, since
# programs read it, its page, and the graph itself.
VIEW_FORMATS: tuple[formats.Format, ...] = (JSON, HTML, TURTLE, JSONLD, NTRIPLES, JSONLD_EXPANDED)
_OX_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "rdfxml": ox.RdfFormat.RDF_XML}

# A renderer turns the N-Triples answer into the body of the negotiated format.
Renderer = Callable[[formats.Format, bytes], bytes]


def rdf_body(fmt: formats.Format, ntriples: bytes) -> bytes:
    """``ntriples`` in one of the RDF formats (Turtle, RDF/XML, N-Triples, JSON-LD)."""
    if fmt.name == "ntriples":
        return ntriples
    if fmt.name in _OX_FORMATS:
        triples = [q.triple for q in ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)]
        data = ox.serialize(triples, format=_OX_FORMATS[fmt.name], prefixes=WRITE_PREFIXES)
        assert data is not None
        return data
    if fmt.name in ("jsonld", JSONLD_EXPANDED.name):
        doc = jsonld.from_rdf(ntriples.decode("utf-8"), {"format": "application/n-quads",
                                                         "useNativeTypes": True})
        if fmt is not JSONLD_EXPANDED:
            # Compacted by PyLD (the JSON-LD API's reference implementation; rdflib's
            # compactor drops blank nodes under a term typed @id) with the project's context,
            # inline so no client has to fetch it: short keys, IRIs as strings, labels by
            # language.
            doc = jsonld.compact(doc, _context())
        return json.dumps(doc, indent=2, ensure_ascii=False).encode("utf-8")
    raise ValueError(f"not an RDF format: {fmt.name}")


@functools.cache
def context_text() -> str:
    """``ontology/context.jsonld``, read once per process: the context every JSON-LD answer
    is compacted with and ``/def/context.jsonld`` serves are one version."""
    return (resources.files("ontology") / "context.jsonld").read_text("utf-8")


@functools.cache
def _context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads(context_text())
    return context


def as_graph(ntriples: bytes) -> Graph:
    graph = Graph()
    graph.parse(data=ntriples.decode("utf-8"), format="nt")
    return graph


def negotiated(request: Request, offered: tuple[formats.Format, ...]) -> formats.Format:
    """The format of ``offered`` the request asks for (Accept or ``format=``), else 406."""
    try:
        return negotiate(offered, request.headers.get("accept"),
                         request.query_params.getlist("format"))
    except NotAcceptableError as exc:
        raise Problem(406, f"{exc}; offered: {', '.join(exc.offered)}",
                      kind="not-acceptable", offered=exc.offered) from None


def chosen_format(request: Request, offered: tuple[formats.Format, ...]) -> formats.Format:
    """The negotiated format; a URL with one representation (``/dump.trig``) serves it
    whatever ``Accept`` says, since its name already chose."""
    return offered[0] if len(offered) == 1 else negotiated(request, offered)


def preflight(request: Request) -> Response:
    """CORS preflight of a read-only document (GET and HEAD, any requested header)."""
    return Response(status_code=204, headers={
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
        "Access-Control-Allow-Headers": requested_headers(request, "Accept, If-None-Match"),
        "Access-Control-Max-Age": "86400",
    })


def served_shapes(request: Request) -> str:
    """The shapes the served build was checked against (``graph.gate.shapes_of_build``)."""
    settings: Settings = request.app.state.settings
    service = getattr(request.app.state, "sparql", None)
    build = service.current_build() if isinstance(service, SparqlService) else None
    return shapes_of_build(settings.resolved_store_dir, build)


def sparql_service(request: Request) -> SparqlService:
    """The running SPARQL service (its workers run every query of the API), else a 503."""
    service = getattr(request.app.state, "sparql", None)
    if not isinstance(service, SparqlService):
        raise Problem(503, "the query workers are not running", kind="service-unavailable")
    return service


def format_link(request: Request, name: str, keep: tuple[str, ...] = ()) -> str:
    """This request's path and the parameters of ``keep`` that it gives (``q=``,
    ``severity=`` ...), with ``format=name``. Other parameters change nothing in the
    document, so its links do not repeat them."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k in keep and k != "format"]
    # The path as sent (percent-encoded): a header holds no character outside Latin-1.
    path = quote(request.url.path, safe="/:@!$&'()*+,;=-._~")
    return f"{path}?{urlencode([*params, ('format', name)])}"


def page_links(request: Request, offered: tuple[formats.Format, ...],
               keep: tuple[str, ...] = ()) -> list[tuple[formats.Format, str]]:
    """The links a page gives to its other representations (each keeps the parameters of
    ``keep``)."""
    return [(f, format_link(request, f.name, keep)) for f in offered if f is not HTML]


def _content_type(fmt: formats.Format) -> str:
    if fmt.media_type.startswith("text/html"):
        return "text/html; charset=utf-8"
    return formats.content_type(fmt)


async def respond(request: Request, query: str | Job, offered: tuple[formats.Format, ...],
                  render: Renderer, empty: Problem | None = None,
                  keep: tuple[str, ...] = ()) -> Response:
    """Run ``query`` and answer it in the negotiated one of ``offered``, rendered by
    ``render`` from the workers' answer: a CONSTRUCT's N-Triples, or what a given
    ``Job`` asks for.

    ``empty`` is raised when the answer holds no triple (None: an empty answer is fine).
    ``keep`` names the parameters ``render`` reads (``q=``, ``severity=`` ...); no other
    changes the document, so none other enters its cache key, ETag or links: ``?x=1``,
    ``?x=2`` ... cannot make the service render one document again and again (JSON-LD of
    the largest description costs about a second) nor push useful entries out."""
    settings: Settings = request.app.state.settings
    fmt = chosen_format(request, offered)
    service = sparql_service(request)
    job = query if isinstance(query, Job) else Job(query, None, "ntriples", settings.max_results)
    build = service.current_build()
    headers = document_headers(request, fmt, offered, keep)
    if_none_match = request.headers.get("if-none-match")
    # The rendered answer depends on the build, the query, the format and the parameters
    # ``render`` reads.
    params = tuple(sorted((k, v) for k, v in request.query_params.multi_items() if k in keep))
    key = ("rendered", build, job, fmt.name, params)
    if build is not None:
        headers["ETag"] = f'W/"{hashlib.sha256(repr(key).encode()).hexdigest()[:32]}"'
        headers["Cache-Control"] = "no-cache"
        # A 304 before the query only where the document always exists: an ETag is
        # computable by anyone (build, query and format are public), so it may not answer
        # for a thing that is not there; nor may "*" before the query has run.
        if empty is None and etag_matches(if_none_match, headers["ETag"], star=False):
            return Response(status_code=304, headers=headers)
    rendered = service.cache.get(key) if build is not None and service.cache else None
    if rendered is None:
        outcome, _cached = await service.run_cached(job, settings.query_timeout_s, build,
                                                    client_of(request))
        if empty is not None and not outcome.body.strip():
            raise empty
        # Parsing and re-serializing is Python work (JSON-LD of the largest thing: about 1 s):
        # off the event loop, and kept per build like the answers themselves.
        body = await asyncio.to_thread(render, fmt, outcome.body)
        rendered = Outcome("ok", body, fmt.media_type, outcome.truncated, build=outcome.build)
        if build is not None and outcome.build == build and service.cache is not None:
            service.cache.put(key, rendered)
    if "ETag" in headers and etag_matches(if_none_match, headers["ETag"]):
        return Response(status_code=304, headers=headers)  # it exists, and has not changed
    if rendered.truncated:
        headers[TRUNCATED_HEADER] = "true"
    return document_response(request, fmt, rendered.body, headers)


def document_headers(request: Request, fmt: formats.Format, offered: tuple[formats.Format, ...],
                     keep: tuple[str, ...] = ()) -> dict[str, str]:
    """CORS, ``Vary: Accept``, a ``Link`` to each other format of ``offered`` (with the
    parameters of ``keep``) and, where there are others, ``Content-Location``."""
    headers: dict[str, str] = {**CORS_HEADERS, "Vary": "Accept"}
    alternates = ", ".join(f'<{format_link(request, f.name, keep)}>; rel="alternate"; {_link_type(f)}'
                           for f in offered if f is not fmt)
    if alternates:
        headers["Link"] = alternates
        # The document this answer is, apart from the thing it may describe (decision 0008).
        headers["Content-Location"] = format_link(request, fmt.name, keep)
    return headers


def _link_type(fmt: formats.Format) -> str:
    """The ``type`` of a Link to ``fmt``; a media type's profile goes in a ``profile``
    attribute of its own (as W3C's Content Negotiation by Profile does), so that the type
    stays a bare media type and no quotes nest."""
    kind, subtype, params = formats.offered_parts(fmt.media_type)
    extra = "".join(f'; {name}="{value}"' for name, value in params.items())
    return f'type="{kind}/{subtype}"{extra}'


def document_response(request: Request, fmt: formats.Format, body: bytes,
                      headers: dict[str, str]) -> Response:
    """``body`` in ``fmt`` with ``headers``; for ``HEAD``, the headers alone."""
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(body))
        return Response(None, media_type=_content_type(fmt), headers=headers)
    return Response(body, media_type=_content_type(fmt), headers=headers)


async def known_kinds(request: Request, base: str) -> list[str]:
    """The kinds of labelled things under ``/id/`` (one cached query per build); empty when
    the workers cannot say, so that a search is never refused for want of the list."""
    query = f"""PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?kind WHERE {{
  ?s skos:prefLabel ?label .
  FILTER(isIRI(?s) && STRSTARTS(STR(?s), {json.dumps(base + "id/")}))
  BIND(STRBEFORE(SUBSTR(STR(?s), {len(base) + 4}), "/") AS ?kind)
  FILTER(?kind != "")
}}"""
    settings: Settings = request.app.state.settings
    service = sparql_service(request)
    try:
        outcome, _cached = await service.run_cached(
            Job(query, "json", None, settings.max_results), settings.query_timeout_s,
            service.current_build())
    except Problem:  # timed out, pool busy, store unreachable: the run raises, never returns
        return []
    rows = json.loads(outcome.body)["results"]["bindings"]
    return sorted(row["kind"]["value"] for row in rows)
