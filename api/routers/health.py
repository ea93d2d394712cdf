"""Liveness and readiness: is the process up, is a published graph there."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.problems import Problem
from graph.errors import StoreNotBuilt
from graph.remote import RemoteStore, RemoteStoreError
from graph.settings import Settings
from graph.store import current_store_path

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(request: Request) -> dict[str, str]:
    """200 when the service runs and a published store exists, 503 otherwise.

    With a remote store (HKKG_STORE_URL) the server is asked which build it holds, so a
    replica whose store is down or empty reports it and a load balancer can skip it."""
    settings: Settings = request.app.state.settings
    remote = settings.remote_config()
    try:
        if remote is not None:
            return {"status": "ok", "build": RemoteStore(remote).info(max_age=0).build,
                    "store": "remote"}
        return {"status": "ok", "build": current_store_path(settings.resolved_store_dir).name,
                "store": "embedded"}
    except StoreNotBuilt as exc:
        raise Problem(503, str(exc), kind="store-not-built") from exc
    except RemoteStoreError as exc:
        raise Problem(503, str(exc), kind="store-unavailable",
                      setting="HKKG_STORE_URL") from exc
