"""The SPARQL 1.1 Protocol endpoint: query analysis, worker processes,
content negotiation, result formats and the service description.

The HTTP side lives in ``api/routers/sparql.py``; this package has no FastAPI
imports except where a request is read, so its parts can be tested alone.
"""
