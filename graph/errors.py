"""Errors of the build, each naming where the bad input is and what was expected."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class InputProblem:
    """One problem in one input file: the file, the line (1-based) and the message."""

    file: Path | str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        return f"{where}: {self.message}"


class BuildError(Exception):
    """The build cannot publish; carries every problem found, not just the first."""

    def __init__(self, problems: list[InputProblem] | InputProblem | str):
        if isinstance(problems, str):
            problems = [InputProblem("<build>", None, problems)]
        elif isinstance(problems, InputProblem):
            problems = [problems]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class StoreNotBuilt(Exception):
    """No published store exists yet; run `hkkg build`."""
