"""The landing page and the live settings (with their descriptions)."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from graph.settings import Settings

router = APIRouter(tags=["meta"])


@router.get("/", response_class=HTMLResponse)
def index() -> str:
    """A plain page pointing at what the service offers."""
    links = [("/sparql", "SPARQL endpoint and query page"),
             ("/def", "Ontology documentation (Turtle, JSON-LD or N-Triples by Accept)"),
             ("/id/", "Every labelled thing of the graph, by kind (page, JSON or RDF)"),
             ("/search?q=iam+smart", "Things by name: every word in one of their labels, "
              "best match first (JSON, page or RDF; kind= and limit=)"),
             ("/id/platform/iam-smart", "A resource: everything the graph says about iAM "
              "Smart, as a page, Turtle, JSON-LD, N-Triples or RDF/XML (every /id/... IRI "
              "resolves here)"),
             ("/dump.trig", "The whole published graph with its named graphs, one download "
              "(TriG; /dump.nq for N-Quads)"),
             ("/validation", "SHACL report of the published build: plausibility warnings "
              "and uncertain claims, each linked to its page (JSON, page or RDF)"),
             ("/settings", "Live settings with descriptions (JSON)"),
             ("/healthz", "Health check"), ("/docs", "OpenAPI documentation")]
    items = "".join(f'<li><a href="{href}">{escape(href)}</a>: {escape(text)}</li>'
                    for href, text in links)
    return ("<!doctype html><html lang=en><meta charset=utf-8>"
            "<title>HK Smart City Knowledge Graph</title>"
            "<h1>HK Smart City Knowledge Graph</h1>"
            "<p>Hong Kong's digital-government and smart-city documents as a linked, "
            "validated, queryable graph.</p>"
            '<form action="/search" method="get"><input name="q" required maxlength="200" '
            'placeholder="a name: iAM Smart, CDEG, InnoEX ..." aria-label="find by name" '
            'size="40"> <button>Find</button></form>'
            f"<ul>{items}</ul></html>")


@router.get("/.well-known/void", include_in_schema=False)
def well_known_void() -> RedirectResponse:
    """RFC 8615's place for a dataset's VoID description: the dataset's own resource."""
    return RedirectResponse("/id/dataset", status_code=303)


@router.get("/settings")
def settings_json(request: Request) -> dict[str, dict[str, Any]]:
    """Every setting: its live value, default, environment variable and description."""
    settings: Settings = request.app.state.settings
    out: dict[str, dict[str, Any]] = {}
    for name, field in Settings.model_fields.items():
        value = _public(getattr(settings, name))
        default = _public(field.default)
        out[name] = {
            "value": str(value) if value is not None and not isinstance(value, int | float | bool)
            else value,
            "default": None if default is None else str(default)
            if not isinstance(default, int | float | bool) else default,
            "env": f"HKKG_{name.upper()}",
            "description": field.description,
        }
    return out


HIDDEN_PATH = "(a folder on the server: not shown)"


def _public(value: Any) -> Any:
    """What a setting's value may show to anyone: no password of a URL, and no absolute
    path of the server's file system (which tells an attacker its layout)."""
    if isinstance(value, Path) and value.is_absolute():
        return HIDDEN_PATH
    return _without_password(value)


def _without_password(value: Any) -> Any:
    """A URL's password is a secret too (``http://user:secret@host/...``)."""
    if isinstance(value, str) and "://" in value:
        parts = urlsplit(value)
        if parts.password is not None:
            host = parts.netloc.rsplit("@", 1)[1]
            return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
    return value
