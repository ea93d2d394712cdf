"""Result formats of the endpoint and the serializers that write them.

SELECT answers are written by pyoxigraph's own (Rust) serializer whenever the
answer provably holds at most ``max_results`` rows: the bound is read off the
serialized bytes (see ``row_upper_bound``), and the writer is stopped at
``FAST_PATH_MAX_BYTES`` so an endless answer cannot fill memory. pyoxigraph
can only serialize a whole, unread result iterator, so an answer that may be
longer is run again and cut here, by the Python writers below (the four
formats are small W3C specifications: SPARQL 1.1 Query Results JSON, XML, CSV
and TSV), which also mark the answer as truncated. Graph answers
(CONSTRUCT/DESCRIBE) are cut with ``islice`` and written by
``pyoxigraph.serialize``.

This module is imported by the worker processes: it must stay light
(pyoxigraph and the standard library only).
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from xml.sax.saxutils import escape, quoteattr

import mimeparse
import pyoxigraph as ox

Kind = Literal["results", "graph"]


@dataclass(frozen=True)
class Format:
    """One offered format: the name used in ``format=``, its media type and kind."""

    name: str
    media_type: str
    kind: Kind
    extension: str
    aliases: tuple[str, ...] = ()


RESULT_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "results", "srj", ("application/json",)),
    Format("xml", "application/sparql-results+xml", "results", "srx",
           ("application/xml", "text/xml")),
    Format("csv", "text/csv", "results", "csv"),
    Format("tsv", "text/tab-separated-values", "results", "tsv"),
)
GRAPH_FORMATS: tuple[Format, ...] = (
    Format("turtle", "text/turtle", "graph", "ttl", ("application/x-turtle",)),
    Format("ntriples", "application/n-triples", "graph", "nt", ("text/plain",)),
    Format("jsonld", "application/ld+json", "graph", "jsonld", ("application/json",)),
    Format("rdfxml", "application/rdf+xml", "graph", "rdf", ("application/xml", "text/xml")),
    Format("trig", "application/trig", "graph", "trig"),
    Format("nquads", "application/n-quads", "graph", "nq"),
)
ALL_FORMATS: tuple[Format, ...] = RESULT_FORMATS + GRAPH_FORMATS

# Extra short names accepted by format=.
FORMAT_SYNONYMS: dict[str, str] = {
    "srj": "json", "srx": "xml", "ttl": "turtle", "nt": "ntriples", "n-triples": "ntriples",
    "json-ld": "jsonld", "rdf": "rdfxml", "rdf+xml": "rdfxml", "nq": "nquads",
    "n-quads": "nquads",
}

_RDF_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
}

CHARSET_TYPES = frozenset({"text/csv", "text/tab-separated-values", "text/turtle",
                           "application/n-triples", "application/trig", "application/n-quads"})


def content_type(fmt: Format) -> str:
    """The Content-Type header value for ``fmt``."""
    return f"{fmt.media_type}; charset=utf-8" if fmt.media_type in CHARSET_TYPES \
        else fmt.media_type


# Short names that mean a graph format when the answer is a graph
# (SPARQLWrapper sends format=xml / format=json for CONSTRUCT).
GRAPH_SHORT_NAMES: dict[str, str] = {"xml": "rdfxml", "json": "jsonld", "n3": "turtle"}


MediaType = tuple[str, str, dict[str, str]]


def media_type_parts(media_type: str) -> MediaType | None:
    """Type, subtype and parameters (but q) of ``media_type``, lower case; None when it
    cannot be read."""
    try:
        kind, subtype, params = mimeparse.parse_mime_type(media_type.lower())
    except ValueError:
        return None
    return kind, subtype, {k: v for k, v in params.items() if k != "q"}


@functools.lru_cache(maxsize=64)
def offered_parts(media_type: str) -> MediaType:
    """``media_type_parts`` of an offered (fixed, well-formed) media type, parsed once.
    Read only."""
    parts = media_type_parts(media_type)
    assert parts is not None, media_type
    return parts


def by_name(name: str, among: tuple[Format, ...] = ALL_FORMATS) -> Format | None:
    """The format of ``among`` called ``name`` (short name, synonym, media type or alias)."""
    if ";" in name:
        # A whole media type with parameters names the format that carries them
        # (JSON-LD's expanded profile); otherwise its parameters are ignored below.
        whole = media_type_parts(name)
        for fmt in among:
            if whole is not None and whole[2] and offered_parts(fmt.media_type) == whole:
                return fmt
    key = name.split(";")[0].strip().lower()
    key = FORMAT_SYNONYMS.get(key, key)
    for fmt in among:
        if key in (fmt.name, fmt.media_type):
            return fmt
    for fmt in among:
        if key in fmt.aliases or GRAPH_SHORT_NAMES.get(key) == fmt.name and fmt.kind == "graph":
            return fmt
    return None


# ---------------------------------------------------------------- SELECT / ASK

Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def _json_term(term: Term) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    return {"type": "triple", "value": {
        "subject": _json_term(term.subject),
        "predicate": _json_term(term.predicate),
        "object": _json_term(term.object),
    }}


def _xml_term(term: Term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            return (f"<literal datatype={quoteattr(term.datatype.value)}>"
                    f"{escape(term.value)}</literal>")
        return f"<literal>{escape(term.value)}</literal>"
    return (f"<triple><subject>{_xml_term(term.subject)}</subject>"
            f"<predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>")


def _csv_cell(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        value = f"_:{term.value}"
    elif isinstance(term, ox.NamedNode | ox.Literal):
        value = term.value
    else:
        value = str(term)
    if any(c in value for c in ',"\r\n'):
        value = '"' + value.replace('"', '""') + '"'
    return value


def _tsv_cell(term: Term | None) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.Triple):
        return f"<<( {term} )>>"
    # str() of a pyoxigraph term is its N-Triples form, which TSV results use;
    # tabs and newlines are already escaped inside literals.
    return str(term)


_RESULT_SERIALIZERS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}

# Most bytes pyoxigraph's serializer may write before the answer is handed to the
# Python writers instead (which stop at max_results rows): a memory bound per worker.
FAST_PATH_MAX_BYTES = 32 * 1024 * 1024


class _TooLargeError(Exception):
    """Raised by ``_CappedSink`` to stop pyoxigraph's serializer."""


