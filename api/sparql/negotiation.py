"""Choose a response format from ``format=`` or the Accept header.

Accept parsing and q-value matching is python-mimeparse's; this module only
decides the candidate lists (server preference: JSON for results, Turtle for
graphs) and what ``format=`` may name. ``format=`` wins over Accept because a
browser link or a download button cannot set headers.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import mimeparse

from api.problems import shown
from api.sparql.formats import (
    ALL_FORMATS,
    GRAPH_FORMATS,
    RESULT_FORMATS,
    Format,
    MediaType,
    by_name,
    offered_parts,
)


class NotAcceptableError(Exception):
    """Nothing offered fits; carries the offered media types for the 406 body."""

    def __init__(self, offered: list[str], asked: str):
        super().__init__(f"none of the offered types matches {shown(asked)!r}")
        self.offered = offered


def _candidates(formats: tuple[Format, ...]) -> dict[str, Format]:
    """Media type (and alias) -> format, in order of preference."""
    table: dict[str, Format] = {}
    for fmt in formats:
        table.setdefault(fmt.media_type, fmt)
    for fmt in formats:
        for alias in fmt.aliases:
            table.setdefault(alias, fmt)
    return table


def negotiate(formats: tuple[Format, ...], accept: str | None,
              format_params: Sequence[str] = ()) -> Format:
    """The best of ``formats`` (first = preferred) for this request.

    ``format_params`` are the values of ``format=`` / ``output=``; the first one
    naming one of ``formats`` wins (clients such as SPARQLWrapper send several,
    some empty or meant for the other kind of answer)."""
    offered = [f.media_type for f in formats]  # for a 406
    wanted = [v for v in format_params if v.strip()]
    if wanted:
        for value in wanted:
            fmt = by_name(value, formats)
            if fmt is not None:
                return fmt
        raise NotAcceptableError(offered, "format=" + ",".join(wanted))
    if not accept or not accept.strip():
        return formats[0]
    table, parsed, carried = _table(formats)
    # Media types are case-insensitive (RFC 9110, 8.3.1); the offered ones are lower case.
    accept = accept.lower()
    try:
        # Short values are cached; a long one (up to the 64 KiB header limit) is parsed
        # each time, so the cache holds at most 256 KiB.
        ranges = _ranges(accept) if len(accept) <= 1024 else _ranges.__wrapped__(accept)
    except (ValueError, IndexError):
        raise NotAcceptableError(offered, accept) from None
    best, best_q = None, 0.0
    for candidate in table:  # in order of preference: the first of equal quality wins
        q = _quality(parsed[candidate], ranges, carried)
        if q > best_q:
            best, best_q = candidate, q
    if best is None:
        raise NotAcceptableError(offered, accept)
    return table[best]


# Parsed once per distinct value: every /sparql request negotiates, and clients send the
# same few Accept headers. Read only.
@functools.lru_cache(maxsize=256)
def _ranges(accept: str) -> list[MediaType]:
    return [mimeparse.parse_media_range(r) for r in accept.split(",") if r.strip()]


@functools.lru_cache(maxsize=16)
def _table(formats: tuple[Format, ...]) -> tuple[dict[str, Format], dict[str, MediaType],
                                                 frozenset[tuple[str, str]]]:
    """For a fixed tuple of offered formats (every request offers one of a few): media type
    (and alias) -> format, each parsed, and the parameters they carry. Read only."""
    table = _candidates(formats)
    parsed = {candidate: offered_parts(candidate) for candidate in table}
    carried = frozenset(item for _t, _s, params in parsed.values() for item in params.items())
    return table, parsed, carried


def _quality(offered: MediaType, ranges: list[MediaType],
             carried: frozenset[tuple[str, str]]) -> float:
    """The q of the most specific range of ``ranges`` that matches ``offered`` (RFC 9110,
    12.5.1), 0 when none does. A range matches when its type and subtype match (or are
    ``*``) and it asks for no parameter the offered type lacks:
    ``application/ld+json;profile="...#expanded";q=0`` turns down the expanded form only,
    not plain JSON-LD (python-mimeparse's best_match let such a range match the plain type
    too, so "anything but expanded" got a 406). Only parameters some offered type carries
    (``carried``: JSON-LD's profiles) count; any other (``charset=utf-8``, a JSON-LD
    profile of the client's own) is ignored, as before, so such a client still gets the
    type it named instead of a 406."""
    kind, subtype, params = offered
    best_specificity, best_q = -1, 0.0
    for r_kind, r_subtype, r_params in ranges:
        if r_kind not in (kind, "*") or r_subtype not in (subtype, "*"):
            continue
        wanted = [(k, v) for k, v in r_params.items() if k != "q" and (k, v) in carried]
        if any(params.get(k) != v for k, v in wanted):
            continue
        specificity = (r_kind != "*") * 100 + (r_subtype != "*") * 10 + len(wanted)
        if specificity > best_specificity:
            best_specificity, best_q = specificity, float(r_params["q"])
    return best_q


def negotiate_query(form: str | None, accept: str | None,
                    format_params: Sequence[str] = ()) -> tuple[Format | None, Format | None]:
    """Formats for a query of ``form`` (None = not known yet): (results, graph).

    Raises NotAcceptableError when the form is known and nothing fits, or when
    the form is unknown and neither kind fits."""
    if form in ("SELECT", "ASK"):
        return negotiate(RESULT_FORMATS, accept, format_params), None
    if form in ("CONSTRUCT", "DESCRIBE"):
        return None, negotiate(GRAPH_FORMATS, accept, format_params)
    results = graph = None
    try:
        results = negotiate(RESULT_FORMATS, accept, format_params)
    except NotAcceptableError:
        pass
    try:
        graph = negotiate(GRAPH_FORMATS, accept, format_params)
    except NotAcceptableError:
        pass
    if results is None and graph is None:
        raise NotAcceptableError([f.media_type for f in ALL_FORMATS],
                                 accept or ",".join(format_params))
    return results, graph
