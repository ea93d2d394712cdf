"""The build: loaders -> dataset -> SHACL gate -> new store -> atomic publish.

A build either publishes a graph that passes the gate or publishes nothing
and says why (a BuildError naming file and line, or the gate's violations).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, PROV, RDF, VOID, XSD

from graph import store
from graph.derive import derive
from graph.errors import BuildError, InputProblem
from graph.gate import SHAPES_FILE, GateReport, run_gate
from graph.namespaces import (
    BASE,
    GRAPH_MENTIONS,
    GRAPH_METADATA,
    GRAPH_NOT_A_FACT,
    GRAPH_ONTOLOGY,
    GRAPH_RECORDS,
    GRAPH_SOURCES,
    GRAPH_TABLES,
    HKSC,
    ID,
)
from graph.ontology_docs import write_ontology_html
from graph.settings import Settings
from loaders.documents import SourceDocument, document_triples, read_manifest
from loaders.ignores import load_ignores
from loaders.mentions import load_mentions
from loaders.rdf_files import load_rdf_files
from loaders.records import load_records
from loaders.tables import load_tables
from loaders.terms import Vocabulary, load_ontology

GRAPH_DERIVED = ID["graph/derived"]
GRAPH_VALIDATION = ID["graph/validation"]
DATASET = ID["dataset"]

Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Assembled:
    """The graphs of one build, before publication."""

    graphs: dict[URIRef, Graph] = field(default_factory=dict)
    report: GateReport | None = None
    locations: dict[str, str] = field(default_factory=dict)  # IRI -> record file:line

    def union(self) -> Graph:
        g = Graph()
        for part in self.graphs.values():
            g += part
        return g


def assemble(settings: Settings, progress: Progress = _stderr) -> Assembled:
    """Run every loader; raises BuildError with file:line on bad input."""
    t0 = time.perf_counter()
    out = Assembled()
    ontology = load_ontology()
    out.graphs[GRAPH_ONTOLOGY] = ontology
    vocab = Vocabulary(ontology)
    docs = read_manifest(settings.records_dir, settings.sources_dir)
    sources = Graph()
    document_triples(docs, sources)
    out.graphs[GRAPH_SOURCES] = sources
    progress(f"documents: {len(docs)} documents, {sum(len(d.passages) for d in docs.values())} passages")
    records = load_records(settings.records_dir, docs, vocab)
    out.graphs[GRAPH_RECORDS] = records.graph
    out.locations = records.locations
    out.graphs[GRAPH_NOT_A_FACT] = load_ignores(settings.records_dir, docs)
    progress(f"records: {len(records.entities)} entities, {len(records.graph)} triples")
    tables = load_tables(docs, records, vocab)
    out.graphs[GRAPH_TABLES] = tables
    progress(f"tables: {len(tables)} triples")
    out.graphs[GRAPH_DERIVED] = derive(records.graph + tables)
    mentions = load_mentions(docs, records)
    out.graphs[GRAPH_MENTIONS] = mentions
    progress(f"mentions: {len(mentions)} passage-entity links")
    for name, graph in load_rdf_files(settings.rdf_dir).items():
        out.graphs[name] = graph
        progress(f"rdf: {name} ({len(graph)} triples)")
    out.graphs[GRAPH_METADATA] = _metadata(docs, out.graphs)
    progress(f"loaded in {time.perf_counter() - t0:.1f}s")
    return out


def validate_inputs(settings: Settings, progress: Progress = _stderr) -> tuple[Assembled, GateReport]:
    """Assemble and run the SHACL gate without touching the store."""
    assembled = assemble(settings, progress)
    t0 = time.perf_counter()
    report = run_gate(assembled.union(), locations=assembled.locations)
    assembled.report = report
    progress(
        f"gate: {report.counts['Violation']} violations, {report.counts['Warning']} "
        f"warnings, {report.counts['Info']} infos ({time.perf_counter() - t0:.1f}s)"
    )
    return assembled, report


# Packages whose files decide what a build holds: the ontology and the shapes it reads, and
# the code that turns the records into triples (a pull that changes a loader changes the
# graph as surely as one that changes a record).
BUILD_PACKAGES = ("ontology", "shapes", "loaders", "graph")


def input_files(settings: Settings) -> list[Path]:
    """Every file a build reads or runs: sources, records, extra RDF, the ontology, the
    shapes, and the loaders' and the graph package's code (BUILD_PACKAGES)."""
    folders = [settings.sources_dir, settings.records_dir, settings.rdf_dir]
    folders += [Path(str(resources.files(pkg))) for pkg in BUILD_PACKAGES]
    return sorted(f for folder in folders if folder.is_dir()
                  for f in folder.rglob("*") if f.is_file() and "__pycache__" not in f.parts)


def newer_input(settings: Settings) -> Path | None:
    """An input changed after the published build (or None): the build is out of date.

    Compares modification times with the moment ``current`` was last switched, which
    publishing alone does; a clone, a pull or an edit all leave newer files behind."""
    link = store.current_link(settings.resolved_store_dir)
    try:
        published = link.lstat().st_mtime
    except FileNotFoundError:
        return None
    newest = max(input_files(settings), key=lambda f: f.stat().st_mtime, default=None)
    return newest if newest is not None and newest.stat().st_mtime > published else None


def build(settings: Settings, progress: Progress = _stderr) -> Path:
    """Build, gate and publish; returns the published build folder.

    Raises BuildError (bad input, or violations) and leaves the previously
    published store untouched.
    """
    assembled, report = validate_inputs(settings, progress)
    if not report.conforms:
        first = [r for r in report.results() if r["severity"] == "Violation"][:20]
        raise BuildError(
            [
                InputProblem("<shacl>", None, f"{r['focusNode']}: {r['message']} (path {r['path']})")
                for r in first
            ]
            + [InputProblem("<shacl>", None, f"{report.counts['Violation']} violation(s): nothing published")]
        )
    store_dir = settings.resolved_store_dir
    store_dir.mkdir(parents=True, exist_ok=True)
    path = store.new_build_dir(store_dir)
    try:
        t0 = time.perf_counter()
        assembled.graphs[GRAPH_VALIDATION] = report.graph
        # The build's name, so a remote copy of it (hkkg push) says which build it is.
        assembled.graphs[GRAPH_METADATA].add((DATASET, DCTERMS.identifier, Literal(path.name)))
        _describe_late_graphs(assembled.graphs)
        write_store(path, assembled.graphs)
        # The shapes that made this build's report, for /def/shapes while it is served.
        kept = store.kept_file(store_dir, path.name, SHAPES_FILE)
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(report.shapes, encoding="utf-8")
        # The page first: a server that sees the new build finds its page (the API checks
        # the page's digest against the published ontology, so an early page is harmless).
        write_ontology_html(assembled.graphs[GRAPH_ONTOLOGY], store_dir)
        store.publish(store_dir, path, keep=settings.keep_builds)
    except BaseException:
        store.discard(path)
        raise
    progress(f"published {path.name} ({time.perf_counter() - t0:.1f}s)")
    return path


def write_store(path: Path, graphs: dict[URIRef, Graph]) -> None:
    """Write every graph as a named graph of a new Oxigraph store at ``path``."""
    oxstore = ox.Store(str(path))
    for name, graph in graphs.items():
        data = graph.serialize(format="nt", encoding="utf-8")
        oxstore.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(str(name)))
    oxstore.flush()
    oxstore.optimize()
    del oxstore


_GRAPH_TITLES = {
    GRAPH_ONTOLOGY: "Ontology and SKOS schemes",
    GRAPH_SOURCES: "Source documents and their passages",
    GRAPH_RECORDS: "Curated records: entities and claims",
    GRAPH_TABLES: "Claims read from the documents' tables",
    GRAPH_DERIVED: "Derived triples (truthy statements and latest figures from claims)",
    GRAPH_MENTIONS: "Things each passage mentions",
    GRAPH_NOT_A_FACT: "Not-a-fact entries: wording of the sources that states no fact, and why",
    GRAPH_METADATA: "Metadata of the dataset and this build (DCAT, VoID)",
    GRAPH_VALIDATION: "SHACL validation report of this build",
}


def _graph_title(name: URIRef) -> Literal:
    """A title for a named graph, so pages and listings name it (``rdf/{file}``: the file)."""
    title = _GRAPH_TITLES.get(name) or f"RDF file {str(name).rsplit('/', 1)[-1]}"
    return Literal(title, lang="en")


def _describe_late_graphs(graphs: dict[URIRef, Graph]) -> None:
    """Add the SHACL report's graph and the metadata graph itself to the dataset's VoID
    subsets (they exist only once the gate has run), so that their IRIs resolve and the
    subsets' triple counts add up to the dataset's."""
    meta = graphs[GRAPH_METADATA]
    for name in (GRAPH_VALIDATION, GRAPH_METADATA):
        _describe_subset(meta, name, len(graphs[name]))
    # Replacing a count keeps the number of triples, so the metadata graph's count holds.
    meta.set((GRAPH_METADATA, VOID.triples, Literal(len(meta))))
    meta.set((DATASET, VOID.triples, Literal(sum(len(g) for g in graphs.values()))))


def _metadata(docs: dict[str, SourceDocument], graphs: dict[URIRef, Graph]) -> Graph:
    """DCAT/VoID description of the build: sources with hashes, graphs, time."""
    g = Graph()
    now = datetime.now(UTC).replace(microsecond=0)
    g.add((DATASET, RDF.type, DCAT.Dataset))
    g.add((DATASET, RDF.type, VOID.Dataset))
    g.add((DATASET, DCTERMS.title, Literal("HK Smart City Knowledge Graph", lang="en")))
    g.add((DATASET, DCTERMS.modified, Literal(now.isoformat(), datatype=XSD.dateTime)))
    g.add((DATASET, PROV.generatedAtTime, Literal(now.isoformat(), datatype=XSD.dateTime)))
    # Where a client finds the rest (VoID): the API serves these paths under the base.
    g.add((DATASET, VOID.sparqlEndpoint, URIRef(BASE + "sparql")))
    g.add((DATASET, VOID.dataDump, URIRef(BASE + "dump.trig")))
    g.add((DATASET, VOID.dataDump, URIRef(BASE + "dump.nq")))
    g.add((DATASET, VOID.uriSpace, Literal(str(ID))))
    g.add((DATASET, VOID.vocabulary, URIRef(str(HKSC))))
    for doc in docs.values():
        g.add((DATASET, PROV.wasDerivedFrom, doc.iri))
        g.add((DATASET, DCTERMS.source, doc.iri))
        g.add((doc.iri, HKSC.sha256, Literal(doc.sha256)))
    for name, graph in graphs.items():
        _describe_subset(g, name, len(graph))
    g.add((DATASET, VOID.triples, Literal(sum(len(graph) for graph in graphs.values()))))
    return g


def _describe_subset(meta: Graph, name: URIRef, triples: int) -> None:
    """A named graph as a VoID subset of the dataset: its title and triple count."""
    meta.add((DATASET, VOID.subset, name))
    meta.add((name, RDF.type, VOID.Dataset))
    meta.add((name, DCTERMS.title, _graph_title(name)))
    meta.set((name, VOID.triples, Literal(triples)))
