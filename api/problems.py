"""The one error shape of the API: RFC 9457 ``application/problem+json``.

Every error response is produced here, so its shape is locked in one place
(and by tests/test_error_shape.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

PROBLEM_TYPE_BASE = "https://w3id.org/hk-smartcity/problems/"
# RFC 9110's reason phrases where Python's http.HTTPStatus still has RFC 7231's.
_TITLES = {413: "Content Too Large", 414: "URI Too Long"}


def status_title(status: int) -> str:
    """The problem's ``title``: the status's reason phrase (RFC 9110)."""
    return _TITLES.get(status) or HTTPStatus(status).phrase


class Problem(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.headers = headers or {}
        self.extra = extra

    def response(self, instance: str | None = None) -> JSONResponse:
        """This problem as an ``application/problem+json`` response."""
        return problem_response(self.status, self.detail, kind=self.kind, instance=instance,
                                headers=self.headers, **self.extra)


def problem_response(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + kind if kind else "about:blank",
        "title": status_title(status),
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    # Readable from any origin, like every answer of this public, read-only service: a
    # browser app must see why its request failed.
    all_headers = {"Access-Control-Allow-Origin": "*", **(headers or {})}
    if status == 406:
        all_headers.setdefault("Vary", "Accept")  # the answer depends on Accept: caches must know
    return JSONResponse(body, status_code=status, media_type="application/problem+json",
                        headers=all_headers)


# Longer request paths are not echoed back: a 60 KB path would be answered twice its size.
MAX_ECHOED_PATH = 1000


def instance_of(request: Request) -> str | None:
    """The request's path as the problem's ``instance``, unless it is too long to echo."""
    # The scope's path, not request.url: building the URL decodes the query string, which
    # fails on bytes that are not UTF-8 (the very request being answered with a problem).
    path: str = request.scope.get("path", "")
    return path if len(path) <= MAX_ECHOED_PATH else None


def shown(text: str, limit: int = 200) -> str:
    """``text`` for a message: cut to ``limit`` characters, saying so."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


# Starlette's own errors (no route, wrong method) as the API's documented kinds.
_STARLETTE_KINDS = {404: "not-found", 405: "method-not-allowed"}


def allowed_methods(request: Request) -> str:
    """Every method some route serves at this path, for a 405's ``Allow`` (RFC 9110
    15.5.6). Starlette names only the methods of the first route whose path matched, and
    GET, HEAD and OPTIONS are separate routes here, so it said ``Allow: HEAD``."""
    methods: set[str] = set()
    for route in _leaf_routes(request.app.router.routes):
        match, _child = route.matches(request.scope)
        if match != Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))


def _leaf_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """The routes of the app, those of included routers too (routers are included without
    a prefix here, so their routes' paths are the app's). FastAPI keeps an included router
    as one route of its own that holds the router (``original_router``)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _leaf_routes(inner.routes)
        else:
            yield route


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return exc.response(instance=instance_of(request))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return problem_response(exc.status_code, str(exc.detail),
                                kind=_STARLETTE_KINDS.get(exc.status_code),
                                instance=instance_of(request), headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(400, "invalid request parameters", kind="invalid-parameter",
                                instance=instance_of(request),
                                errors=[{"loc": list(e.get("loc", ())), "msg": e.get("msg")}
                                        for e in exc.errors()])
