"""Human-readable documentation: the ontology's page (pyLODE) and the SHACL shapes' page.

pyLODE 3.3.4 is the last release that runs on Python 3.11 with rdflib 7.6;
it cannot document an ontology whose IRI ends in ``/``, hence ``.../def``.

pyLODE names a term's anchor after its label (``hksc:PublicBody``, "Public body", becomes
``#Publicbody``; ``hksc:Role``, "Post", ``#Post``), so the term IRI ``/def/PublicBody``
could not redirect to its place on the page. Here every term the ontology describes (every
IRI under ``hksc:`` that is the subject of a triple) has its local name as anchor
(``/def#PublicBody``), in its section, the table of contents and every link to it; a term
pyLODE has no section for (``hksc:unitHalfYear``, a ``time:TemporalUnit``) gets one under
"Other terms". An element of pyLODE's own whose id is a term's name is renamed, and no two
elements share an id.

The build writes the page next to the store (``ontology.html``) with a digest of the
graph it documents; the API serves that file only for the very graph of the published
build, and renders the page itself otherwise (a remote store, a page older than the build).
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.compare import to_isomorphic
from rdflib.namespace import DCTERMS, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from graph.gate import SEVERITIES
from graph.namespaces import BASE, HKSC, ID, PREFIXES, SH, by_length, prefixed_name

DOC_NAME = "ontology.html"
DIGEST_META = "hkkg-ontology-digest"
SHAPES_DOC = BASE + "def/shapes"  # the shapes document (shapes/shapes.ttl), served there
SHAPES = SHAPES_DOC + "/"  # node shapes, prefix hkss:
SHAPES_PART = SHAPES_DOC + "#"  # named parts of the document (property shapes), prefix hksp:

# A term's local name as it may stand in a path and an HTML id.
TERM_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
# Marks the anchors of terms while the page is rewritten, so that a term's anchor is never
# mistaken for one of pyLODE's own ids (a section, a namespace prefix) of the same name.
_MARK = "hkkg-term--"
_ID = re.compile(r'(?<=\s)id="([^"]*)"')
_RENDER_LOCK = threading.Lock()
_rendered: dict[str, str] = {}  # digest -> page, the latest few


def ontology_digest(ontology: Graph) -> str:
    """A digest of the graph that does not depend on how it was read (blank nodes included)."""
    return format(to_isomorphic(ontology).graph_digest(), "x")


def own_terms(ontology: Graph, namespace: str = str(HKSC)) -> dict[str, str]:
    """IRI -> local name of every IRI under ``namespace`` the graph describes."""
    out: dict[str, str] = {}
    for s in set(ontology.subjects()):
        if isinstance(s, URIRef) and str(s).startswith(namespace):
            local = str(s)[len(namespace):]
            if TERM_NAME.fullmatch(local):
                out[str(s)] = local
    return out


def ontology_html(ontology: Graph) -> str:
    """The documentation page of ``ontology``: pyLODE's, with the anchors described above."""
    return _render(ontology, ontology_digest(ontology))


def write_ontology_html(ontology: Graph, target_dir: Path) -> Path:
    """Render the ontology into ``target_dir/ontology.html`` (atomic replace)."""
    page = ontology_html(ontology)
    target = target_dir / DOC_NAME
    tmp = target_dir / f".{DOC_NAME}.{os.getpid()}"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, target)
    return target


def page_for(ontology: Graph, prebuilt: Path | None = None) -> str:
    """The page of ``ontology``: ``prebuilt`` (the build's file) when it was made from this
    very graph, else rendered here (and kept for the next request)."""
    digest = ontology_digest(ontology)
    if prebuilt is not None:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            page = prebuilt.read_text(encoding="utf-8")
            if _digest_meta(digest) in page[:20000]:
                return page
    return _render(ontology, digest)


def _digest_meta(digest: str) -> str:
    return f'<meta name="{DIGEST_META}" content="{digest}">'


def _render(ontology: Graph, digest: str) -> str:
    with _RENDER_LOCK:  # pyLODE and its logging are not made for threads
        page = _rendered.get(digest)
        if page is None:
            page = _pylode_page(ontology, digest)
            while len(_rendered) >= 2:
                del _rendered[next(iter(_rendered))]
            _rendered[digest] = page
        return page


