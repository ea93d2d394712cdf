"""Bare ASGI apps for ``design_probe.py``: the fastest a Python endpoint could be.

They are *not* endpoints: no safety scan, no negotiation, no time limit, no
size caps. Each answers a form-POSTed query from the published build with
pyoxigraph's own serializers, either on the event-loop thread (``inline``) or
in the default thread pool (``thread``). ``design_probe.py`` measures them
against raw Oxigraph to show how much of the gap between the endpoint and
Oxigraph any Python design over the same engine would keep.

Served by ``uvicorn bench.probe_apps:inline`` (or ``:thread``) with
``HKKG_PROBE_STORE`` naming the build directory.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any
from urllib.parse import parse_qsl

import pyoxigraph as ox

JSON = b"application/sparql-results+json"
NTRIPLES = b"application/n-triples"
_store: ox.Store | None = None


def _answer(query: str) -> tuple[bytes, bytes]:
    global _store
    if _store is None:
        _store = ox.Store.read_only(os.environ["HKKG_PROBE_STORE"])
    result = _store.query(query, use_default_graph_as_union=True)
    if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
        body = result.serialize(format=ox.QueryResultsFormat.JSON)
        media_type = JSON
    else:
        body = result.serialize(format=ox.RdfFormat.N_TRIPLES)
        media_type = NTRIPLES
    assert body is not None
    return body, media_type


async def _read_query(receive: Any) -> str:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return dict(parse_qsl(body.decode()))["query"]


async def _send(send: Any, body: bytes, media_type: bytes) -> None:
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", media_type)]})
    await send({"type": "http.response.body", "body": body})


async def inline(scope: Any, receive: Any, send: Any) -> None:
    """Run the query on the event-loop thread (blocks every other request of the process)."""
    if scope["type"] == "http":
        await _send(send, *_answer(await _read_query(receive)))


async def thread(scope: Any, receive: Any, send: Any) -> None:
    """Run the query in a thread (pyoxigraph releases the GIL; nothing can stop it)."""
    if scope["type"] == "http":
        query = await _read_query(receive)
        await _send(send, *await asyncio.get_running_loop().run_in_executor(None, _answer, query))
