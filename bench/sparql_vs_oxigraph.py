"""Benchmark: the project's /sparql endpoint against a raw Oxigraph server.

Both serve the same published build, answer the same queries (the example
catalogue, ``graph/queries/*.rq``) to the same client (``--clients`` processes,
each a closed loop of keep-alive HTTP POSTs with the standard library's
``http.client``), in one run, alternating rounds so that drift hits both alike.
Before timing, every query's answers from both servers are compared (as
multisets of rows: ``GROUP BY`` output order is not stable between processes).

Usage::

    .venv/bin/python bench/sparql_vs_oxigraph.py [--store-dir DIR] [--seconds 10]
        [--rounds 2] [--clients 4] [--remote]

``--remote`` adds ``endpoint-remote``: the endpoint (cache off) over the raw Oxigraph
server as its remote store (``HKKG_STORE_URL``); its server CPU adds the Oxigraph
server's CPU during its rounds to the endpoint's.

``--store-dir`` defaults to the configured store (``hkkg build`` first). The
result is printed and written to ``bench/results/sparql_vs_oxigraph-<UTC time>.json``.
This is a benchmark, not a test: numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pyoxigraph as ox  # noqa: E402

from api.http_protocol import IMPORT_STRING as HTTP_PROTOCOL  # noqa: E402
from api.sparql.safety import analyse  # noqa: E402
from api.sparql.workers import mimalloc_path, preload_env  # noqa: E402
from graph.build import newer_input  # noqa: E402
from graph.queries import ExampleQuery, load_catalogue  # noqa: E402
from graph.settings import Settings  # noqa: E402
from graph.store import current_store_path  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"
JSON_RESULTS = "application/sparql-results+json"
NTRIPLES = "application/n-triples"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_up(port: int, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            status, _ = _post(HTTPConnection("127.0.0.1", port, timeout=5), "/sparql",
                              "ASK {}", JSON_RESULTS)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not come up")


@contextmanager
def _server(cmd: list[str], port: int, env: dict[str, str] | None = None) -> Any:
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    try:
        _wait_until_up(port, proc)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def endpoint_server(store_dir: Path, port: int, cache: bool = True,
                    store_url: str | None = None, allocator: str | None = None) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HKKG_")}
    env["HKKG_STORE_DIR"] = str(store_dir)
    if not cache:
        env["HKKG_QUERY_CACHE_MB"] = "0"
    if allocator is not None:
        env["HKKG_WORKER_ALLOCATOR"] = allocator
    if store_url is not None:
        env["HKKG_STORE_URL"] = store_url
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
           "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
           "--no-access-log", "--http", HTTP_PROTOCOL]
    return _server(cmd, port, env)


def oxigraph_server(build: Path, port: int, preload: Path | None = None) -> Any:
    exe = Path(sys.executable).parent / "oxigraph"
    cmd = [str(exe), "serve-read-only", "--location", str(build),
           "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    return _server(cmd, port, None if preload is None else preload_env(preload))


def _post(conn: HTTPConnection, path: str, query: str, accept: str,
          client: str | None = None) -> tuple[int, bytes]:
    body = urlencode({"query": query})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
    if client is not None:
        # Each client process is one client: the endpoint runs at most HKKG_CLIENT_QUERIES
        # queries per client address at once, and takes the address from X-Forwarded-For
        # on connections from 127.0.0.1 (uvicorn's trusted proxy). Oxigraph ignores it.
        headers["X-Forwarded-For"] = client
    conn.request("POST", path, body=body, headers=headers)
    resp = conn.getresponse()
    return resp.status, resp.read()


def _accept(query: str) -> str:
    form = analyse(query).form
    return NTRIPLES if form in ("CONSTRUCT", "DESCRIBE") else JSON_RESULTS


def _normalise(body: bytes, accept: str) -> Any:
    if accept == NTRIPLES:
        dataset = ox.Dataset(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))
        dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
        return sorted(str(q) for q in dataset)
    result = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    assert isinstance(result, ox.QuerySolutions)
    return sorted(tuple(str(t) for t in row) for row in result)


def compare_answers(ours: int, raw: int, queries: list[ExampleQuery]) -> dict[str, Any]:
    """Fetch every query from both servers; report per-query agreement."""
    out = {}
    a, b = HTTPConnection("127.0.0.1", ours), HTTPConnection("127.0.0.1", raw)
    for q in queries:
        accept = _accept(q.query)
        sa, ba = _post(a, "/sparql", q.query, accept)
        sb, bb = _post(b, "/query", q.query, accept)
        same = sa == sb == 200 and _normalise(ba, accept) == _normalise(bb, accept)
        out[q.slug] = {"same": same, "status": [sa, sb],
                       "size": len(_normalise(ba, accept)) if sa == 200 else None}
    return out


def _client(port: int, path: str, queries: list[tuple[str, str]], offset: int,
            seconds: float, out: Any) -> None:
    conn = HTTPConnection("127.0.0.1", port, timeout=60)
    latencies: list[float] = []
    errors = 0
    i = offset
    deadline = time.perf_counter() + seconds
    while True:
        started = time.perf_counter()
        if started >= deadline:
            break
        query, accept = queries[i % len(queries)]
        i += 1
        try:
            status, _ = _post(conn, path, query, accept, f"192.0.2.{offset + 1}")
        except OSError:
            errors += 1
            conn = HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        if status != 200:
            errors += 1
        latencies.append(time.perf_counter() - started)
    out.put((latencies, errors, time.process_time()))


def tree_cpu_seconds(pid: int, descendants: bool = True) -> float | None:
    """User + system CPU seconds of ``pid`` and (unless told not to) its live
    descendants (Linux ``/proc``).

    Throughput swings by tens of percent between rounds on a shared 2-core
    machine; CPU time per request is the steadier measure of what a server
    spends on each query. ``None`` where ``/proc`` is not available."""
    tick = os.sysconf("SC_CLK_TCK")
    stats: dict[int, tuple[int, float]] = {}
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return None
    for entry in entries:
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    if pid not in stats:
        return None
    if not descendants:
        return stats[pid][1]
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        total += stats[current][1]
        todo += [child for child, (parent, _) in stats.items() if parent == current]
    return total


def load(port: int, path: str, queries: list[tuple[str, str]], clients: int,
         seconds: float, server_pid: int | None = None,
         backend_pid: int | None = None) -> dict[str, Any]:
    """``clients`` processes, closed loop, for ``seconds``: throughput, latency, CPU
    (server CPU includes ``backend_pid``'s, a store the server queries, when given)."""
    ctx = mp.get_context("fork")
    out: Any = ctx.Queue()
    procs = [ctx.Process(target=_client, args=(port, path, queries, n, seconds, out))
             for n in range(clients)]
    backend_before = tree_cpu_seconds(backend_pid) if backend_pid else 0.0
    cpu_before = tree_cpu_seconds(server_pid) if server_pid else None
    own_before = tree_cpu_seconds(server_pid, descendants=False) if server_pid else None
    started = time.perf_counter()
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    cpu_after = tree_cpu_seconds(server_pid) if server_pid else None
    backend_after = tree_cpu_seconds(backend_pid) if backend_pid else 0.0
    if cpu_before is not None and cpu_after is not None:
        cpu_after += (backend_after or 0.0) - (backend_before or 0.0)
    own_after = tree_cpu_seconds(server_pid, descendants=False) if server_pid else None
    latencies = sorted(x for lat, _, _ in results for x in lat)
    errors = sum(e for _, e, _ in results)
    client_cpu = sum(c for _, _, c in results)
    return {
        "requests": len(latencies), "errors": errors, "seconds": round(elapsed, 3),
        "throughput_qps": round(len(latencies) / elapsed, 1),
        "client_cpu_ms_per_request": round(1000 * client_cpu / max(1, len(latencies)), 3),
        "server_cpu_ms_per_request": round(1000 * (cpu_after - cpu_before) / len(latencies), 3)
        if cpu_before is not None and cpu_after is not None and latencies else None,
        # The top process alone: for the endpoint, the HTTP process without its workers.
        "server_top_process_cpu_ms_per_request":
        round(1000 * (own_after - own_before) / len(latencies), 3)
        if own_before is not None and own_after is not None and latencies else None,
        "latency_ms_p50": round(1000 * statistics.median(latencies), 2) if latencies else None,
        "latency_ms_p95": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 2)
        if latencies else None,
    }


