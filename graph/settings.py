"""All settings of the project in one place.

Every setting has a default and a description, and can be overridden by an
environment variable with the prefix ``HKKG_`` (``HKKG_DATA_DIR``,
``HKKG_QUERY_TIMEOUT_S`` ...). The descriptions are served by the API and
checked by a test, so an undocumented setting fails CI.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from graph.namespaces import BASE as MINTED_BASE

if TYPE_CHECKING:
    from graph.remote import RemoteConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Runtime settings; construct once and pass down (no module-level singletons)."""

    model_config = SettingsConfigDict(env_prefix="HKKG_", extra="forbid")

    base_iri: str = Field(
        default=MINTED_BASE,
        description="Canonical base IRI of every resource; /id/... and /def/... hang off it, "
        f"and the server resolves /id/{{path}} to <base>id/{{path}}. The build mints IRIs under "
        f"{MINTED_BASE} only, so another value is refused for now.",
    )

    @field_validator("base_iri")
    @classmethod
    def _base_is_the_minted_one(cls, value: str) -> str:
        # The loaders, shapes and queries spell the base out; a different value would make
        # every /id/ request a 404 instead of failing here, where the cause is clear.
        if value != MINTED_BASE:
            raise ValueError(f"HKKG_BASE_IRI is {value!r}, but the graph's IRIs are minted "
                             f"under {MINTED_BASE!r} (graph/namespaces.py); another base is "
                             "not supported yet")
        return value
    data_dir: Path = Field(
        default=PROJECT_ROOT / "data",
        description="Folder holding sources/ (the documents), records/ (curated YAML) "
        "and rdf/ (extra RDF files, each loaded into its own named graph).",
    )
    store_dir: Path | None = Field(
        default=None,
        description="Folder of the embedded Oxigraph store and its builds; "
        "defaults to <data_dir>/store.",
    )
    keep_builds: int = Field(
        default=2, ge=1, description="How many published builds to keep on disk."
    )
    store_url: str | None = Field(
        default=None,
        description="SPARQL query endpoint of a remote store (Oxigraph server: "
        "http://host:7878/query; Fuseki: http://host:3030/<dataset>/sparql). When set, the "
        "API and `hkkg query` read the graph there instead of the embedded store; "
        "`hkkg push` fills it. Unset: the embedded store under store_dir.",
    )
    store_graph_store_url: str | None = Field(
        default=None,
        description="Graph Store Protocol endpoint of the remote store, used by `hkkg push` "
        "(Oxigraph server: http://host:7878/store; Fuseki: http://host:3030/<dataset>/data).",
    )
    store_user: str | None = Field(
        default=None, description="User name for HTTP basic authentication at the remote store."
    )
    store_password: SecretStr | None = Field(
        default=None, description="Password for HTTP basic authentication at the remote store."
    )
    store_poll_s: float = Field(
        default=2.0,
        gt=0,
        description="How long (seconds) the API trusts what it last read of which build the "
        "remote store holds; after a push, answers of the old build may be served this long.",
    )
    store_max_response_mb: int = Field(
        default=256,
        ge=1,
        description="Largest answer (MiB) read from the remote store for one query; the rows "
        "past max_results are never read, so this bounds very long rows and /dump (the "
        "whole build).",
    )

    @field_validator("store_url", "store_graph_store_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"{value!r} is not an http(s) URL of a SPARQL server")
        return value

    host: str = Field(default="127.0.0.1", description="Address `hkkg serve` binds to.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port `hkkg serve` listens on.")
    processes: int = Field(
        default=1,
        ge=1,
        description="HTTP processes `hkkg serve` starts on the one port, each with its own "
        "query workers and cache (the API keeps no other state, so they answer alike); more "
        "use more cores.",
    )
    query_timeout_s: float = Field(
        default=5.0,
        gt=0,
        description="Hard time limit of one SPARQL query in seconds; a request may "
        "lower it (timeout=) but never raise it. The worker running a query past it is killed.",
    )
    query_workers: int = Field(
        default=2, ge=1, description="Worker processes that run SPARQL queries."
    )
    query_workers_burst: int = Field(
        default=1,
        ge=0,
        description="Extra SPARQL worker processes started when every worker is busy "
        "(kept until shutdown), so a slow query does not hold up the next one.",
    )
    client_queries: int = Field(
        default=2,
        ge=0,
        description="Most SPARQL queries one client (IP address; behind a trusted proxy, the "
        "address it forwards) runs at once; its further queries wait for one of its own to "
        "end (429 past the time limit), so one client cannot hold every worker. 0: no limit.",
    )
    worker_memory_mb: int = Field(
        default=2048,
        ge=0,
        description="Most heap memory (MiB) one SPARQL worker process may use (RLIMIT_DATA); "
        "a query that needs more stops with a 503 naming this setting and the worker is "
        "replaced. 0: no limit.",
    )
    worker_allocator: Literal["mimalloc", "system"] = Field(
        default="mimalloc",
        description="Memory allocator of the SPARQL worker processes: 'mimalloc' preloads the "
        "mimalloc library the package depends on (cmeel-mimalloc) into each worker, since the "
        "engine allocates heavily and spends less CPU per query with it (bench/README.md); "
        "'system' keeps the C library's malloc. Where the library is missing, the workers "
        "use the system's and the server says so at start.",
    )
    query_cache_mb: int = Field(
        default=64,
        ge=0,
        description="Memory (MiB) for answers of repeated SPARQL queries, keyed by published "
        "build (an older build's answers are never served); queries using RAND, NOW, UUID, "
        "STRUUID or BNODE are never cached. 0 disables the cache.",
    )
    max_results: int = Field(
        default=10_000,
        ge=1,
        description="Most rows (SELECT) or triples (CONSTRUCT/DESCRIBE) returned; "
        "longer answers are truncated and say so.",
    )
    max_result_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        description="Largest SPARQL answer body in bytes; a longer answer is cut to the rows "
        "or triples that fit and says it was truncated (HKKG-Truncated), like one past "
        "max_results. One row can be very long (a string a query builds).",
    )
    max_body_bytes: int = Field(
        default=1_000_000, ge=1024, description="Largest accepted request body (413 above)."
    )
    max_query_length: int = Field(
        default=20_000, ge=100, description="Longest accepted SPARQL query in characters."
    )

    def remote_config(self) -> RemoteConfig | None:
        """How to reach the remote store, or None when the graph is in the embedded one."""
        from graph.remote import RemoteConfig

        if self.store_url is None:
            return None
        return RemoteConfig(
            query_url=self.store_url,
            graph_store_url=self.store_graph_store_url,
            user=self.store_user,
            password=self.store_password.get_secret_value() if self.store_password else None,
            timeout_s=self.query_timeout_s,
            max_response_bytes=self.store_max_response_mb * 1024 * 1024,
            poll_s=self.store_poll_s,
        )

    @property
    def resolved_store_dir(self) -> Path:
        """The store folder, defaulting to ``<data_dir>/store``."""
        return self.store_dir if self.store_dir is not None else self.data_dir / "store"

    @property
    def sources_dir(self) -> Path:
        return self.data_dir / "sources"

    @property
    def records_dir(self) -> Path:
        return self.data_dir / "records"

    @property
    def rdf_dir(self) -> Path:
        return self.data_dir / "rdf"
