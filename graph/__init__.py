"""HK Smart City Knowledge Graph: build pipeline, store, validation and CLI."""
