"""The example-query catalogue: one ``*.rq`` file per example in this folder.

Each file starts with comment lines ``# title: ...`` and ``# description: ...``
followed by the query. The catalogue feeds the query page (one-click examples),
the docs and the endpoint benchmark, so it is read from the files, never duplicated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

QUERIES_DIR = Path(__file__).resolve().parent

_HEADER = re.compile(r"^#\s*(title|description)\s*:\s*(.*?)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ExampleQuery:
    """One example: ``slug`` is the file name without ``.rq``."""

    slug: str
    title: str
    description: str
    query: str


def parse_example(slug: str, text: str) -> ExampleQuery:
    """Split the ``# title:`` / ``# description:`` header from the query text."""
    fields: dict[str, str] = {}
    lines = text.splitlines()
    body_start = 0
    for i, line in enumerate(lines):
        match = _HEADER.match(line)
        if match:
            fields[match.group(1).lower()] = match.group(2)
            body_start = i + 1
        elif line.strip() and not line.lstrip().startswith("#"):
            break
    query = "\n".join(lines[body_start:]).strip() + "\n"
    return ExampleQuery(
        slug=slug,
        title=fields.get("title", slug.replace("-", " ")),
        description=fields.get("description", ""),
        query=query,
    )


def load_catalogue(folder: Path | None = None) -> list[ExampleQuery]:
    """All examples of ``folder`` (default: this package), sorted by slug."""
    folder = folder or QUERIES_DIR
    return [
        parse_example(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(folder.glob("*.rq"))
    ]