class _DropPylodeRecords(logging.Filter):
    """Drops the records pyLODE logs on the root logger (its progress messages), and only
    those: records of other threads pass, whatever their level."""

    def filter(self, record: logging.LogRecord) -> bool:
        return f"{os.sep}pylode{os.sep}" not in record.pathname


@contextlib.contextmanager
def _pylode() -> Iterator[Any]:
    """pyLODE logs on the root logger: importing it calls ``logging.basicConfig`` at DEBUG,
    and its ``logging.info`` calls add a handler when the root has none. In a server that
    would flood or change the log, so pyLODE's own records are filtered out while it runs
    and the root logger's level and handlers are left as they were found. The level is
    never raised for the whole process: a server's other threads keep logging meanwhile.
    Yields pyLODE's ``OntPub``."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    drop = _DropPylodeRecords()
    root.addFilter(drop)
    try:
        from pylode import OntPub

        root.setLevel(level)  # undo the import's basicConfig(level=DEBUG), if it ran
        yield OntPub
    finally:
        root.removeFilter(drop)
        root.setLevel(level)
        for handler in root.handlers[:]:
            if handler not in handlers:
                root.removeHandler(handler)


def _pylode_page(ontology: Graph, digest: str) -> str:
    terms = own_terms(ontology)
    # pyLODE adds inferred triples to the graph it is given, and it would take the SKOS
    # schemes (under id:) for more ontologies, joining their titles into the page's.
    copy = Graph()
    for triple in ontology:
        if not str(triple[0]).startswith(str(ID)):
            copy.add(triple)
    with _pylode() as ontpub:
        pub = ontpub(ontology=copy)
        # pyLODE takes an IRI's anchor from ``fids`` when it has one: in the term's
        # section, the table of contents and every link to the term.
        pub.fids.update({iri: _MARK + name for iri, name in terms.items()})
        page: str = pub.make_html()
    page = _add_other_terms(page, ontology, terms)
    # An IRI under hksc: the graph does not describe (only points at) has no section: its
    # links go to the IRI itself, not to an anchor the page lacks.
    ids = set(_ID.findall(page))
    for iri, fid in pub.fids.items():
        if fid not in ids and not fid.startswith(_MARK):
            page = page.replace(f'href="#{fid}"', f'href="{html.escape(iri)}"')
    page = _unique_ids(page, set(terms.values()))
    page = page.replace(_MARK, "")
    return page.replace("<head>", "<head>\n    " + _digest_meta(digest), 1)


def _add_other_terms(page: str, ontology: Graph, terms: dict[str, str]) -> str:
    """A section (and table-of-contents entry) for each term pyLODE did not document."""
    ids = set(_ID.findall(page))
    missing = sorted((name, iri) for iri, name in terms.items() if _MARK + name not in ids)
    if not missing:
        return page
    entities, toc = [], []
    for name, iri in missing:
        subject = URIRef(iri)
        title = _text(ontology, subject, (RDFS.label, SKOS.prefLabel, DCTERMS.title)) or name
        rows = [("IRI", f"<code>{html.escape(iri)}</code>")]
        types = [_link(t) for t in sorted(ontology.objects(subject, RDF.type), key=str)
                 if isinstance(t, URIRef)]
        if types:
            rows.append(("Type", ", ".join(types)))
        definition = _text(ontology, subject, (SKOS.definition, RDFS.comment, DCTERMS.description))
        if definition:
            rows.append(("Definition", f"<p>{html.escape(definition)}</p>"))
        table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
        entities.append(f'<div class="property entity" id="{_MARK}{name}"><h3>{html.escape(title)}'
                        f'</h3><table>{table}</table></div>')
        toc.append(f'<li><a href="#{_MARK}{name}">{html.escape(title)}</a></li>')
    section = ('<div class="section" id="otherterms"><h2>Other terms</h2>\n'
               + "\n".join(entities) + "\n</div>\n")
    at = page.find('<div id="namespaces">')
    page = page[:at] + section + page[at:] if at >= 0 else page.replace("</body>", section + "</body>", 1)
    entry = ('<li><h4><a href="#otherterms">Other terms</a></h4><ul class="second">'
             + "".join(toc) + "</ul></li>\n")
    toc_at = page.find('<div id="toc">')
    link = page.find('<a href="#namespaces">', toc_at) if toc_at >= 0 else -1
    li = page.rfind("<li>", toc_at, link) if link >= 0 else -1
    return page[:li] + entry + page[li:] if li >= 0 else page


def _unique_ids(page: str, names: set[str]) -> str:
    """Rename pyLODE's ids that are a term's name (and the links to them), and every second
    use of an id, so each id names one element and a term's name names the term."""
    taken = set(_ID.findall(page)) | names
    renamed: dict[str, str] = {}
    seen: Counter[str] = Counter()

    def fresh(base: str) -> str:
        n, candidate = 1, f"{base}-section"
        while candidate in taken:
            n += 1
            candidate = f"{base}-section{n}"
        taken.add(candidate)
        return candidate

    def one(match: re.Match[str]) -> str:
        value = match.group(1)
        seen[value] += 1
        if seen[value] == 1 and value in names:  # pyLODE's own id, named like a term
            renamed[value] = fresh(value)
            return f'id="{renamed[value]}"'
        if seen[value] > 1:  # a second element with this id: no link can mean it
            return f'id="{fresh(value.removeprefix(_MARK))}"'
        return match.group(0)

    page = _ID.sub(one, page)
    for old, new in renamed.items():
        page = page.replace(f'href="#{old}"', f'href="#{new}"')
    return page


