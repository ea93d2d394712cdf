"""/dump: the whole published graph in one download, with its named graphs.

Researchers who want to work offline, load the graph into their own store, or keep the
exact build they cite, should not have to page through SPARQL. ``/dump`` (by ``Accept`` or
``format=``), ``/dump.trig`` and ``/dump.nq`` serve every named graph of the published
build (records, sources, tables, mentions, ontology, metadata, the SHACL report ...) as
TriG or N-Quads, named after the build (``Content-Disposition``), with a per-build ETag.

The quads are read with one SELECT in the SPARQL workers, like every answer of this API,
so the dump works the same over the embedded and a remote store and keeps the time limit.
``HKKG_MAX_RESULTS`` does not apply: the dump is the published graph, whose size the build
bounds, not the answer to a user's query. The answer goes through ``respond()``, like the
resources: negotiation, ETag, HEAD, CORS, rendering off the event loop, per-build cache.
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request, Response

from api.resources.document import chosen_format, preflight, respond, sparql_service
from api.sparql import formats
from api.sparql.workers import Job
from graph.namespaces import WRITE_PREFIXES

router = APIRouter(tags=["dump"])

TRIG, NQUADS = (f for f in formats.GRAPH_FORMATS if f.name in ("trig", "nquads"))
DUMP_FORMATS: tuple[formats.Format, ...] = (TRIG, NQUADS)
_OX = {"trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS}
QUADS_QUERY = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
NO_LIMIT = 1 << 40  # the whole build: its size is bounded by the build, not by a setting


def quads_body(fmt: formats.Format, tsv: bytes) -> bytes:
    """The rows of QUADS_QUERY (TSV) as a TriG or N-Quads document."""
    solutions = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    assert isinstance(solutions, ox.QuerySolutions)
    quads = [ox.Quad(row["s"], row["p"], row["o"], row["g"]) for row in solutions]
    data = ox.serialize(quads, format=_OX[fmt.name],
                        prefixes=WRITE_PREFIXES if fmt is TRIG else None)
    assert data is not None
    return data


async def _dump(request: Request, offered: tuple[formats.Format, ...]) -> Response:
    fmt = chosen_format(request, offered)  # for the file name; respond() chooses the same
    job = Job(QUADS_QUERY, "tsv", None, NO_LIMIT, union_default_graph=False)
    response = await respond(request, job, offered, quads_body)
    build = sparql_service(request).current_build()
    if build is not None:
        response.headers["Content-Disposition"] = (
            f'attachment; filename="hk-smartcity-kg-{build}.{fmt.extension}"')
    return response


@router.get("/dump", response_model=None, summary="The whole published graph (TriG or N-Quads)")
@router.head("/dump", response_model=None, include_in_schema=False)
async def dump(request: Request) -> Response:
    """Every named graph of the published build; TriG unless ``Accept`` or ``format=``
    asks for N-Quads (406 otherwise)."""
    return await _dump(request, DUMP_FORMATS)


@router.get("/dump.trig", response_model=None, summary="The whole published graph as TriG")
@router.head("/dump.trig", response_model=None, include_in_schema=False)
async def dump_trig(request: Request) -> Response:
    return await _dump(request, (TRIG,))


@router.get("/dump.nq", response_model=None, summary="The whole published graph as N-Quads")
@router.head("/dump.nq", response_model=None, include_in_schema=False)
async def dump_nquads(request: Request) -> Response:
    return await _dump(request, (NQUADS,))


@router.options("/dump", include_in_schema=False)
@router.options("/dump.trig", include_in_schema=False)
@router.options("/dump.nq", include_in_schema=False)
async def options(request: Request) -> Response:
    return preflight(request)
