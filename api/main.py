"""ASGI entry point for `uvicorn api.main:app`; the app is built by the factory."""

from api.app import create_app

app = create_app()
