"""The report as plain data: sections of paragraphs, lists, tables and figures.

Both renderers (HTML and PDF) draw the same model, so the two files say the same things. Every
string in the model is plain text; renderers escape it for their format.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Paragraph:
    """A paragraph of plain text."""

    text: str


@dataclass
class Bullets:
    """A bulleted list of plain-text items."""

    items: list[str]


@dataclass
class Table:
    """A table of plain-text cells; ``numeric`` columns are right-aligned."""

    columns: list[str]
    rows: list[list[str]]
    caption: str = ""
    numeric: tuple[int, ...] = ()


@dataclass
class Figure:
    """A PNG image with a caption."""

    png: bytes
    caption: str
    alt: str


@dataclass
class Section:
    """A titled section; ``key`` is its stable id (HTML anchor, tests)."""

    key: str
    title: str
    blocks: list = field(default_factory=list)


@dataclass
class Report:
    """Title, a subtitle line, a warning banner (e.g. simulated data) and the sections."""

    title: str
    subtitle: str
    sections: list[Section]
    banner: str = ""