def parse_args(doc: str, seconds: float,
               extra: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    """The options every benchmark here takes (``extra`` adds a script's own)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    if extra is not None:
        extra(parser)
    parser.add_argument("--store-dir", type=Path, default=None)
    parser.add_argument("--seconds", type=float, default=seconds, help="per round and server")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    return parser.parse_args()


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {"cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(),
            "pyoxigraph": getattr(ox, "__version__", "unknown")}


def _options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--remote", action="store_true",
                        help="also the endpoint over the Oxigraph server as its remote store")
    parser.add_argument("--allow-stale", action="store_true",
                        help="run even when an input is newer than the store's published build")
    parser.add_argument("--allocators", action="store_true",
                        help="also endpoint-nocache with the system's malloc in its workers, and "
                             "the Oxigraph server with mimalloc preloaded")


def main() -> int:
    args = parse_args(__doc__ or "", 10.0, _options)
    settings = Settings() if args.store_dir is None else Settings(store_dir=args.store_dir)
    store_dir = settings.resolved_store_dir
    # Three runs of 2026-12-02 read a build older than the day's data without a word: numbers
    # of an old build do not describe the graph this code serves.
    changed = newer_input(settings)
    if changed is not None and not args.allow_stale:
        print(f"the published build in {store_dir} is older than {changed}: run `hkkg build` "
              "(or pass --store-dir of a fresh build, or --allow-stale)", file=sys.stderr)
        return 2
    build = current_store_path(store_dir)
    examples = load_catalogue()
    queries = [(q.query, _accept(q.query)) for q in examples]
    triples = len(ox.Store.read_only(str(build)))
    names = ["endpoint", "endpoint-nocache", "oxigraph"]
    if args.remote:
        names.append("endpoint-remote")
    mimalloc = mimalloc_path()
    if args.allocators:
        if mimalloc is None:
            print("--allocators: the cmeel-mimalloc package is not installed", file=sys.stderr)
            return 2
        names += ["endpoint-nocache-system-malloc", "oxigraph-mimalloc"]
    ports = {name: _free_port() for name in names}
    paths = {name: "/query" if name.startswith("oxigraph") else "/sparql" for name in ports}
    endpoints = [name for name in ports if not name.startswith("oxigraph")]
    servers = {
        "endpoint": lambda: endpoint_server(store_dir, ports["endpoint"]),
        "endpoint-nocache": lambda: endpoint_server(store_dir, ports["endpoint-nocache"], cache=False),
        "oxigraph": lambda: oxigraph_server(build, ports["oxigraph"]),
        "endpoint-remote": lambda: endpoint_server(
            store_dir, ports["endpoint-remote"], cache=False,
            store_url=f"http://127.0.0.1:{ports['oxigraph']}/query"),
        "endpoint-nocache-system-malloc": lambda: endpoint_server(
            store_dir, ports["endpoint-nocache-system-malloc"], cache=False, allocator="system"),
        "oxigraph-mimalloc": lambda: oxigraph_server(build, ports["oxigraph-mimalloc"], mimalloc),
    }

    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in ports}
    with ExitStack() as stack:
        pids = {name: stack.enter_context(servers[name]()).pid for name in names}
        backend = {"endpoint-remote": pids["oxigraph"]}
        answers = {name: compare_answers(ports[name], ports["oxigraph"], examples)
                   for name in endpoints}
        for name in ports:
            load(ports[name], paths[name], queries, args.clients, 2.0)  # warm-up
        for _ in range(args.rounds):
            for name in ports:
                runs[name].append(load(ports[name], paths[name], queries, args.clients,
                                       args.seconds, pids[name], backend.get(name)))

    def total(name: str) -> float:
        reqs = sum(r["requests"] for r in runs[name])
        secs = sum(r["seconds"] for r in runs[name])
        return round(reqs / secs, 1)

    def cpu(name: str, key: str = "server_cpu_ms_per_request") -> float | None:
        values = [r[key] for r in runs[name]]
        if any(v is None for v in values) or not values:
            return None
        return round(statistics.mean(values), 3)

    raw = total("oxigraph")
    same = all(a["same"] for per_server in answers.values() for a in per_server.values())
    result: dict[str, Any] = {
        "benchmark": "sparql_vs_oxigraph",
        "date_utc": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "machine": machine(),
        "store": {"build": build.name, "triples": triples},
        "setup": {"clients": args.clients, "seconds_per_round": args.seconds,
                  "rounds": args.rounds, "queries": [q.slug for q in examples],
                  "endpoint_workers": settings.query_workers,
                  "endpoint_cache_mb": settings.query_cache_mb,
                  # What the endpoints' workers preloaded: the servers start without the
                  # benchmark's HKKG_* settings, so their default, where the wheel is installed.
                  "endpoint_worker_allocator": "mimalloc" if mimalloc else "system",
                  "client": "http.client keep-alive POST, one process per client",
                  "servers": {"endpoint": "uvicorn api.app (result cache on, default)",
                              "endpoint-nocache": "the same with HKKG_QUERY_CACHE_MB=0",
                              "endpoint-remote": "the same over the oxigraph server as "
                                                 "HKKG_STORE_URL (with --remote; its CPU "
                                                 "includes the oxigraph server's)",
                              "oxigraph": "oxigraph serve-read-only --union-default-graph",
                              "endpoint-nocache-system-malloc": "endpoint-nocache with "
                                  "HKKG_WORKER_ALLOCATOR=system (with --allocators)",
                              "oxigraph-mimalloc": "oxigraph with mimalloc in LD_PRELOAD "
                                                   "(with --allocators)"}},
        "same_answers": same,
        "answers": answers["endpoint"],
        "answers_by_server": answers,
        "runs": runs,
        "throughput_qps": {name: total(name) for name in ports},
        "server_cpu_ms_per_request": {name: cpu(name) for name in ports},
        "server_top_process_cpu_ms_per_request": {
            name: cpu(name, "server_top_process_cpu_ms_per_request") for name in ports},
        "ratio_to_oxigraph": {name: round(total(name) / raw, 3) if raw else None
                              for name in endpoints},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = args.out / f"sparql_vs_oxigraph-{stamp}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"queries: {len(examples)} examples, {args.clients} clients, "
          f"{args.rounds} x {args.seconds:g} s per server; store {triples} triples")
    print(f"same answers: {result['same_answers']}")
    for name in ports:
        print(f"{name:17} {total(name):8.1f} queries/s  server CPU {cpu(name)} ms/query "
              f"(top process {cpu(name, 'server_top_process_cpu_ms_per_request')})  "
              + "  ".join(f"p50 {r['latency_ms_p50']} ms p95 {r['latency_ms_p95']} ms "
                          f"errors {r['errors']}" for r in runs[name]))
    for name, ratio in result["ratio_to_oxigraph"].items():
        print(f"{name} / oxigraph = {ratio}  (target >= 0.8)")
    print(f"written {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0 if result["same_answers"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
