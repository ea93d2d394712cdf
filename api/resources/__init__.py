"""Linked-data resources: what /id/... answers about one thing."""
