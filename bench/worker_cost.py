"""What a query worker spends on each catalogue query beyond the engine, in-process.

HTTP benchmarks on a 2-core machine shared with their clients swing by tens of
percent between runs; this one has no HTTP, no clients and no other process,
so it shows steadily what the worker's own code (``api.sparql.workers.execute``:
dataset options, serialization, the row cap) adds to pyoxigraph evaluating
the same query. For each example query (``graph/queries/*.rq``), in the format
the HTTP benchmarks ask for (SPARQL JSON for SELECT/ASK, N-Triples for graphs):

- ``engine``: ``Store.query`` plus reading every answer row or triple;
- ``engine_rust_serializer``: ``Store.query`` plus pyoxigraph's own serializer;
- ``execute``: what a worker runs for a request, back to back (caches hot);
- ``execute_after_idle``: the same after 2 ms asleep each time (not counted), as a
  worker is between requests: its process is switched out and caches go cold.

Then, for one large answer (``SELECT * WHERE { ?s ?p ?o } LIMIT <HKKG_MAX_RESULTS>``)
in each result format: ``execute`` against the engine plus the endpoint's Python
writers (which cut long answers). The catalogue is run round robin, as the HTTP benchmarks send it. Reports
process CPU time per query, best of ``--rounds`` rounds of ``--repeat`` runs. Usage::

    .venv/bin/python bench/worker_cost.py [--store-dir DIR] [--repeat 200] [--rounds 3]

Writes ``bench/results/worker_cost-<UTC time>.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402
from sparql_vs_oxigraph import RESULTS_DIR, machine  # noqa: E402

from api.sparql import formats, workers  # noqa: E402
from graph.namespaces import PREFIXES  # noqa: E402
from graph.queries import ExampleQuery, load_catalogue  # noqa: E402
from graph.settings import Settings  # noqa: E402
from graph.store import open_current_build  # noqa: E402


def engine(store: ox.Store, query: str) -> None:
    for _ in store.query(query, use_default_graph_as_union=True):  # type: ignore[union-attr]
        pass


def engine_rust_serializer(store: ox.Store, query: str) -> None:
    result = store.query(query, use_default_graph_as_union=True)
    if isinstance(result, ox.QuerySolutions | ox.QueryBoolean):
        result.serialize(format=ox.QueryResultsFormat.JSON)
    else:
        result.serialize(format=ox.RdfFormat.N_TRIPLES)


def make_execute(max_results: int) -> Callable[[ox.Store, str], None]:
    def run(store: ox.Store, query: str) -> None:
        outcome = workers.execute(store, workers.Job(query, "json", "ntriples", max_results),
                                  PREFIXES)
        assert outcome.status == "ok", outcome.message

    return run


def cpu_ms(fn: Callable[[ox.Store, str], None], store: ox.Store, queries: list[ExampleQuery],
           repeat: int, rounds: int, idle_s: float = 0.0) -> dict[str, float]:
    """Per query, the best of ``rounds`` of the mean process CPU time (ms) of one run,
    the catalogue taken round robin ``repeat`` times (as the HTTP benchmarks send it),
    sleeping ``idle_s`` before each run (not counted)."""
    best = {q.slug: float("inf") for q in queries}
    for _ in range(rounds):
        spent = dict.fromkeys(best, 0.0)
        for _ in range(repeat):
            for query in queries:
                if idle_s:
                    time.sleep(idle_s)
                started = time.process_time()
                fn(store, query.query)
                spent[query.slug] += time.process_time() - started
        best = {slug: min(best[slug], spent[slug] / repeat) for slug in best}
    return {slug: round(1000 * seconds, 4) for slug, seconds in best.items()}


def large_answers(store: ox.Store, max_results: int, repeat: int = 5) -> dict[str, dict[str, float]]:
    """CPU ms of one ``max_results``-row answer per format: ``execute`` vs the Python writers."""
    query = f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {max_results}"
    out: dict[str, dict[str, float]] = {}
    for fmt in formats.RESULT_FORMATS:
        started = time.process_time()
        for _ in range(repeat):
            workers.execute(store, workers.Job(query, fmt.name, None, max_results))
        middle = time.process_time()
        for _ in range(repeat):
            result = store.query(query, use_default_graph_as_union=True)
            assert isinstance(result, ox.QuerySolutions)
            variables = [v.value for v in result.variables]
            formats.write_solutions(fmt, variables, [tuple(s) for s in result], False, max_results)
        ended = time.process_time()
        out[fmt.name] = {"execute": round(1000 * (middle - started) / repeat, 1),
                         "engine_python_writer": round(1000 * (ended - middle) / repeat, 1)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--store-dir", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args()
    settings = Settings() if args.store_dir is None else Settings(store_dir=args.store_dir)
    build, store, _ = open_current_build(settings.resolved_store_dir)
    measures: dict[str, tuple[Callable[[ox.Store, str], None], float]] = {
        "engine": (engine, 0.0),
        "engine_rust_serializer": (engine_rust_serializer, 0.0),
        "execute": (make_execute(settings.max_results), 0.0),
        "execute_after_idle": (make_execute(settings.max_results), 0.002),
    }
    queries = load_catalogue()
    by_measure = {name: cpu_ms(fn, store, queries, args.repeat, args.rounds, idle_s)
                  for name, (fn, idle_s) in measures.items()}
    per_query = {q.slug: {name: by_measure[name][q.slug] for name in measures} for q in queries}
    means = {name: round(sum(q[name] for q in per_query.values()) / len(per_query), 4)
             for name in measures}
    result: dict[str, Any] = {
        "benchmark": "worker_cost",
        "date_utc": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "machine": machine(),
        "store": {"build": build.name, "triples": len(store)},
        "setup": {"repeat": args.repeat, "rounds": args.rounds, "max_results": settings.max_results},
        "cpu_ms_per_query": per_query,
        "mean_cpu_ms_per_query": means,
        "large_answer_cpu_ms": large_answers(store, settings.max_results),
    }
    for slug, row in per_query.items():
        print(f"{slug:36}" + "".join(f"  {name} {ms:7.3f}" for name, ms in row.items()))
    print(f"{'mean':36}" + "".join(f"  {name} {ms:7.3f}" for name, ms in means.items()))
    for name, row in result["large_answer_cpu_ms"].items():
        print(f"{settings.max_results} rows as {name:5}" + "".join(f"  {k} {v:7.1f} ms"
                                                               for k, v in row.items()))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"worker_cost-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