def _text(graph: Graph, subject: Node, predicates: Iterable[URIRef]) -> str | None:
    """The English (else any) value of the first of ``predicates`` the subject has."""
    for p in predicates:
        values = [o for o in graph.objects(subject, p) if isinstance(o, Literal)]
        if values:
            english = [v for v in values if (v.language or "").startswith("en")]
            return str(sorted(english or values)[0])
    return None


# -- names -----------------------------------------------------------------------------

_WRITE = by_length({**PREFIXES, "hkss": SHAPES, "hksp": SHAPES_PART})


def short(iri: str) -> str:
    """``iri`` as a prefixed name where a project prefix covers it."""
    return prefixed_name(iri, _WRITE, lambda local: TERM_NAME.fullmatch(local) is not None)


def _anchor(iri: str) -> str | None:
    """Where the API shows ``iri`` when it is a term or a shape: ``/def#Term``,
    ``/def/shapes#Shape`` (``hkss:Shape``, a node shape) or ``/def/shapes#Shape-part``
    (``hksp:Shape-part``, a part of the shapes document)."""
    for ns, page in ((SHAPES, "/def/shapes"), (SHAPES_PART, "/def/shapes"), (str(HKSC), "/def")):
        if iri.startswith(ns) and TERM_NAME.fullmatch(iri[len(ns):]):
            return f"{page}#{iri[len(ns):]}"
    return None


def _link(node: URIRef) -> str:
    """A link to ``node``: its anchor for the project's terms and shapes, else the IRI."""
    iri = str(node)
    href = _anchor(iri) or iri
    return f'<a href="{html.escape(href)}"><code>{html.escape(short(iri))}</code></a>'


# -- the shapes' page ------------------------------------------------------------------

_TARGETS = {SH.targetClass: "class", SH.targetNode: "node", SH.targetSubjectsOf: "subjects of",
            SH.targetObjectsOf: "objects of"}
_PLAIN = {XSD.integer, XSD.decimal, XSD.double, XSD.boolean}
_DESCRIPTIVE = {RDF.type, RDFS.label, RDFS.comment, SH.description, SH.name, SH.message,
                SH.severity, SH.property, SH.sparql, SH.path, SH.deactivated, SH.prefixes,
                SH.select, SH.ask, *_TARGETS}


def shape_names(shapes: Graph) -> dict[str, str]:
    """IRI -> local name of every node shape (``hkss:``, ``<base>def/shapes/{Name}``)."""
    return own_terms(shapes, SHAPES)


def shape_parts(shapes: Graph) -> dict[str, str]:
    """IRI -> fragment of every named part of the shapes document (``hksp:``,
    ``<base>def/shapes#{Shape}-{what}``: property shapes), anchors of the page."""
    return own_terms(shapes, SHAPES_PART)


