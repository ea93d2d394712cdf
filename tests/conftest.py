"""Session fixtures: the real graph, built once from the project's data into a tmp store."""

from __future__ import annotations

import pytest
from helpers import DATA_DIR

from graph.build import build
from graph.settings import Settings
from graph.store import EmbeddedStore


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


