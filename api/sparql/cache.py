"""A small LRU cache of serialized answers, keyed by build and request.

The store is read-only between builds, so the same query with the same
dataset and format always gets the same bytes until ``current`` moves; the
build name is part of the key, so a rebuild makes old entries unreachable
(they age out). Answers come back from the worker with the build they were
computed on, and are filed under that build, never under the one the request
expected. Non-deterministic queries (RAND, NOW, UUID, STRUUID, BNODE) are not
cached: callers check ``QueryInfo.deterministic``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from api.sparql.workers import Outcome


class ResultCache:
    """LRU over total body bytes; one entry may use at most a quarter of it."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.max_entry = max_bytes // 4
        self._entries: OrderedDict[Hashable, Outcome] = OrderedDict()
        self._size = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> Outcome | None:
        outcome = self._entries.get(key)
        if outcome is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return outcome

    def put(self, key: Hashable, outcome: Outcome) -> None:
        size = len(outcome.body)
        if outcome.status != "ok" or size > self.max_entry or key in self._entries:
            return
        self._entries[key] = outcome
        self._size += size
        while self._size > self.max_bytes and self._entries:
            _, old = self._entries.popitem(last=False)
            self._size -= len(old.body)

    def __len__(self) -> int:
        return len(self._entries)
