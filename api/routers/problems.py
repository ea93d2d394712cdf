"""/problems/{kind}: the documentation each problem document's ``type`` IRI points to."""

from __future__ import annotations

import html
import json
from dataclasses import asdict

from fastapi import APIRouter, Request, Response

from api.problem_types import PROBLEM_TYPES, ProblemType
from api.problems import PROBLEM_TYPE_BASE, Problem
from api.resources.document import HTML, JSON, negotiated, preflight
from api.routers.sparql import CORS_HEADERS

router = APIRouter(tags=["problems"])

# People follow a type IRI from an error they read; programs ask for JSON.
FORMATS = (HTML, JSON)
_HEADERS = {**CORS_HEADERS, "Vary": "Accept", "Cache-Control": "public, max-age=86400"}


def _statuses(entry: ProblemType) -> str:
    return ", ".join(str(s) for s in entry.statuses)


def _page(title: str, body: str) -> bytes:
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}'
            f"</title></head><body><main>{body}</main></body></html>\n").encode()


def _answer(request: Request, data: object, page: bytes) -> Response:
    fmt = negotiated(request, FORMATS)
    if fmt is JSON:
        return Response(json.dumps(data, indent=2).encode("utf-8"), media_type="application/json",
                        headers=_HEADERS)
    return Response(page, media_type="text/html; charset=utf-8", headers=_HEADERS)


@router.get("/problems/", response_model=None, summary="Every kind of problem the API answers with")
@router.head("/problems/", response_model=None, include_in_schema=False)
def problem_types(request: Request) -> Response:
    data = {PROBLEM_TYPE_BASE + kind: {"kind": kind, **asdict(t)} for kind, t in PROBLEM_TYPES.items()}
    rows = "".join(f'<li><a href="/problems/{k}">{html.escape(t.title)}</a> ({_statuses(t)}): '
                   f"{html.escape(t.description)}</li>" for k, t in PROBLEM_TYPES.items())
    return _answer(request, data, _page("Problem types", f"<h1>Problem types</h1><ul>{rows}</ul>"))


@router.get("/problems/{kind}", response_model=None, summary="What one kind of problem means")
@router.head("/problems/{kind}", response_model=None, include_in_schema=False)
def problem_type(kind: str, request: Request) -> Response:
    entry = PROBLEM_TYPES.get(kind)
    if entry is None:
        raise Problem(404, f"no problem type {kind[:100]!r}; see /problems/", kind="not-found")
    data = {"type": PROBLEM_TYPE_BASE + kind, **asdict(entry)}
    page = _page(entry.title, f"<h1>{html.escape(entry.title)}</h1><p>HTTP status {_statuses(entry)}</p>"
                 f"<p>{html.escape(entry.description)}</p>"
                 '<p><a href="/problems/">All problem types</a></p>')
    return _answer(request, data, page)


@router.options("/problems/{kind}", include_in_schema=False)
@router.options("/problems/", include_in_schema=False)
async def options(request: Request) -> Response:
    return preflight(request)
