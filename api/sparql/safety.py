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

# \uXXXX and \UXXXXXXXX escapes may appear anywhere in a SPARQL query (SPARQL 1.1
# section 19.2); decode them first so an escaped keyword cannot slip through.
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

_PN_CHARS = r"\w\-\u00B7\u0300-\u036F\u203F-\u2040"
_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>\#[^\r\n]*)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
                | '''(?:[^'\\]|\\.|'(?!''))*'''
                | "(?:[^"\\\r\n]|\\.)*"
                | '(?:[^'\\\r\n]|\\.)*')
    | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
    | (?P<var>[?$][\w\u00B7\u0300-\u036F\u203F-\u2040]*)
    | (?P<pname>(?:[^\W\d][PN_CHARS.]*)?:(?:[PN_CHARS.:%]|\\.)*)
    | (?P<word>[^\W\d]\w*)
    | (?P<other>.)
    """.replace("PN_CHARS", _PN_CHARS),
    re.VERBOSE | re.DOTALL,
)


class QueryRefusedError(Exception):
    """The query must not run; ``status`` and ``kind`` say how to answer."""

    status: int = 400
    kind: str = "query-refused"


class UpdateRefusedError(QueryRefusedError):
    status = 403
    kind = "read-only"


class ServiceRefusedError(QueryRefusedError):
    status = 400
    kind = "federation-refused"


@dataclass(frozen=True)
class QueryInfo:
    """What the scan found; ``form`` is None when no query keyword was seen."""

    form: QueryForm | None
    has_dataset_clause: bool
    deterministic: bool = True


def keywords(query: str) -> list[str]:
    """The bare words of ``query`` (upper-cased), skipping strings, IRIs, comments,
    variables and prefixed names."""
    text = _CODEPOINT.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)), query)
    words = []
    for match in _TOKEN.finditer(text):
        if match.lastgroup == "word":
            words.append(match.group().upper())
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
