"""Liveness and readiness: is the process up, is a published graph there."""

from __future__ import annotations

from fastapi import APIRouter, Request

from api.problems import Problem
from graph.errors import StoreNotBuilt
from graph.settings import Settings
from graph.store import current_store_path

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(request: Request) -> dict[str, str]:
    """200 when the service runs and a published store exists, 503 otherwise."""
    settings: Settings = request.app.state.settings
    try:
        path = current_store_path(settings.resolved_store_dir)
    except StoreNotBuilt as exc:
        raise Problem(503, str(exc), kind="store-not-built") from exc
    return {"status": "ok", "build": path.name}
