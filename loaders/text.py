"""Normalisation of extracted text, shared by quote checks and mention matching.

The sources keep PDF-extraction artefacts (``**bold**``, ``<b>``, ``<sup>``,
``\\$``, markdown links, curly quotes). A quote in a record is compared with a
passage after both are normalised the same way, so curators can type the
sentence as a reader sees it; ``locate`` maps the match back to the exact span
of the passage's text, which the graph stores as the quote (``oa:exact``).
"""

from __future__ import annotations

import functools
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


# The steps of normalise() after the quote translation, in order: each pattern is
# replaced by its first group (r"\1"), by nothing, or by a literal text. normalise_map()
# applies the same steps while tracking where each output character came from.
_KEEP_GROUP = r"\1"
_STEPS: tuple[tuple[re.Pattern[str], str], ...] = (
    (_AUTOLINK, _KEEP_GROUP),
    (_MD_LINK, _KEEP_GROUP),
    (_FOOTNOTE_MARK, ""),
    (_INLINE_TAG, ""),
    (_TAG, " "),
    (_HEADING, ""),
    (_EMPHASIS, ""),
    (re.compile(r"\\\$"), "$"),
    (re.compile(r"\\"), ""),
    (_SPACE, " "),
)


def normalise(text: str) -> str:
    """Plain reading text: markup removed, quotes straightened, whitespace collapsed."""
    return readable(text.translate(_QUOTES))


def readable(text: str) -> str:
    """``text`` as a reader sees it, for pages: markup removed and whitespace collapsed,
    but the source's own quote marks kept (unlike :func:`normalise`)."""
    t = text
    for pattern, repl in _STEPS:
        t = pattern.sub(repl, t)
    return t.strip()


Spans = tuple[tuple[int, int], ...]


@functools.lru_cache(maxsize=2048)
def normalise_map(text: str) -> tuple[str, Spans]:
    """``normalise(text)`` with, for each of its characters, the span of ``text`` it comes from.

    A kept character maps to itself; a character a step writes in place of a match
    (the space for a tag or a run of whitespace, the ``$`` of ``\\$``) maps to the
    whole match. Removed markup maps to nothing: it lies between the spans.
    """
    t = text.translate(_QUOTES)
    spans: list[tuple[int, int]] = [(i, i + 1) for i in range(len(text))]
    for pattern, repl in _STEPS:
        out: list[str] = []
        out_spans: list[tuple[int, int]] = []
        pos = 0
        for m in pattern.finditer(t):
            out.append(t[pos:m.start()])
            out_spans.extend(spans[pos:m.start()])
            if repl == _KEEP_GROUP:
                a, b = m.span(1)
                out.append(t[a:b])
                out_spans.extend(spans[a:b])
            elif repl:
                whole = (spans[m.start()][0], spans[m.end() - 1][1])
                out.append(repl)
                out_spans.extend([whole] * len(repl))
            pos = m.end()
        out.append(t[pos:])
        out_spans.extend(spans[pos:])
        t, spans = "".join(out), out_spans
    lead = len(t) - len(t.lstrip())
    kept = t.strip()
    return kept, tuple(spans[lead:lead + len(kept)])


def _unbalanced(text: str) -> int:
    """How much markup ``text`` opens or closes without the other half (0: balanced)."""
    score = text.count("**") % 2 + text.count("__") % 2
    score += abs(text.count("[") - text.count("]")) + abs(text.count("(") - text.count(")"))
    score += abs(text.count("<") - text.count(">"))
    opens = re.findall(r"<([a-zA-Z]+)[^>]*>", text)
    closes = re.findall(r"</([a-zA-Z]+)>", text)
    return score + sum(abs(opens.count(tag) - closes.count(tag)) for tag in set(opens + closes))


def locate(text: str, quote: str) -> tuple[int, int] | None:
    """The span of ``text`` that reads as ``quote``: ``normalise(text[start:end]) == normalise(quote)``.

    The span is the first place where the normalised quote occurs in the normalised
    text, mapped back through ``normalise_map``. Markup right at its edges (``**`` of a
    bold word, the brackets and address of a link) is taken in when that keeps the
    markup balanced and the span still reads as the quote, left out otherwise. None
    when the quote is not in the text, or (never seen) no span reads exactly as it.
    """
    target = normalise(quote)
    norm, spans = normalise_map(text)
    i = norm.find(target) if target else -1
    if i < 0:
        return None
    j = i + len(target)
    start, end = spans[i][0], spans[j - 1][1]
    low = min(spans[i - 1][1], start) if i > 0 else 0
    high = max(spans[j][0], end) if j < len(norm) else len(text)
    candidates = sorted(
        ((s, e) for s in range(low, start + 1) for e in range(end, high + 1)),
        key=lambda se: (_unbalanced(text[se[0]:se[1]]), start - se[0] + se[1] - end),
    )
    return next(((s, e) for s, e in candidates if normalise(text[s:e]) == target), None)


def fold(text: str) -> str:
    """Case-folded normalised text, for matching labels to passages."""
    return normalise(text).casefold()
