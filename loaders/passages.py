"""Cutting a source text into citable passages with stable identifiers.

LegCo papers are cut at their numbered paragraphs (``p/10``); text that a
page break or a footnote separates from its paragraph is joined back to it.
The unnumbered opening paragraph is ``p/1``, footnotes are ``p/fn{n}``, and
every other block (headings, annex text, table rows) is ``p/l{line}``, named
by its first line. Slides have no numbers: a passage is a group of blocks
separated by single blank lines, cut at runs of two or more blank lines and
at level-one headings, and named ``p/l{line}``. The documents never change,
so line-based names are stable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NUMBERED = re.compile(r"^\**(\d{1,3})\.\s+\S")
_FOOTNOTE = re.compile(r"^<sup>(\d+)</sup>\s*")
_SIGNOFF = re.compile(
    r"^\**(January|February|March|April|May|June|July|August|September|October|"
    r"November|December) \d{4}\**\s*$"
)


@dataclass
class Passage:
    """A citable span of a source text."""

    key: str  # "10", "fn1", "l152"
    kind: str  # paragraph | footnote | heading | table | text | slide
    line_start: int
    line_end: int
    blocks: list[str] = field(default_factory=list)
    heading: str | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(self.blocks)

    @property
    def label(self) -> str:
        if self.kind == "paragraph":
            return f"para {self.key}"
        if self.kind == "footnote":
            return f"footnote {self.key[2:]}"
        return f"lines {self.line_start}-{self.line_end}"


@dataclass
class _Block:
    start: int  # 1-based
    end: int
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _blocks(lines: list[str]) -> list[tuple[_Block, int]]:
    """Blocks of non-blank lines, each with the number of blank lines before it."""
    out: list[tuple[_Block, int]] = []
    current: list[str] = []
    start = 0
    blanks = 0
    gap_before = 0
    for i, line in enumerate(lines, start=1):
        if line.strip():
            if not current:
                start = i
                gap_before = blanks
            current.append(line.rstrip("\n"))
            blanks = 0
        else:
            if current:
                out.append((_Block(start, i - 1, current), gap_before))
                current = []
            blanks += 1
    if current:
        out.append((_Block(start, len(lines), current), gap_before))
    return out


def _is_heading(block: _Block) -> bool:
    text = block.text.strip()
    if text.startswith("#"):
        return True
    if text.startswith("**") and text.rstrip().endswith("**"):
        return True
    if len(block.lines) == 1:
        return not re.search(r"[.;:,]\**$", text) and len(text) < 120 and not _lower_start(text)
    return False


def _lower_start(text: str) -> bool:
    """True when the first word is all lower case ("and their ...", not "iAM Smart")."""
    word = text.split(maxsplit=1)[0] if text.split() else ""
    return word.isalpha() and word.islower()


def _is_prose_continuation(block: _Block) -> bool:
    first = block.lines[0].lstrip()
    return _lower_start(first) or first.startswith("- ")


def segment_paper(text: str) -> list[Passage]:
    """Passages of a LegCo paper: numbered paragraphs, footnotes, other blocks."""
    lines = text.split("\n")
    passages: list[Passage] = []
    paragraph: Passage | None = None
    body_ended = False
    heading: str | None = None
    seen_numbered = False
    for block, _gap in _blocks(lines):
        first = block.lines[0].strip()
        if first == "---":
            rest = block.lines[1:]
            if not rest:
                continue
            block = _Block(block.start + 1, block.end, rest)
            first = block.lines[0].strip()
        m = _FOOTNOTE.match(first)
        if m:
            passages.append(
                Passage(f"fn{m.group(1)}", "footnote", block.start, block.end, [block.text],
                        heading)
            )
            continue
        if "\t" in block.text:
            passages.append(Passage(f"l{block.start}", "table", block.start, block.end,
                                    [block.text], heading))
            paragraph = None
            continue
        numbered = _NUMBERED.match(first)
        if numbered and not body_ended:
            seen_numbered = True
            paragraph = Passage(numbered.group(1), "paragraph", block.start, block.end,
                                [block.text], heading)
            passages.append(paragraph)
            continue
        if _SIGNOFF.match(block.lines[-1].strip()):
            body_ended = True
            paragraph = None
            passages.append(Passage(f"l{block.start}", "text", block.start, block.end,
                                    [block.text], heading))
            continue
        if _is_heading(block):
            heading = _plain_heading(block.text)
            passages.append(Passage(f"l{block.start}", "heading", block.start, block.end,
                                    [block.text], heading))
            if body_ended:
                paragraph = None
            continue
        if not body_ended and paragraph is not None and (
            _is_prose_continuation(block) or paragraph.kind == "paragraph"
        ):
            paragraph.blocks.append(block.text)
            paragraph.line_end = block.end
            continue
        if not body_ended and not seen_numbered:
            paragraph = Passage("1", "paragraph", block.start, block.end, [block.text], heading)
            seen_numbered = True
            passages.append(paragraph)
            continue
        if body_ended and paragraph is not None and _is_prose_continuation(block):
            paragraph.blocks.append(block.text)
            paragraph.line_end = block.end
            continue
        paragraph = Passage(f"l{block.start}", "text", block.start, block.end, [block.text],
                            heading)
        passages.append(paragraph)
    return passages


def segment_slides(text: str) -> list[Passage]:
    """Passages of slides: blocks grouped until a wide gap or a level-one heading."""
    lines = text.split("\n")
    passages: list[Passage] = []
    current: Passage | None = None
    for block, gap in _blocks(lines):
        starts_slide = block.lines[0].startswith("# ") or gap >= 2 or current is None
        if starts_slide:
            heading = _plain_heading(block.lines[0])
            current = Passage(f"l{block.start}", "slide", block.start, block.end,
                              [block.text], heading)
            passages.append(current)
        else:
            assert current is not None
            current.blocks.append(block.text)
            current.line_end = block.end
    return passages


def _plain_heading(text: str) -> str:
    from loaders.text import normalise

    return normalise(text)[:200]


SEGMENTERS = {"legco-paper": segment_paper, "slides": segment_slides}
