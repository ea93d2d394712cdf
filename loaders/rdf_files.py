"""RDF files loader: user-supplied Turtle, TriG, JSON-LD, N-Triples or N-Quads.

Every file under ``rdf/`` goes into a named graph of its own
(``/id/graph/rdf/{file name}``) so it can be queried, restricted or
dropped separately. A syntax error names the file and, where the parser
says it, the line.
"""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Dataset, Graph, URIRef

from graph.errors import BuildError, InputProblem
from graph.namespaces import user_graph

FORMATS = {".ttl": "turtle", ".trig": "trig", ".jsonld": "json-ld", ".json": "json-ld",
           ".nt": "nt", ".nq": "nquads", ".rdf": "xml", ".owl": "xml"}
_LINE = re.compile(r"line (\d+)", re.I)


def load_rdf_files(rdf_dir: Path) -> dict[URIRef, Graph]:
    """Parse every RDF file; one named graph per file (quads formats flattened into it)."""
    out: dict[URIRef, Graph] = {}
    problems: list[InputProblem] = []
    if not rdf_dir.is_dir():
        return out
    for path in sorted(rdf_dir.iterdir()):
        if path.name.startswith(".") or path.name.lower() == "readme.md":
            continue
        fmt = FORMATS.get(path.suffix.lower())
        display = f"rdf/{path.name}"
        if fmt is None:
            problems.append(InputProblem(display, None, f"unknown RDF file extension "
                                         f"{path.suffix!r}; expected one of {sorted(FORMATS)}"))
            continue
        graph = Graph()
        try:
            if fmt in ("trig", "nquads"):
                ds = Dataset()
                ds.parse(path, format=fmt)
                for s, p, o, _g in ds.quads((None, None, None, None)):
                    graph.add((s, p, o))
            else:
                graph.parse(path, format=fmt)
        except Exception as exc:  # noqa: BLE001 - parsers raise many kinds; we report them all
            m = _LINE.search(str(exc))
            problems.append(InputProblem(display, int(m.group(1)) if m else None,
                                         f"malformed {fmt}: {str(exc).splitlines()[0][:300]}"))
            continue
        out[URIRef(user_graph(path.name))] = graph
    if problems:
        raise BuildError(problems)
    return out
