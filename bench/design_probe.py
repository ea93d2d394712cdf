"""Probe: how close can *any* Python endpoint over pyoxigraph come to raw Oxigraph?

The endpoint runs each query in a separate, killable worker process (see
``docs/decisions/0004-sparql-worker-processes.md``). This probe measures the
designs one would try instead, stripped to the bone (``probe_apps.py``: no
safety scan, no negotiation, no time limit), with the same client, queries
and store as ``sparql_vs_oxigraph.py``, in one run:

- ``endpoint-nocache``: the real endpoint, result cache off;
- ``bare-thread``: uvicorn, 2 processes, query in a thread (cannot be stopped);
- ``bare-inline``: uvicorn, 2 processes, query on the event loop (a slow query
  blocks every other request of its process, and cannot be stopped either);
- ``oxigraph``: ``oxigraph serve-read-only``.

Usage::

    .venv/bin/python bench/design_probe.py [--seconds 8] [--rounds 2] [--clients 4]

Writes ``bench/results/design_probe-<UTC time>.json``.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from sparql_vs_oxigraph import (  # noqa: E402
    _accept,
    _free_port,
    _server,
    endpoint_server,
    load,
    machine,
    oxigraph_server,
    parse_args,
)

from graph.queries import load_catalogue  # noqa: E402
from graph.settings import Settings  # noqa: E402
from graph.store import current_store_path  # noqa: E402


def bare_server(app: str, build: Path, port: int) -> Any:
    env = dict(os.environ, HKKG_PROBE_STORE=str(build))
    cmd = [sys.executable, "-m", "uvicorn", f"probe_apps:{app}", "--app-dir", str(ROOT / "bench"),
           "--workers", "2", "--host", "127.0.0.1", "--port", str(port),
           "--log-level", "warning", "--no-access-log"]
    return _server(cmd, port, env)


def main() -> int:
    args = parse_args(__doc__ or "", 8.0)

    settings = Settings() if args.store_dir is None else Settings(store_dir=args.store_dir)
    store_dir = settings.resolved_store_dir
    build = current_store_path(store_dir)
    queries = [(q.query, _accept(q.query)) for q in load_catalogue()]
    servers = {
        "endpoint-nocache": (lambda port: endpoint_server(store_dir, port, cache=False), "/sparql"),
        "bare-thread": (lambda port: bare_server("thread", build, port), "/"),
        "bare-inline": (lambda port: bare_server("inline", build, port), "/"),
        "oxigraph": (lambda port: oxigraph_server(build, port), "/query"),
    }
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
    for _ in range(args.rounds):
        # One server at a time: the two-process bare apps would otherwise share
        # the cores with idle servers' housekeeping.
        for name, (start, path) in servers.items():
            port = _free_port()
            with start(port) as proc:
                load(port, path, queries, args.clients, 2.0)
                runs[name].append(load(port, path, queries, args.clients, args.seconds,
                                       proc.pid))

    def qps(name: str) -> float:
        return round(sum(r["requests"] for r in runs[name])
                     / sum(r["seconds"] for r in runs[name]), 1)

    def cpu(name: str) -> float | None:
        values = [r["server_cpu_ms_per_request"] for r in runs[name]]
        return None if None in values else round(statistics.mean(values), 3)

    raw = qps("oxigraph")
    result = {
        "benchmark": "design_probe",
        "date_utc": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "machine": machine(),
        "setup": {"clients": args.clients, "seconds_per_round": args.seconds,
                  "rounds": args.rounds, "build": build.name},
        "runs": runs,
        "throughput_qps": {name: qps(name) for name in servers},
        "server_cpu_ms_per_request": {name: cpu(name) for name in servers},
        "ratio_to_oxigraph": {name: round(qps(name) / raw, 3) for name in servers},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"design_probe-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    for name in servers:
        print(f"{name:17} {qps(name):8.1f} queries/s  ratio {result['ratio_to_oxigraph'][name]:5.3f}"
              f"  server CPU {cpu(name)} ms/query")
    print(f"written {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
