"""Look at a query before it runs: its form, and whether it may run at all.

The engine (pyoxigraph) would happily follow ``SERVICE`` to any host, so
federation is refused here, before any worker sees the query. The check works
on SPARQL *tokens*, not on raw text: ``SERVICE`` inside a string, an IRI, a
comment, a variable (``?service``) or a prefixed name (``schema:Service``) is
data, while the keyword in any letter case is refused. Update operations
(``INSERT``, ``LOAD``, ``CLEAR`` ...) are recognised the same way, so they get
a clear "read-only" answer instead of a parser error.

The scan also tells whether the query has its own dataset clause (``FROM`` /
``FROM NAMED``): without one the default graph is the union of the named
graphs, with one the query's dataset is respected (the graphs are looked up
in the store by name; nothing is ever fetched).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, cast

QueryForm = Literal["SELECT", "CONSTRUCT", "DESCRIBE", "ASK"]

QUERY_FORMS: frozenset[str] = frozenset({"SELECT", "CONSTRUCT", "DESCRIBE", "ASK"})
# Functions whose answer changes from one run to the next: such queries are not cached.
VOLATILE_FUNCTIONS: frozenset[str] = frozenset({"RAND", "NOW", "UUID", "STRUUID", "BNODE"})
UPDATE_KEYWORDS: frozenset[str] = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)

# How a query's \uXXXX and \UXXXXXXXX escapes are read differs between engines. SPARQL
# 1.1 (section 19.2) has them decoded before parsing, so an escape can spell a keyword or
# close a string; Oxigraph decodes them inside strings and IRIs only, so "a\u0022" is one
# string to it. The scan reads the query both ways and refuses what either reading finds:
# a check that read it one way only let a SERVICE through to the engine that reads it the
# other way.
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

# Tokens of SPARQL, enough to tell keywords from data. Every repetition is possessive and
# a name is consumed whole, so the scan is linear in the query's length: with backtracking
# a 20 KB query such as "._._._..." kept the event loop busy for seconds.
_PN_CHARS = r"\w\-\u00B7\u0300-\u036F\u203F-\u2040"
_TOKEN = re.compile(
    r"""
      (?P<ws>\s++)
    | (?P<comment>\#[^\r\n]*+)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*+\"\"\"
                | '''(?:[^'\\]|\\.|'(?!''))*+'''
                | "(?:[^"\\\r\n]|\\.)*+"
                | '(?:[^'\\\r\n]|\\.)*+')
    | (?P<unterminated>["'])
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*+>)
    | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]*+)
    | (?P<pname>(?:[^\W\d][PN_CHARS.]*+)?:(?:[PN_CHARS.:%]|\\.)*+)
    | (?P<name>[^\W\d][PN_CHARS.]*+)
    | (?P<open>[({\[])
    | (?P<close>[)}\]])
    | (?P<other>.)
    """.replace("PN_CHARS", _PN_CHARS),
    re.VERBOSE | re.DOTALL,
)
# A name that is not a prefixed name is read by the engine as words and punctuation
# ("x.SERVICE" is x . SERVICE).
_WORD = re.compile(r"[^\W\d]\w*")
# Deeper nesting of ( { [ than this is refused before it reaches the engine, whose parser
# recurses: a few thousand levels overflowed its stack and crashed the worker (a 500).
MAX_NESTING = 256


class QueryRefusedError(Exception):
    """The query must not run; ``status`` and ``kind`` say how to answer."""

    status: int = 400
    kind: str = "query-refused"


class UpdateRefusedError(QueryRefusedError):
    status = 403
    kind = "read-only"


class MalformedQueryError(QueryRefusedError):
    status = 400
    kind = "malformed-query"


class ServiceRefusedError(QueryRefusedError):
    status = 400
    kind = "federation-refused"


@dataclass(frozen=True)
class QueryInfo:
    """What the scan found; ``form`` is None when no query keyword was seen."""

    form: QueryForm | None
    has_dataset_clause: bool
    deterministic: bool = True


def _decoded(query: str) -> str:
    """``query`` with its codepoint escapes decoded (one that names no character stays)."""
    def char(m: re.Match[str]) -> str:
        code = int(m.group(1) or m.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else m.group()
    return _CODEPOINT.sub(char, query)


def _scan(text: str, strict: bool) -> list[str]:
    """The bare words of ``text`` (upper-cased), skipping strings, IRIs, comments,
    variables and prefixed names.

    ``strict`` (the query as sent): a string that never closes, or nesting deeper than
    MAX_NESTING, is refused, since no engine can run the query. Otherwise (the query read
    with its escapes decoded) the scan stops at a string that never closes: an engine
    reading the query that way cannot parse it past there."""
    words: list[str] = []
    depth = 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "name":
            words += [w.upper() for w in _WORD.findall(match.group())]
        elif kind == "open":
            depth += 1
            if depth > MAX_NESTING and strict:
                raise MalformedQueryError(
                    f"the query nests brackets more than {MAX_NESTING} deep "
                    f"(at character {match.start() + 1})")
        elif kind == "close":
            depth -= 1
        elif kind == "unterminated":
            if strict:
                raise MalformedQueryError(
                    f"a string starting at character {match.start() + 1} is never closed")
            break
    return words


def keywords(query: str) -> list[str]:
    """The bare words of ``query`` (upper-cased) read as the engine reads it, then those
    only a reading with its escapes decoded first finds."""
    words = _scan(query, strict=True)
    if "\\" in query:
        decoded = _decoded(query)
        if decoded != query:
            words += _scan(decoded, strict=False)
    return words


def analyse(query: str) -> QueryInfo:
    """Scan ``query``; raise UpdateRefusedError or ServiceRefusedError when it must not run."""
    words = keywords(query)
    updates = sorted(UPDATE_KEYWORDS.intersection(words))
    if updates:
        raise UpdateRefusedError(
            f"this endpoint is read-only: update operations ({', '.join(updates)}) "
            "are not accepted"
        )
    if "SERVICE" in words:
        raise ServiceRefusedError(
            "federated queries (SERVICE) are not accepted: this endpoint never "
            "contacts other services"
        )
    form = next((w for w in words if w in QUERY_FORMS), None)
    return QueryInfo(form=cast(QueryForm | None, form), has_dataset_clause="FROM" in words,
                     deterministic=VOLATILE_FUNCTIONS.isdisjoint(words))
