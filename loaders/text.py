"""Normalisation of extracted text, shared by quote checks and mention matching.

The sources keep PDF-extraction artefacts (``**bold**``, ``<b>``, ``<sup>``,
``\\$``, markdown links, curly quotes). A quote in a record is compared with a
passage after both are normalised the same way, so curators can type the
sentence as a reader sees it.
"""

from __future__ import annotations

import re

_FOOTNOTE_MARK = re.compile(r"<sup>\s*\d+\s*</sup>")
_INLINE_TAG = re.compile(r"</?(sup|sub|b|i|em|strong|u)>")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")
_AUTOLINK = re.compile(r"<(https?://[^>]+)>")
_EMPHASIS = re.compile(r"(\*\*|__|\*)")
_HEADING = re.compile(r"(?m)^\s*#{1,6}\s+")
_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "\u00a0": " "})


def normalise(text: str) -> str:
    """Plain reading text: markup removed, quotes straightened, whitespace collapsed."""
    t = text.translate(_QUOTES)
    t = _AUTOLINK.sub(r"\1", t)
    t = _MD_LINK.sub(r"\1", t)
    t = _FOOTNOTE_MARK.sub("", t)
    t = _INLINE_TAG.sub("", t)
    t = _TAG.sub(" ", t)
    t = _HEADING.sub("", t)
    t = _EMPHASIS.sub("", t)
    t = t.replace("\\$", "$").replace("\\", "")
    t = _SPACE.sub(" ", t)
    return t.strip()


def fold(text: str) -> str:
    """Case-folded normalised text, for matching labels to passages."""
    return normalise(text).casefold()