def shapes_html(shapes: Graph, links: Iterable[tuple[str, str]] = ()) -> str:
    """A page listing each node shape with its targets, its checks (each named part with
    its own anchor) and their messages, grouped by severity; ``links`` are (media type,
    href) of the other formats."""
    names = shape_names(shapes)
    # Node shapes' names first: a part never takes the anchor of a node shape.
    used: set[str] = {f"severity-{s}" for s in SEVERITIES} | set(names.values())
    groups: dict[str, list[str]] = {s: [] for s in SEVERITIES}
    for iri, name in sorted(names.items(), key=lambda kv: kv[1]):
        severity = _severity(shapes, URIRef(iri))
        groups[severity].append(_shape_block(shapes, URIRef(iri), name, severity, used))
    # A named part no node shape uses still gets its anchor.
    loose = []
    for iri, frag in sorted(shape_parts(shapes).items(), key=lambda kv: kv[1]):
        if frag not in used:
            used.add(frag)
            loose.append(f'<li id="{frag}">{_check(shapes, URIRef(iri))}</li>')
    if loose:
        groups["Violation"].append('<section class="shape"><h3>Other parts</h3><ul>'
                                   + "".join(loose) + "</ul></section>")
    title = _text(shapes, URIRef(SHAPES_DOC), (RDFS.label, DCTERMS.title))
    also = " · ".join(f'<a href="{html.escape(h)}">{html.escape(t)}</a>' for t, h in links)
    alternates = "".join(f'<link rel="alternate" type="{html.escape(t)}" href="{html.escape(h)}">\n'
                         for t, h in links)
    toc = " · ".join(f'<a href="#{n}">{n}</a>' for n in sorted(names.values()))
    meaning = {"Violation": "structure: any violation refuses the build",
               "Warning": "plausibility: published, reported at /validation",
               "Info": "reports: published, listed at /validation"}
    body = "".join(f'<h2 id="severity-{s}" class="{s}">{s}s <small>({meaning[s]})</small></h2>\n'
                   + "\n".join(blocks) for s, blocks in groups.items() if blocks)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SHACL shapes · HK Smart City Knowledge Graph</title>
{alternates}<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 70rem; padding: 0 1rem;
       line-height: 1.4; }}