class _CappedSink(io.BytesIO):
    """An in-memory binary file that refuses to grow past ``limit`` bytes."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def write(self, data: Any, /) -> int:
        if self.tell() + len(data) > self.limit:
            raise _TooLargeError
        return super().write(data)


def holds_at_most(fmt: Format, body: bytes, max_results: int) -> bool:
    """Whether a SELECT answer written by pyoxigraph holds at most ``max_results`` rows.

    Counted on the bytes, never undercounting: an XML row is one ``<result``
    element (``<`` is always escaped in text); a CSV or TSV row ends with a line
    break after the header line (a quoted CSV value may add more, which only
    overcounts); a JSON row takes at least three bytes (``{},``). Only when the
    cheap bound is not enough is a CSV or JSON answer parsed to count its rows."""
    if fmt.name == "xml":
        return body.count(b"<result") - body.count(b"<results") <= max_results
    if fmt.name == "tsv":
        return body.count(b"\n") - 1 <= max_results
    if fmt.name == "csv":
        if body.count(b"\n") - 1 <= max_results:
            return True
        return sum(1 for _ in csv.reader(io.StringIO(body.decode(), newline=""))) - 1 <= max_results
    if fmt.name == "json":
        if (len(body) + 1) // 3 <= max_results:
            return True
        return len(json.loads(body)["results"]["bindings"]) <= max_results
    raise ValueError(f"{fmt.name} is not a results format")


def serialize_solutions(solutions: ox.QuerySolutions, fmt: Format, max_results: int,
                        max_bytes: int = FAST_PATH_MAX_BYTES) -> bytes | None:
    """The whole answer written by pyoxigraph, or ``None`` when it may hold more than
    ``max_results`` rows or exceeds ``max_bytes`` (the caller then cuts it itself).

    Consumes ``solutions`` either way."""
    sink = _CappedSink(max_bytes)
    try:
        solutions.serialize(sink, format=_RESULT_SERIALIZERS[fmt.name])
    except _TooLargeError:
        return None
    body = sink.getvalue()
    return body if holds_at_most(fmt, body, max_results) else None


def write_solutions(fmt: Format, variables: Sequence[str],
                    rows: Sequence[Sequence[Term | None]], truncated: bool,
                    max_results: int, note: str | None = None) -> bytes:
    """Serialize SELECT rows (``rows[i][j]`` binds ``variables[j]``); a truncated JSON
    answer says why in ``note`` (by default: cut at ``max_results`` rows)."""
    if fmt.name == "json":
        doc: dict[str, Any] = {
            "head": {"vars": list(variables)},
            "results": {"bindings": [
                {v: _json_term(t) for v, t in zip(variables, row, strict=True) if t is not None}
                for row in rows
            ]},
        }
        if truncated:
            # In "head", the metadata part: strict streaming parsers (Oxigraph's)
            # reject members after "results".
            doc["head"]["truncated"] = True
            doc["head"]["note"] = note or (f"results truncated to the first {max_results} rows "
                                           "(setting HKKG_MAX_RESULTS)")
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    if fmt.name == "xml":
        parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">',
                 "<head>"]
        parts += [f"<variable name={quoteattr(v)}/>" for v in variables]
        parts.append("</head><results>")
        for row in rows:
            parts.append("<result>")
            parts += [f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                      for v, t in zip(variables, row, strict=True) if t is not None]
            parts.append("</result>")
        parts.append("</results></sparql>\n")
        return "".join(parts).encode()
    if fmt.name == "csv":
        lines = [",".join(_csv_cell(ox.Literal(v)) for v in variables)]
        lines += [",".join(_csv_cell(t) for t in row) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode()
    if fmt.name == "tsv":
        lines = ["\t".join(f"?{v}" for v in variables)]
        lines += ["\t".join(_tsv_cell(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode()
    raise ValueError(f"{fmt.name} is not a results format")


def write_boolean(fmt: Format, value: bool) -> bytes:
    """Serialize an ASK answer."""
    text = "true" if value else "false"
    if fmt.name == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt.name == "xml":
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'
                f"<head/><boolean>{text}</boolean></sparql>\n").encode()
    if fmt.name in ("csv", "tsv"):
        # No W3C form exists for ASK in CSV/TSV; like Oxigraph, answer the bare word.
        return text.encode()
    raise ValueError(f"{fmt.name} is not a results format")


# ---------------------------------------------------------------- CONSTRUCT / DESCRIBE

def write_triples(fmt: Format, triples: Iterable[ox.Triple],
                  prefixes: dict[str, str] | None) -> bytes:
    """Serialize triples; prefixes shorten Turtle, TriG and RDF/XML output."""
    rdf_format = _RDF_FORMATS[fmt.name]
    use_prefixes = prefixes if fmt.name in ("turtle", "trig", "rdfxml") else None
    data = ox.serialize(triples, format=rdf_format, prefixes=use_prefixes)
    assert data is not None
    return data
