"""A request that offers ``Upgrade: h2c`` (every JDK ``HttpClient`` does, on the first
request of a connection) keeps its body: uvicorn's httptools protocol alone would hand
``/sparql`` an empty query (``api/http_protocol.py``). Raw sockets, so the bytes and
their packets are exactly the ones a Java client sends."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from http.client import HTTPResponse
from urllib.parse import urlsplit

import pytest
from conftest import running_server

from graph.settings import Settings

QUERY = b"SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
H2C = (b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
       b"HTTP2-Settings: AAEAAEAAAAIAAAAAAAMAAAAAAAQBAAAAAAUAAEAAAAYABgAA\r\n")


@pytest.fixture(scope="module")
def address(sparql_settings: Settings) -> Iterator[tuple[str, int]]:
    with running_server(sparql_settings) as url:
        parts = urlsplit(url)
        assert parts.hostname and parts.port
        yield parts.hostname, parts.port


def _head(upgrade: bool, body: bytes = QUERY) -> bytes:
    return (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n" + (H2C if upgrade else b"")
            + b"Accept: application/sparql-results+json\r\n"
            + b"Content-Type: application/sparql-query;charset=utf-8\r\n"
            + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")


def _answer(sock: socket.socket) -> tuple[int, bytes]:
    resp = HTTPResponse(sock)
    resp.begin()
    return resp.status, resp.read()


def _count(body: bytes) -> int:
    return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])


def _expected(address: tuple[str, int]) -> int:
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(_head(upgrade=False) + QUERY)
        status, body = _answer(sock)
    assert status == 200, body
    return _count(body)


def test_body_in_the_same_packet(address: tuple[str, int]) -> None:
    expected = _expected(address)
    assert expected > 0
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(_head(upgrade=True) + QUERY)
        status, body = _answer(sock)
        assert status == 200, body
        assert _count(body) == expected
        # The connection stays usable for the next request (now served by h11).
        sock.sendall(_head(upgrade=False) + QUERY)
        status, body = _answer(sock)
        assert status == 200 and _count(body) == expected


def test_body_in_a_later_packet(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=10) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(_head(upgrade=True))
        time.sleep(0.3)  # the server has parsed the headers alone by now
        sock.sendall(QUERY)
        status, body = _answer(sock)
    assert status == 200, body
    assert _count(body) == _expected(address)


def test_offer_on_a_later_request_is_refused_not_run_empty(address: tuple[str, int]) -> None:
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(_head(upgrade=False) + QUERY)
        assert _answer(sock)[0] == 200
        sock.sendall(_head(upgrade=True) + QUERY)
        status, body = _answer(sock)
    assert status == 400
    assert b"Upgrade" in body and b"malformed" not in body


def _raw(address: tuple[str, int], request: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(request)
        resp = HTTPResponse(sock)
        resp.begin()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()


def test_a_url_too_long_to_parse_gets_a_problem_414(address: tuple[str, int]) -> None:
    """httptools cannot read a URL over 65,535 bytes; uvicorn alone answers plain text."""
    status, headers, body = _raw(address, b"GET /sparql?query=" + b"a" * 70_000
                                 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert status == 414
    assert headers["content-type"] == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == 414 and "POST" in problem["detail"]
    assert problem["title"] == "URI Too Long"  # RFC 9110's phrase, not RFC 7231's


def test_a_malformed_request_gets_a_problem_400(address: tuple[str, int]) -> None:
    status, headers, body = _raw(address, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 b"Bad Header Name: x\r\n\r\n")
    assert status == 400
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["type"].endswith("/malformed-request")


def test_a_long_url_the_parser_reads_is_answered_by_the_app(address: tuple[str, int]) -> None:
    """Just under the limit: a 404 problem that does not echo the 60 KB path back."""
    status, headers, body = _raw(address, b"GET /id/" + b"a" * 60_000
                                 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert status == 404
    assert headers["content-type"] == "application/problem+json"
    assert len(body) < 2_000


@pytest.mark.parametrize("extra", [
    b"Accept: " + b"text/x-a, " * 8_000 + b"*/*\r\n",  # one 80 KB field
    b"".join(b"X-F-%d: v\r\n" % n for n in range(200)),  # 200 fields
    b"Accept: " + b"a" * 2_000_000 + b"\r\n",  # 2 MB: refused before the parser buffers it all
])
def test_header_fields_too_large_get_a_problem_431(address: tuple[str, int], extra: bytes) -> None:
    """A 21 MB Accept header reached content negotiation and held the event loop for
    seconds; neither httptools nor uvicorn bounds header fields."""
    started = time.perf_counter()
    with socket.create_connection(address, timeout=10) as sock:
        try:
            sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before reading it all: read its answer
        resp = HTTPResponse(sock)
        resp.begin()
        status, headers, body = resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    assert status == 431
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["type"].endswith("/headers-too-large")
    assert time.perf_counter() - started < 10


def test_a_large_body_with_small_headers_is_not_refused(address: tuple[str, int]) -> None:
    """The head's byte count may include body bytes of the same read: a query body of
    several hundred KB in one write still reaches /sparql."""
    query = b"ASK {}" + b" " * 400_000
    status, _, body = _raw(address, b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           b"Content-Type: application/sparql-query\r\n"
                           b"Accept: application/sparql-results+json\r\n"
                           b"Content-Length: " + str(len(query)).encode() + b"\r\n\r\n" + query)
    # The app read the whole body: 400 KB is past the query length limit (20,000 characters)
    # and under the body cap (1 MB).
    assert status == 400, body
    assert json.loads(body)["type"].endswith("/query-too-long")
