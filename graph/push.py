"""``hkkg push``: copy the published build into a remote store, then check the copy.

Only a published build is pushed, and a build is published only when the SHACL gate
passes, so a refused build never reaches the remote store. Each named graph is replaced
with one Graph Store Protocol ``PUT``. Graphs of an earlier build that this one no longer
has are deleted (only this project's, under ``/id/graph/``), and the dataset metadata
graph, which names the build, goes last, so the API switches to the new build only once
every other graph is in place.

A plain Graph Store Protocol server has no transaction spanning several requests, so a
reader querying *during* a push may see some graphs of the new build beside others of the
old one; the build identifier only changes at the end. A push that fails half-way says
which graph failed; pushing again completes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyoxigraph as ox

from graph.namespaces import GRAPH_METADATA
from graph.remote import GRAPH_PREFIX, RemoteStore, RemoteStoreError
from graph.store import EmbeddedStore


@dataclass(frozen=True)
class PushReport:
    build: str
    graphs: dict[str, int]
    deleted: tuple[str, ...]

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


def _count(result: object) -> dict[str, int]:
    assert isinstance(result, ox.QuerySolutions)
    return {row["g"].value: int(row["n"].value) for row in result}


COUNT_QUERY = f"""SELECT ?g (COUNT(*) AS ?n) WHERE {{
  GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{GRAPH_PREFIX}"))
}} GROUP BY ?g"""


def push(local: EmbeddedStore, remote: RemoteStore,
         progress: Callable[[str], None] = lambda _: None) -> PushReport:
    """Copy every named graph of ``local`` to ``remote`` and verify the counts.

    Raises RemoteStoreError naming the graph and the server's answer when a request
    fails, or when the copy does not hold what was sent."""
    build = local.path.name
    local_counts = _count(local.query(COUNT_QUERY))
    metadata = str(GRAPH_METADATA)
    before = set(_count(remote.query(COUNT_QUERY)))
    stale = tuple(sorted(before - set(local_counts)))

    def put(graph: str) -> None:
        data = local.raw.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
        assert data is not None
        remote.put_graph(graph, data)
        progress(f"  put <{graph}> ({local_counts[graph]} triples)")

    for graph in sorted(g for g in local_counts if g != metadata):
        put(graph)
    for graph in stale:
        remote.delete_graph(graph)
        progress(f"  deleted <{graph}> (not in this build)")
    put(metadata)  # last: the build's name changes once everything else is in place
    after = _count(remote.query(COUNT_QUERY))
    if after != local_counts:
        differ = sorted(g for g in set(after) | set(local_counts)
                        if after.get(g) != local_counts.get(g))
        raise RemoteStoreError(
            "the remote store does not hold what was pushed: "
            + "; ".join(f"<{g}> has {after.get(g, 0)} triples, pushed {local_counts.get(g, 0)}"
                        for g in differ[:5]))
    pushed = remote.info(max_age=0)
    if pushed.build != build:
        raise RemoteStoreError(f"the remote store names build {pushed.build!r} after the push "
                               f"of {build!r}; another push may have run at the same time")
    return PushReport(build, local_counts, stale)
