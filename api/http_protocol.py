"""uvicorn's httptools protocol, except that a request offering ``Upgrade: h2c`` keeps its body.

Every JDK ``HttpClient`` (and so Apache Jena's ``rsparql``, RDF4J and other Java SPARQL
clients) offers a cleartext HTTP/2 upgrade on the first request of a connection:
``Connection: Upgrade, HTTP2-Settings`` and ``Upgrade: h2c``. RFC 9110 (7.8) lets a server
ignore the offer and answer in HTTP/1.1. uvicorn's httptools protocol ignores it but
loses the request's body (uvicorn issue 2722, open in uvicorn 0.54): llhttp stops at the
end of the headers, and the application gets an empty body. A SPARQL query sent by POST
then reached ``/sparql`` as an empty query and was refused as malformed.

uvicorn's pure-Python h11 protocol handles such a request correctly, but costs about
0.12 ms more per request on every connection (measured on the development machine with
``bench/sparql_vs_oxigraph.py``'s client). So connections stay on httptools, and only a
connection whose request asks for an upgrade other than WebSocket is handed to h11,
which parses that request again from its first byte and serves the connection from then
on. The bytes of a connection are kept only until the headers of its first request have
been read: that is where clients make the offer. A later request on the same connection that makes it
gets a 400 that says why, instead of running with its body missing.

Requests the parsers refuse before the application sees them get a problem document like
every other error of the API (``application/problem+json``), not uvicorn's plain text:
a URL longer than httptools can read (65,535 bytes) gets 414, other malformed requests 400.

Header fields are bounded too, which neither httptools nor uvicorn does: more than
MAX_HEADER_BYTES of them, or more than MAX_HEADERS fields, get 431. A 21 MB ``Accept``
header used to reach content negotiation, which held the event loop for seconds.
"""

from __future__ import annotations

import json
from typing import Any

import httptools
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.problems import PROBLEM_TYPE_BASE, status_title

IMPORT_STRING = "api.http_protocol:UpgradeTolerantHttpToolsProtocol"

# httptools.parse_url (http_parser_url, 16-bit offsets) cannot read a longer URL.
MAX_URL_BYTES = 65_535
# Header fields of one request, names and values together; and how many fields.
MAX_HEADER_BYTES = 65_536
MAX_HEADERS = 128
# Bytes read while a request's head is incomplete: bounds what the parser buffers for one
# header before it hands it over (a read holds at most a few hundred KB, so a head under
# MAX_HEADER_BYTES never comes near this even when its body arrives in the same read).
MAX_HEAD_READ_BYTES = 1_048_576


def problem_bytes(status: int, kind: str, detail: str,
                  default_headers: list[tuple[bytes, bytes]]) -> bytes:
    """A whole HTTP/1.1 response carrying a problem document; the connection is closed."""
    body = json.dumps({"type": PROBLEM_TYPE_BASE + kind, "title": status_title(status),
                       "status": status, "detail": detail}).encode("utf-8")
    head = [f"HTTP/1.1 {status} {status_title(status)}\r\n".encode("ascii")]
    head += [name + b": " + value + b"\r\n" for name, value in default_headers]
    head.append(b"content-type: application/problem+json\r\n"
                b"access-control-allow-origin: *\r\n"
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n"
                b"connection: close\r\n\r\n")
    return b"".join(head) + body


def _send_problem(protocol: Any, status: int, kind: str, detail: str) -> None:
    protocol.transport.write(problem_bytes(status, kind, detail,
                                           protocol.server_state.default_headers))
    protocol.transport.close()


class _UrlTooLongError(Exception):
    """Raised from the parser's URL callback to stop reading the request."""


class _HeadersTooLargeError(Exception):
    """Raised from the parser's header callback to stop reading the request."""


class _H11IgnoringUpgrades(H11Protocol):
    """h11, saying at debug level (not as two warnings, one of them advice to install a
    WebSocket library) that it answers an upgrade offer in HTTP/1.1."""

    def _unsupported_upgrade_warning(self) -> None:
        self.logger.debug("answering a request that offers an upgrade in HTTP/1.1")

    def send_400_response(self, msg: str) -> None:
        _send_problem(self, 400, "malformed-request", msg)


class UpgradeTolerantHttpToolsProtocol(HttpToolsProtocol):
    """httptools for every connection; h11 for one that offers a non-WebSocket upgrade."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # The connection's bytes until its first request's headers end (where an offer is
        # seen); None from then on.
        self._received: bytearray | None = bytearray()
        self._ignored_upgrade = False
        self._url_too_long = False
        self._headers_too_large = False
        self._in_head = True  # reading a request's head (until its headers are complete)
        self._head_bytes = 0  # header bytes of the current request
        self._head_read = 0  # bytes read while its head was incomplete

    def send_400_response(self, msg: str) -> None:
        _send_problem(self, 400, "malformed-request", msg)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_bytes, self._head_read = True, 0, 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4
        if self._head_bytes > MAX_HEADER_BYTES or len(self.headers) >= MAX_HEADERS:
            self._headers_too_large = True
            raise _HeadersTooLargeError  # httptools raises HttpParserCallbackError
        super().on_header(name, value)

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        if len(self.url) > MAX_URL_BYTES:
            self._url_too_long = True
            raise _UrlTooLongError  # httptools raises HttpParserCallbackError from feed_data

    def _offers_other_upgrade(self) -> bool:
        return bool(self.parser.should_upgrade()) and not self._should_upgrade()

    def on_headers_complete(self) -> None:
        self._in_head = False
        if self._offers_other_upgrade():
            # Run nothing yet: the body has not been read, and h11 will parse it all.
            self._ignored_upgrade = True
            return
        self._received = None
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head, self._head_read = True, 0  # the connection's next request
        if not self._ignored_upgrade:
            super().on_message_complete()

    def data_received(self, data: bytes) -> None:
        if self._received is not None:
            self._received += data
        if self._in_head:
            self._head_read += len(data)
            if self._head_read > MAX_HEAD_READ_BYTES:
                self._refuse_headers()
                return
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self._headers_too_large:
                self._refuse_headers()
                return
            if self._url_too_long:
                _send_problem(self, 414, "uri-too-long",
                              f"the URL is longer than {MAX_URL_BYTES} bytes; send a long SPARQL "
                              "query by POST (application/sparql-query)")
                return
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            elif self._received is not None:
                self._hand_to_h11(bytes(self._received))
            else:
                _send_problem(self, 400, "upgrade-not-supported",
                              "This server does not upgrade to another protocol. Send the request "
                              "without an Upgrade header, or make the offer on a new connection.")

    def _refuse_headers(self) -> None:
        _send_problem(self, 431, "headers-too-large",
                      f"the request's header fields are larger than {MAX_HEADER_BYTES} bytes "
                      f"or more than {MAX_HEADERS} fields")

    def _hand_to_h11(self, received: bytes) -> None:
        """Serve this connection with h11 from now on, starting with the bytes so far."""
        h11 = _H11IgnoringUpgrades(config=self.config, server_state=self.server_state,
                                   app_state=self.app_state, _loop=self.loop)
        transport = self.transport
        self.connections.discard(self)
        self._received = None
        transport.set_protocol(h11)
        h11.connection_made(transport)
        h11.data_received(received)
