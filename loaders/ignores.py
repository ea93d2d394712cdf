"""Not-a-fact entries: numbers or passages of a source that carry no fact.

``records/ignore/<doc-id>.yaml`` is a list of entries::

    - passage: l98            # passage key (see `hkkg passages <doc-id>`)
      text: "1"               # the number, or the whole passage, as written
      reason: slide item number, not a figure

The text must occur in the passage (after the normalisation of
``loaders.text``). An entry whose text is the whole passage marks the passage
as carrying no fact (a sign-off, "Thank you"); otherwise it accounts for the
numbers its text contains. Each entry becomes an ``hksc:NotAFact`` node
derived from its passage (``prov:wasDerivedFrom``), with the text
(``hksc:verbatim``) and the reason (``hksc:note``), so ``hkkg coverage`` can
count it. Bad entries stop the build with ``file:line`` like other records.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal
from rdflib.namespace import PROV, RDF

from graph.errors import BuildError, InputProblem
from graph.namespaces import HKSC, ID
from loaders.documents import SourceDocument
from loaders.text import normalise
from loaders.yamlio import LINE, load_yaml

IGNORE_DIR = "ignore"
IGNORE_KEYS = {"passage", "text", "reason", LINE}


def load_ignores(records_dir: Path, docs: dict[str, SourceDocument]) -> Graph:
    """Read every ``ignore/<doc-id>.yaml``; raise one BuildError listing every problem."""
    graph = Graph()
    problems: list[InputProblem] = []
    folder = records_dir / IGNORE_DIR
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        name = f"{records_dir.name}/{IGNORE_DIR}/{path.name}"
        doc = docs.get(path.stem)
        if doc is None:
            problems.append(InputProblem(name, 1, f"file name must be a document id; "
                                         f"expected one of {sorted(docs)}"))
            continue
        data = load_yaml(path, name)
        if data is None:
            continue
        if not isinstance(data, list):
            problems.append(InputProblem(name, 1, "expected a list of {passage, text, reason} entries"))
            continue
        seen: dict[tuple[str, str], int | None] = {}
        for rec in data:
            line = rec.get(LINE) if isinstance(rec, dict) else None
            messages = _check(rec, doc, seen)
            for message in messages:
                problems.append(InputProblem(name, line, message))
            if not messages:
                _add(graph, rec, doc)
    if problems:
        raise BuildError(problems)
    return graph


def _check(rec: Any, doc: SourceDocument, seen: dict[tuple[str, str], int | None]) -> list[str]:
    if not isinstance(rec, dict):
        return ["expected a mapping with 'passage', 'text' and 'reason'"]
    out: list[str] = []
    unknown = set(rec) - IGNORE_KEYS
    if unknown:
        out.append(f"unknown key(s) {sorted(unknown)}; expected ['passage', 'reason', 'text']")
    key = str(rec.get("passage", "")).strip()
    text = rec.get("text")
    if not key or text is None or str(text).strip() == "" or not str(rec.get("reason", "")).strip():
        out.append("ignore entry needs 'passage', 'text' and 'reason'")
        return out
    if not isinstance(text, str):
        out.append(f"'text' must be a quoted string (YAML reads {text!r} as a "
                   f"{type(text).__name__}): write text: \"{text}\" as the source prints it")
        return out
    if key not in doc.passages:
        out.append(f"unknown passage {key!r} in document {doc.doc_id!r} "
                   f"(see `hkkg passages {doc.doc_id}`)")
        return out
    if normalise(str(text)) not in doc.normalised[key]:
        p = doc.passages[key]
        out.append(f"text not found in passage {doc.doc_id}/p/{key} (lines "
                   f"{p.line_start}-{p.line_end}): {str(text)[:120]!r}")
        return out
    ident = (key, normalise(str(text)))
    if ident in seen:
        out.append(f"duplicate ignore entry for {str(text)!r} in passage {key!r} "
                   f"(first at line {seen[ident]})")
    else:
        seen[ident] = rec.get(LINE)
    return out


def _add(graph: Graph, rec: dict[str, Any], doc: SourceDocument) -> None:
    key, text = str(rec["passage"]).strip(), str(rec["text"])
    digest = hashlib.sha256(f"{key}\n{normalise(text)}".encode()).hexdigest()[:12]
    node = ID[f"not-a-fact/{doc.doc_id}/{digest}"]
    graph.add((node, RDF.type, HKSC.NotAFact))
    graph.add((node, PROV.wasDerivedFrom, doc.passage_iri(key)))
    graph.add((node, HKSC.statedIn, doc.iri))
    graph.add((node, HKSC.verbatim, Literal(text)))
    graph.add((node, HKSC.note, Literal(str(rec["reason"]))))
