"""The ``hkkg`` command: build, validate, query, export, push, serve, passages.

Exit codes: 0 success (validate: conforms), 1 failure (validate: does not
conform; build: refused), 2 error (bad input, bad usage, no store).
Progress and timing go to stderr; results to stdout.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from collections.abc import Sequence

import pyoxigraph as ox

from graph.errors import BuildError, StoreNotBuilt
from graph.namespaces import PREFIXES, WRITE_PREFIXES
from graph.remote import RemoteStore, RemoteStoreError
from graph.settings import Settings
from graph.store import EmbeddedStore, distinct_triples

EXPORT_FORMATS = {
    "trig": ox.RdfFormat.TRIG,
    "nq": ox.RdfFormat.N_QUADS,
    "ttl": ox.RdfFormat.TURTLE,
    "jsonld": None,  # via rdflib, which writes JSON-LD with named graphs
}


def _err(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_build(args: argparse.Namespace, settings: Settings) -> int:
    from graph.build import build

    t0 = time.perf_counter()
    try:
        build(settings)
    except BuildError as exc:
        _err("build refused, nothing published:")
        for p in exc.problems:
            _err(f"  {p}")
        return 1 if all(str(p.file) == "<shacl>" for p in exc.problems) else 2
    _err(f"build done in {time.perf_counter() - t0:.1f}s")
    return 0


def cmd_validate(args: argparse.Namespace, settings: Settings) -> int:
    from graph.build import validate_inputs

    try:
        _assembled, report = validate_inputs(settings)
    except BuildError as exc:
        for p in exc.problems:
            _err(str(p))
        return 2
    if args.format == "json":
        print(report.to_json())
    elif args.format == "turtle":
        print(report.graph.serialize(format="turtle"))
    else:
        print(f"Conforms (no violations): {report.conforms}")
        print("Counts: " + ", ".join(f"{k} {v}" for k, v in report.counts.items()))
        shown = [
            r
            for r in report.results()
            if args.all
            or r["severity"] != "Warning"
            or not (r["message"] or "").startswith("passage mentions")
        ]
        for r in shown:
            print(
                f"[{r['severity']}] {r['focusNode']}: {r['message']}"
                + (f" (path {r['path']})" if r["path"] else "")
            )
    return 0 if report.conforms else 1


def _open_store(settings: Settings) -> EmbeddedStore | None:
    """The published build, or ``None`` after telling the user to run ``hkkg build``."""
    try:
        return EmbeddedStore.open_current(settings.resolved_store_dir)
    except StoreNotBuilt as exc:
        _err(str(exc))
        return None


def cmd_query(args: argparse.Namespace, settings: Settings) -> int:
    remote = settings.remote_config()
    st = RemoteStore(remote) if remote is not None else _open_store(settings)
    if st is None:
        return 2
    text = args.query
    if text == "-":
        text = sys.stdin.read()
    try:
        if isinstance(st, RemoteStore):
            result = st.query(text, prefixes=PREFIXES, use_default_graph_as_union=True)
        else:
            result = st.query(text, prefixes=PREFIXES)
    except SyntaxError as exc:
        _err(f"malformed query: {exc}")
        return 2
    except (StoreNotBuilt, RemoteStoreError) as exc:
        _err(str(exc))
        return 2
    if isinstance(result, ox.QueryBoolean):
        print(json.dumps({"boolean": bool(result)}) if args.format == "json" else str(bool(result)).lower())
        return 0
    if not isinstance(result, ox.QuerySolutions):  # CONSTRUCT or DESCRIBE: triples
        data = ox.serialize(distinct_triples(result), format=ox.RdfFormat.TURTLE,
                            prefixes=WRITE_PREFIXES)
        sys.stdout.write(data.decode("utf-8") if data else "")
        return 0
    variables = [v.value for v in result.variables]
    rows = [[_term(sol[v]) for v in variables] for sol in result]
    if args.format == "json":
        print(json.dumps(result_json(variables, rows), ensure_ascii=False, indent=2))
    elif args.format == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(variables)
        w.writerows([["" if c is None else c for c in r] for r in rows])
        sys.stdout.write(buf.getvalue())
    else:
        print(_table(variables, rows))
    _err(f"{len(rows)} row(s)")
    return 0


def result_json(variables: list[str], rows: list[list[str | None]]) -> list[dict[str, str | None]]:
    return [dict(zip(variables, r, strict=True)) for r in rows]


def _term(term: object) -> str | None:
    if term is None:
        return None
    value = getattr(term, "value", None)
    return str(value) if value is not None else str(term)


def _table(variables: list[str], rows: list[list[str | None]]) -> str:
    cells = [[("" if c is None else c).replace("\n", " ")[:80] for c in r] for r in rows]
    widths = [max([len(v)] + [len(r[i]) for r in cells]) for i, v in enumerate(variables)]
    line = " | ".join(v.ljust(w) for v, w in zip(variables, widths, strict=True))
    sep = "-+-".join("-" * w for w in widths)
    body = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join([line, sep, *body])


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    st = _open_store(settings)
    if st is None:
        return 2
    fmt = EXPORT_FORMATS[args.format]
    out = sys.stdout.buffer
    if fmt is None:
        from rdflib import Dataset

        ds = Dataset()
        ds.parse(data=st.dump(ox.RdfFormat.N_QUADS), format="nquads")
        out.write(ds.serialize(format="json-ld").encode("utf-8"))
    elif fmt == ox.RdfFormat.TURTLE:
        # Turtle has no graphs: the union of all named graphs, with the project's prefixes.
        result = st.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
        out.write(ox.serialize(result, format=fmt, prefixes=WRITE_PREFIXES) or b"")
    else:
        out.write(st.dump(fmt, WRITE_PREFIXES))
    out.flush()
    return 0


def cmd_push(args: argparse.Namespace, settings: Settings) -> int:
    """Copy the published build into the remote store (HKKG_STORE_URL and
    HKKG_STORE_GRAPH_STORE_URL) and check that it holds what was sent."""
    from graph.push import push

    remote = settings.remote_config()
    if remote is None or remote.graph_store_url is None:
        _err("hkkg push needs HKKG_STORE_URL (the SPARQL query endpoint) and "
             "HKKG_STORE_GRAPH_STORE_URL (its Graph Store Protocol endpoint)")
        return 2
    if args.build:
        code = cmd_build(args, settings)
        if code:
            _err("nothing pushed")
            return code
    local = _open_store(settings)
    if local is None:
        return 2
    t0 = time.perf_counter()
    _err(f"pushing build {local.path.name} to {remote.graph_store_url}")
    try:
        report = push(local, RemoteStore(remote), progress=_err)
    except (RemoteStoreError, StoreNotBuilt) as exc:
        _err(f"push failed: {exc}")
        return 2
    finally:
        local.close()
    _err(f"pushed build {report.build}: {len(report.graphs)} graphs, {report.triples} triples, "
         f"{len(report.deleted)} stale graphs deleted; the store's counts match "
         f"({time.perf_counter() - t0:.1f}s)")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from api.app import create_app
    from api.http_protocol import IMPORT_STRING as HTTP_PROTOCOL
    from graph.build import newer_input
    from graph.store import current_link

    remote = settings.remote_config()
    if remote is not None:
        # The graph is in the remote store: nothing to build here (`hkkg push` fills it).
        try:
            _err(f"remote store {remote.query_url} holds build "
                 f"{RemoteStore(remote).info(max_age=0).build}")
        except (StoreNotBuilt, RemoteStoreError) as exc:
            _err(f"warning: {exc}; serving anyway (/healthz says 503 until it answers)")
    elif not current_link(settings.resolved_store_dir).exists():
        _err("no published store yet: building first")
        code = cmd_build(args, settings)
        if code:
            return code
    elif not args.no_build and (changed := newer_input(settings)) is not None:
        # A pull or an edit since the last build: serving the old graph would hide it.
        _err(f"the published build is older than {changed}: building first "
             "(--no-build serves it as it is)")
        code = cmd_build(args, settings)
        if code:
            _err("the build failed and published nothing; fix the inputs, or serve the "
                 "previous build with `hkkg serve --no-build`")
            return code
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    processes = args.processes if args.processes is not None else settings.processes
    if processes < 1:
        _err(f"--processes must be at least 1, not {processes}")
        return 2
    settings = settings.model_copy(update={"host": host, "port": port})
    _err(f"serving on http://{host}:{port}/ with {processes} process(es) (Ctrl+C to stop)")
    # httptools, but a connection offering `Upgrade: h2c` (every Java client) keeps its body.
    http = HTTP_PROTOCOL
    if processes == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info", http=http)
    else:
        # Each process builds its own app from the same HKKG_* environment.
        uvicorn.run("api.app:create_app", factory=True, host=host, port=port,
                    workers=processes, log_level="info", http=http)
    return 0


def cmd_passages(args: argparse.Namespace, settings: Settings) -> int:
    """List the passages of a document with their keys, for curators writing records."""
    from loaders.documents import read_manifest

    try:
        docs = read_manifest(settings.records_dir, settings.sources_dir)
    except BuildError as exc:
        _err(str(exc))
        return 2
    if args.document not in docs:
        _err(f"unknown document {args.document!r}; expected one of {sorted(docs)}")
        return 2
    for key, p in docs[args.document].passages.items():
        text = docs[args.document].normalised[key]
        print(f"{key:>6}  {p.kind:<9} lines {p.line_start}-{p.line_end}  {text[:100]}")
    return 0


def cmd_coverage(args: argparse.Namespace, settings: Settings) -> int:
    from graph.coverage import run_coverage

    return run_coverage(args, settings)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hkkg",
        description="HK Smart City Knowledge Graph: build, validate, query, export and serve. "
        "Settings come from HKKG_* environment variables (HKKG_DATA_DIR, HKKG_STORE_DIR ...).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("build", help="load, validate and publish the graph (atomic)")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser(
        "validate",
        help="run the SHACL gate on the inputs and print the report; "
        "exit 0 conforms, 1 does not conform, 2 error",
    )
    p.add_argument("--format", choices=["text", "turtle", "json"], default="text")
    p.add_argument("--all", action="store_true", help="text: also list unmentioned-passage warnings")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser(
        "query",
        help="run a SPARQL query on the published store (the remote one with HKKG_STORE_URL) "
        "(prefixes hksc:, id:, skos: ... are predeclared; the query's own PREFIX lines win)",
    )
    p.add_argument("query", help="the query text, or - to read it from stdin")
    p.add_argument("--format", choices=["table", "json", "csv"], default="table")
    p.set_defaults(func=cmd_query)
    p = sub.add_parser("export", help="write the published graph (of the embedded store) to stdout")
    p.add_argument("--format", choices=sorted(EXPORT_FORMATS), default="trig")
    p.set_defaults(func=cmd_export)
    p = sub.add_parser(
        "push",
        help="copy the published build into the remote store (HKKG_STORE_URL, "
        "HKKG_STORE_GRAPH_STORE_URL) with the Graph Store Protocol, then check its counts",
    )
    p.add_argument("--build", action="store_true", help="build first (nothing is pushed "
                                                        "when the build is refused)")
    p.set_defaults(func=cmd_push)
    p = sub.add_parser("serve", help="serve the API (builds first when there is no store, or "
                                      "when an input changed since the published build; "
                                      "with HKKG_STORE_URL, serves the remote store)")
    p.add_argument("--host", default=None, help="bind address (default 127.0.0.1, HKKG_HOST)")
    p.add_argument("--port", type=int, default=None, help="port (default 8000, HKKG_PORT)")
    p.add_argument("--processes", type=int, default=None,
                   help="HTTP processes on the port (default 1, HKKG_PROCESSES)")
    p.add_argument("--no-build", action="store_true",
                   help="serve the published build even when inputs are newer")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser(
        "coverage",
        help="report passages and numbers of the sources that no "
        "claim, mention or not-a-fact entry accounts for",
    )
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--document", default=None, help="only this document id")
    p.set_defaults(func=cmd_coverage)
    p = sub.add_parser("passages", help="list a document's passages and their keys")
    p.add_argument("document", help="document id, e.g. 2024-07-12-legco-paper")
    p.set_defaults(func=cmd_passages)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        settings = Settings()
    except Exception as exc:  # noqa: BLE001 - pydantic's message names the bad variable
        _err(f"invalid settings: {exc}")
        return 2
    code: int = args.func(args, settings)
    return code


if __name__ == "__main__":
    sys.exit(main())
