"""Session fixtures: the real graph, built once from the project's data into a tmp store."""

from __future__ import annotations

import pytest
from helpers import DATA_DIR
from rdflib import Graph

from graph.build import Assembled, assemble, build
from graph.settings import Settings
from graph.store import EmbeddedStore
from loaders.documents import SourceDocument, read_manifest


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose store holds a fresh build of the real data (built once per session)."""
    store_dir = tmp_path_factory.mktemp("store")
    settings = Settings(data_dir=DATA_DIR, store_dir=store_dir)
    build(settings, progress=lambda _msg: None)
    return settings


@pytest.fixture(scope="session")
def built_store(built_settings: Settings) -> EmbeddedStore:
    return EmbeddedStore.open_current(built_settings.resolved_store_dir)




@pytest.fixture(scope="session")
def assembled(tmp_path_factory: pytest.TempPathFactory) -> Assembled:
    """The real data assembled (loaded, not gated or published), once per session."""
    settings = Settings(data_dir=DATA_DIR, store_dir=tmp_path_factory.mktemp("unused-store"))
    return assemble(settings, progress=lambda _m: None)


@pytest.fixture(scope="session")
def union(assembled: Assembled) -> Graph:
    return assembled.union()


@pytest.fixture(scope="session")
def docs() -> dict[str, SourceDocument]:
    return read_manifest(DATA_DIR / "records", DATA_DIR / "sources")
