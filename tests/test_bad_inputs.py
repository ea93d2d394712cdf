"""Bad input gets a clear error naming file and line, and the previous store keeps serving.

Each test starts from a published build of the real data, breaks one input
in a copy of the data folder, runs the build again and checks (1) the error
message names the file, the line and what was expected, and (2) ``current``
still points at the earlier build, whose answers are unchanged.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import data_copy

from graph.build import build
from graph.errors import BuildError
from graph.settings import Settings
from graph.store import EmbeddedStore, current_store_path

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A data copy and a store with one good build (built once for the module)."""
    root = tmp_path_factory.mktemp("good")
    data = data_copy(root)
    store_dir = root / "store"
    build(Settings(data_dir=data, store_dir=store_dir), progress=lambda _m: None)
    return data, store_dir


@pytest.fixture
def workspace(published: tuple[Path, Path], tmp_path: Path) -> Settings:
    data, store_dir = published
    shutil.copytree(data, tmp_path / "data")
    shutil.copytree(store_dir, tmp_path / "store", symlinks=True)
    return Settings(data_dir=tmp_path / "data", store_dir=tmp_path / "store")


def _count(settings: Settings) -> str:
    result = EmbeddedStore.open_current(settings.resolved_store_dir).query(COUNT)
    return next(iter(result))["n"].value


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return i
    raise AssertionError(needle)


def _refused(settings: Settings, breaker: Callable[[Path], None]) -> str:
    before_path = current_store_path(settings.resolved_store_dir)
    before_count = _count(settings)
    breaker(settings.data_dir)
    with pytest.raises(BuildError) as info:
        build(settings, progress=lambda _m: None)
    assert current_store_path(settings.resolved_store_dir) == before_path
    assert _count(settings) == before_count
    builds = list((settings.resolved_store_dir / "builds").iterdir())
    assert builds == [before_path], "a failed build must leave no half-written build behind"
    return str(info.value)


CLAIMS_2024_07 = "records/claims/2024-07-12-legco-paper.yaml"


def test_malformed_yaml(workspace: Settings) -> None:
    path = workspace.data_dir / CLAIMS_2024_07
    line = _line_of(path, "measure: registered-users")

    def breaker(data: Path) -> None:
        _edit(path, "measure: registered-users", "measure: [registered-users")

    message = _refused(workspace, breaker)
    assert "claims/2024-07-12-legco-paper.yaml:" in message
    assert "malformed YAML" in message
    reported = int(re.search(r"legco-paper\.yaml:(\d+)", message).group(1))  # type: ignore[union-attr]
    assert line <= reported <= line + 3


def test_quote_not_in_passage(workspace: Settings) -> None:
    path = workspace.data_dir / CLAIMS_2024_07
    line = _line_of(path, "quote: Over 2.7 million") - 8  # the claim's "- id:" line

    def breaker(data: Path) -> None:
        _edit(path, "quote: Over 2.7 million", "quote: Over 2.8 million")

    message = _refused(workspace, breaker)
    assert f"claims/2024-07-12-legco-paper.yaml:{line}: quote not found in passage " \
           "2024-07-12-legco-paper/p/10" in message


def test_key_typed_inside_verbatim(workspace: Settings) -> None:
    """A key inside the quoted verbatim string would be lost silently; it is refused."""
    path = workspace.data_dir / CLAIMS_2024_07
    needle = 'verbatim: "over 60 government departments", date: 2024-06'
    line = _line_of(path, needle)

    def breaker(data: Path) -> None:
        _edit(path, needle, 'verbatim: "over 60 government departments, date: 2024-06"')

    message = _refused(workspace, breaker)
    assert f"claims/2024-07-12-legco-paper.yaml:{line}: verbatim 'over 60 government " \
           "departments, date: 2024-06' is not in the quote" in message


def test_unknown_entity_reference(workspace: Settings) -> None:
    path = workspace.data_dir / CLAIMS_2024_07

    def breaker(data: Path) -> None:
        _edit(path, "about: platform/iam-smart", "about: platform/iam-smrat")

    message = _refused(workspace, breaker)
    assert re.search(r"2024-07-12-legco-paper\.yaml:\d+: unknown entity reference "
                     r"'platform/iam-smrat' in 'about'", message)


