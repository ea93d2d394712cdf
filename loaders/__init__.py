"""Loaders: one module per kind of input, registered in a plain dict.

Each loader turns one kind of input into triples of a named graph; the
build (graph/build.py) runs them in order and gates the result with SHACL.
"""
