"""Fixtures of the SPARQL endpoint tests.

``sparql_store`` is a store directory with the real layout (``builds/x`` +
``current``) filled from ``sparql_data.TRIG``. ``client`` is an in-process
TestClient (its lifespan starts real worker processes); ``live`` is a real
uvicorn server on 127.0.0.1 driven by real clients, once over the fixture
store and once over the real graph when ``built_settings`` (a session fixture
of tests/conftest.py that builds the project graph) exists.
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from fastapi.testclient import TestClient
from servers import free_port, stop, wait_until_serving
from sparql_data import TRIG

from api.app import create_app
from api.http_protocol import IMPORT_STRING as HTTP_PROTOCOL
from graph.settings import Settings
from graph.store import current_store_path

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_build(store_dir: Path, trig: str, name: str = "x", publish: bool = True) -> Path:
    """Write ``trig`` into ``store_dir/builds/<name>`` and point ``current`` at it."""
    build = store_dir / "builds" / name
    build.mkdir(parents=True)
    store = ox.Store(str(build))
    store.load(trig.encode(), format=ox.RdfFormat.TRIG)
    store.flush()
    del store
    gc.collect()
    if publish:
        tmp = store_dir / f".current-{name}"
        tmp.symlink_to(build.relative_to(store_dir))
        os.replace(tmp, store_dir / "current")
    return build


def settings_for(store_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {"store_dir": store_dir, "data_dir": store_dir.parent,
                                 "query_timeout_s": 5.0}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sparql_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store_dir = tmp_path_factory.mktemp("sparql") / "store"
    make_build(store_dir, TRIG)
    return store_dir


@pytest.fixture(scope="session")
def sparql_settings(sparql_store: Path) -> Settings:
    return settings_for(sparql_store)


@pytest.fixture(scope="session")
def direct(sparql_store: Path) -> ox.Store:
    """The same store opened directly, to compare the endpoint's answers with."""
    return ox.Store.read_only(str(current_store_path(sparql_store)))


@contextmanager
def app_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="session")
def client(sparql_settings: Settings) -> Iterator[TestClient]:
    with app_client(sparql_settings) as c:
        yield c


def settings_env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HKKG_")}
    for name, value in settings.model_dump().items():
        if value is not None:
            env[f"HKKG_{name.upper()}"] = str(value)
    return env


@contextmanager
def running_server(settings: Settings) -> Iterator[str]:
    """uvicorn serving ``create_app`` for ``settings`` on 127.0.0.1; yields its base URL."""
    for _attempt in range(3):
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app",
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
             "--http", HTTP_PROTOCOL],
            cwd=REPO_ROOT, env=settings_env(settings),
        )
        url = f"http://127.0.0.1:{port}"
        if wait_until_serving(url + "/healthz", proc):
            break
        stop(proc)  # the port was taken meanwhile, or it did not start: try again
    else:
        raise RuntimeError("uvicorn did not start")
    try:
        yield url
    finally:
        stop(proc)


@dataclass(frozen=True)
class Live:
    """A running endpoint and the store it serves, opened directly."""

    url: str
    store: ox.Store
    settings: Settings

    @property
    def endpoint(self) -> str:
        return self.url + "/sparql"


@pytest.fixture(scope="session", params=["fixture-graph", "real-graph"])
def live(request: pytest.FixtureRequest, sparql_settings: Settings) -> Iterator[Live]:
    if request.param == "fixture-graph":
        settings = sparql_settings
    else:
        try:
            built = request.getfixturevalue("built_settings")
        except pytest.FixtureLookupError:
            pytest.skip("no built_settings fixture (real graph build) in tests/conftest.py yet")
        settings = built.model_copy(update={"query_timeout_s": 10.0})
    with live_server(settings) as live_:
        yield live_


@contextmanager
def live_server(settings: Settings) -> Iterator[Live]:
    """``running_server`` for ``settings``, with its store opened directly."""
    store = ox.Store.read_only(str(current_store_path(settings.resolved_store_dir)))
    with running_server(settings) as url:
        yield Live(url, store, settings)