def test_duplicate_identifier(workspace: Settings) -> None:
    path = workspace.data_dir / "records/entities/platforms.yaml"

    def breaker(data: Path) -> None:
        with path.open("a", encoding="utf-8") as f:
            f.write("  - id: platform/cdeg\n    type: Platform\n    label: Another gateway\n")

    message = _refused(workspace, breaker)
    assert re.search(r"entities/platforms\.yaml:\d+: duplicate identifier 'platform/cdeg' "
                     r"\(first defined at .*platforms\.yaml:\d+\)", message)


def test_unknown_chinese_language_tag(workspace: Settings) -> None:
    path = workspace.data_dir / "records/entities/content-b.yaml"

    def breaker(data: Path) -> None:
        _edit(path, "    zh_lang: zh-Hans\n", "    zh_lang: zh-CN\n")

    message = _refused(workspace, breaker)
    assert re.search(r"entities/content-b\.yaml:\d+: zh_lang 'zh-CN': expected one of "
                     r"\['zh-Hans', 'zh-Hant'\]", message)


def test_unparseable_date(workspace: Settings) -> None:
    path = workspace.data_dir / "records/claims/2025-05-12-legco-paper.yaml"
    line = _line_of(path, "date: 2025-04")

    def breaker(data: Path) -> None:
        _edit(path, "date: 2025-04", "date: April 2025")

    message = _refused(workspace, breaker)
    assert "2025-05-12-legco-paper.yaml:" in message
    assert "unparseable date 'April 2025': expected YYYY-MM-DD, YYYY-MM" in message
    reported = int(re.search(r"legco-paper\.yaml:(\d+): unparseable", message).group(1))  # type: ignore[union-attr]
    assert reported < line


def test_unparseable_amount(workspace: Settings) -> None:
    path = workspace.data_dir / CLAIMS_2024_07

    def breaker(data: Path) -> None:
        _edit(path, "value: 100000000", "value: 100 million")

    message = _refused(workspace, breaker)
    assert re.search(r"2024-07-12-legco-paper\.yaml:\d+: unparseable amount '100 million': "
                     r"expected a number", message)


def test_malformed_turtle(workspace: Settings) -> None:
    def breaker(data: Path) -> None:
        (data / "rdf").mkdir(exist_ok=True)
        (data / "rdf" / "extra.ttl").write_text(
            "@prefix ex: <http://example.org/> .\nex:a ex:b ex:c .\nex:d ex:e\n",
            encoding="utf-8")

    message = _refused(workspace, breaker)
    assert "rdf/extra.ttl" in message and "malformed turtle" in message


def test_broken_table_row(workspace: Settings) -> None:
    """A source table that no longer parses names the source file and line (sources are
    never edited in the project; this checks the loader on a copy)."""
    path = workspace.data_dir / "sources/2024-07-12-legco-smart-city-subcommittee-paper.txt"
    line = _line_of(path, "Smart Living\t15\t1\t16")

    def breaker(data: Path) -> None:
        _edit(path, "Smart Living\t15\t1\t16", "Smart Living\t15\tone\t16")

    message = _refused(workspace, breaker)
    assert f"2024-07-12-legco-smart-city-subcommittee-paper.txt:{line}: expected three whole " \
           "numbers" in message


def test_shacl_violation_refuses(workspace: Settings) -> None:
    def breaker(data: Path) -> None:
        (data / "rdf").mkdir(exist_ok=True)
        (data / "rdf" / "bad-claim.ttl").write_text(
            "@prefix hksc: <https://w3id.org/hk-smartcity/def/> .\n"
            "<https://w3id.org/hk-smartcity/id/claim/x> a hksc:Observation .\n",
            encoding="utf-8")

    message = _refused(workspace, breaker)
    assert "violation(s): nothing published" in message
    assert "claim/x" in message


def test_good_rebuild_swaps(workspace: Settings) -> None:
    """The control: an unbroken rebuild publishes a new build and prunes the oldest."""
    before = current_store_path(workspace.resolved_store_dir)
    build(workspace, progress=lambda _m: None)
    after = current_store_path(workspace.resolved_store_dir)
    assert after != before
    assert _count(workspace) != "0"