table {{ border-collapse: collapse; width: 100%; margin-bottom: .5rem; }}
th, td {{ text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid #ddd; }}
th {{ width: 8rem; font-weight: 600; }}
code, pre {{ font-family: ui-monospace, monospace; font-size: .9em; word-break: break-all; }}
pre {{ white-space: pre-wrap; }}
li:target {{ background: #ffd; }}
.shape {{ border: 1px solid #ddd; border-radius: 4px; padding: .5rem .8rem; margin-bottom: .8rem; }}
.Violation {{ color: #a00; }} .Warning {{ color: #8a4b00; }} .Info {{ color: #555; }}
</style>
</head>
<body>
<header>
  <p><a href="/">HK Smart City Knowledge Graph</a> · <a href="/sparql">SPARQL</a> ·
  <a href="/def">Ontology</a> · <a href="/validation">Validation report</a></p>
  <h1>{html.escape(title or "SHACL shapes of the build's gate")}</h1>
  <p>The served build was checked against these shapes (<code>shapes/shapes.ttl</code> as it
  was when the build was made): node shapes
  are <code>hkss: &lt;{html.escape(SHAPES)}&gt;</code>, their parts
  <code>hksp: &lt;{html.escape(SHAPES_PART)}&gt;</code>; the report of the published build
  names them as <code>sh:sourceShape</code>. Also as {also}</p>
  <p>{toc}</p>
</header>
<main>
{body}
</main>
</body>
</html>
"""


def _severity(shapes: Graph, shape: URIRef) -> str:
    """The most severe level of the shape and its property shapes (SHACL: Violation unless
    said otherwise)."""
    found = {shapes.value(n, SH.severity) or SH.Violation
             for n in [shape, *shapes.objects(shape, SH.property)]}
    return next((s for s in SEVERITIES if SH[s] in found), "Violation")


def _shape_block(shapes: Graph, shape: URIRef, name: str, severity: str, used: set[str]) -> str:
    rows = [("IRI", f"<code>{html.escape(str(shape))}</code>")]
    for p, kind in _TARGETS.items():
        values = sorted(shapes.objects(shape, p), key=str)
        if values:
            rows.append(("targets", f"{kind} " + ", ".join(_value(shapes, v) for v in values)))
    checks: list[tuple[str, str]] = []
    for part in [*shapes.objects(shape, SH.property), *shapes.objects(shape, SH.sparql)]:
        frag = _part_name(part)
        anchor = f' id="{frag}"' if frag and frag not in used else ""
        if frag:
            used.add(frag)
        checks.append((str(part) if frag else "~" + _check(shapes, part),
                       f"<li{anchor}>{_check(shapes, part)}</li>"))
    node_params = _params(shapes, shape)
    if node_params:
        said = _text(shapes, shape, (SH.message,))
        checks.append(("~~", f"<li>{node_params}"
                             + (f" — <em>{html.escape(said)}</em>" if said else "") + "</li>"))
    if checks:
        rows.append(("checks", "<ul>" + "".join(li for _key, li in sorted(checks)) + "</ul>"))
    label = _text(shapes, shape, (RDFS.label, SH.name))
    comment = _text(shapes, shape, (RDFS.comment, SH.description))
    text = "".join(f"<p>{html.escape(t)}</p>" for t in (label, comment) if t)
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (f'<section class="shape" id="{name}"><h3>{name} <small class="{severity}">'
            f"{severity}</small></h3>{text}<table>{table}</table></section>")


def _part_name(node: Node) -> str | None:
    """The fragment of a named part of the shapes document (``hksp:X`` -> ``X``)."""
    iri = str(node)
    if not isinstance(node, URIRef) or not iri.startswith(SHAPES_PART):
        return None
    return iri[len(SHAPES_PART):] if TERM_NAME.fullmatch(iri[len(SHAPES_PART):]) else None


def _check(shapes: Graph, part: Node) -> str:
    """One check: a property shape (path, constraints, severity, message) or a SPARQL
    constraint (message and query)."""
    message = _text(shapes, part, (SH.message,))
    query = _text(shapes, part, (SH.select, SH.ask))
    path = shapes.value(part, SH.path)
    severity = shapes.value(part, SH.severity)
    out = f"{_value(shapes, path)}: " if path is not None else ""
    out += _params(shapes, part)
    if severity is not None:
        out += f' <small>({html.escape(short(str(severity)).removeprefix("sh:"))})</small>'
    if message:
        out += f" — <em>{html.escape(message)}</em>" if out else html.escape(message)
    if query is not None:
        out += f"<details><summary>query</summary><pre>{html.escape(query)}</pre></details>"
    name = _part_name(part)
    if name:
        out += f' <small><a href="#{name}">{html.escape(short(str(part)))}</a></small>'
    return out


def _params(shapes: Graph, node: Node) -> str:
    """The constraint parameters of ``node`` (``minCount 1, datatype xsd:date``)."""
    parts = []
    for p, o in sorted(shapes.predicate_objects(node), key=lambda po: (str(po[0]), str(po[1]))):
        if p not in _DESCRIPTIVE:
            parts.append(f"{html.escape(short(str(p)).removeprefix('sh:'))} {_value(shapes, o)}")
    return ", ".join(parts)


def _value(shapes: Graph, node: Node, depth: int = 0) -> str:
    """A value of a shape as HTML: a link, a literal, a list ``( ... )`` or ``[ ... ]``."""
    if isinstance(node, URIRef):
        return _link(node)
    if isinstance(node, Literal):
        if node.datatype in _PLAIN:
            text = str(node)
        elif node.datatype is not None:
            text = f'"{node}"^^{short(str(node.datatype))}'
        else:
            text = f'"{node}"' + (f"@{node.language}" if node.language else "")
        return f"<code>{html.escape(text)}</code>"
    if depth > 4:
        return "[…]"
    if (node, RDF.first, None) in shapes:
        return "( " + " ".join(_value(shapes, v, depth + 1) for v in Collection(shapes, node)) + " )"
    inner = ", ".join(f"{html.escape(short(str(p)).removeprefix('sh:'))} {_value(shapes, o, depth + 1)}"
                      for p, o in sorted(shapes.predicate_objects(node), key=lambda po: str(po[0])))
    return f"[ {inner} ]"
