"""The app factory: nothing is created at import time, every test builds its own app."""

from __future__ import annotations

from fastapi import FastAPI

from api.problems import install_problem_handlers
from api.routers import dump, health, meta, ontology, problems, resources, search, sparql, validation
from graph.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the FastAPI application for the given settings."""
    settings = settings or Settings()
    app = FastAPI(
        title="HK Smart City Knowledge Graph",
        version="0.1.0",
        description="Linked data, SPARQL and validation over Hong Kong's smart-city documents.",
    )
    app.state.settings = settings
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(meta.router)
    app.include_router(ontology.router)
    app.include_router(resources.router)
    app.include_router(search.router)
    app.include_router(dump.router)
    app.include_router(validation.router)
    app.include_router(problems.router)
    app.include_router(sparql.build_router(settings))  # its lifespan runs the query workers
    app.add_middleware(sparql.SparqlFastPath)
    return app
