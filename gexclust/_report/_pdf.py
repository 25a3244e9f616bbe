"""The report as a PDF of A4 pages: text stays text, figures are images.

No extra dependency: a small flow layout places headings, wrapped paragraphs, tables (split
across pages with their header repeated) and figures top to bottom, starting a new page when
the next block does not fit. When every text of the report is Latin-1 (the usual case), the
PDF is written directly in the standard Helvetica every reader has (no font embedded; the
run's PNGs placed as they are: ~20x faster than drawing the pages with matplotlib);
otherwise matplotlib draws the pages and embeds DejaVu glyph subsets (``pdf.fonttype`` 3,
with a Unicode map), so any text is kept and ``pdftotext`` extracts it.
"""

from __future__ import annotations

import dataclasses
import io
import re
import textwrap
import warnings

from ._model import Bullets, Figure, Paragraph, Report, Table

PAGE_W, PAGE_H = 8.27, 11.69  # A4, inches
MARGIN = 0.7
WIDTH = PAGE_W - 2 * MARGIN
BODY_PT = 9.5
TABLE_PT = 8.0
INK, MUTED, RULE, BAND = "#1d2428", "#5b6770", "#c9d1d7", "#eef2f5"
#: Average advance of a DejaVu Sans character, in ems, used to wrap text to the column width.
EM_PER_CHAR = 0.56
#: The same for Helvetica (narrower).
HELVETICA_EM_PER_CHAR = 0.5
#: Type 3 fonts keep every glyph as text (pdftotext extracts any Unicode) and are ~3x
#: faster to write than TrueType subsets (measured by gexclust run).
FONTTYPE = 3
#: No CreationDate (matplotlib writes the time of writing): the same report is the same file,
#: so 'gexclust report' on an unchanged run changes nothing, and runs can be compared by hash.
PDF_METADATA = {"Creator": "gexclust", "CreationDate": None}
#: Baseline-to-baseline distance in points per point of font size (matplotlib's linespacing
#: is in the same unit for DejaVu Sans: measured).
LINE = 1.4


class _MatplotlibPages:
    """Pages drawn as matplotlib figures into a ``PdfPages``: glyphs of any script embedded.

    The same drawing calls as :class:`~gexclust._report._plain_pdf.PlainPages`, in inches
    from the page's bottom left.
    """

    def __init__(self, pdf) -> None:
        self.pdf, self.fig = pdf, None

    def new_page(self) -> None:
        from matplotlib.figure import Figure as MplFigure

        self.end_page()
        self.fig = MplFigure(figsize=(PAGE_W, PAGE_H))

    def end_page(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None

    def text(self, x: float, y: float, text: str, *, size: float, bold: bool, colour: str,
             ha: str, top: bool, line: float) -> None:
        del line  # matplotlib spaces lines by its own metrics (LINE, in linespacing's unit)
        self.fig.text(x / PAGE_W, y / PAGE_H, text, fontsize=size,
                      fontweight="bold" if bold else "normal", color=colour, ha=ha,
                      va="top" if top else "baseline", multialignment=ha, linespacing=LINE,
                      parse_math=False)

    def rule(self, x0: float, x1: float, y: float, *, colour: str, lw: float) -> None:
        from matplotlib.lines import Line2D

        self.fig.add_artist(Line2D([x0 / PAGE_W, x1 / PAGE_W], [y / PAGE_H, y / PAGE_H],
                                   color=colour, lw=lw))

    def band(self, x: float, y: float, width: float, height: float, *, colour: str) -> None:
        from matplotlib.patches import Rectangle

        self.fig.add_artist(Rectangle((x / PAGE_W, y / PAGE_H), width / PAGE_W,
                                      height / PAGE_H, color=colour, lw=0, zorder=-1))

    def image(self, png: bytes, x: float, y: float, width: float, height: float) -> None:
        import numpy as np
        from PIL import Image

        # the stored 8-bit pixels (matplotlib's imread makes floats of them), placed without
        # resampling: the PDF holds the PNG's own pixels, the reader scales them
        with Image.open(io.BytesIO(png)) as picture:
            pixels = np.asarray(picture if picture.mode in ("RGB", "RGBA")
                                else picture.convert("RGBA"))
        ax = self.fig.add_axes((x / PAGE_W, y / PAGE_H, width / PAGE_W, height / PAGE_H))
        ax.imshow(pixels, interpolation="none", aspect="auto")
        ax.set_axis_off()


class _Flow:
    """A cursor that places blocks down A4 pages and starts a new page when one is full.

    ``y`` is in inches from the top of the page; ``pages`` draws (from the bottom).
    """

    def __init__(self, pages, title: str, *, latin1: bool) -> None:
        self.pages, self.title, self.open, self.y, self.page = pages, title, False, 0.0, 0
        # Helvetica (Latin-1 only) has neither a bullet nor an ellipsis glyph
        self.bullet, self.ellipsis = ("-", "...") if latin1 else ("\u2022", "\u2026")
        self.em_per_char = HELVETICA_EM_PER_CHAR if latin1 else EM_PER_CHAR

    def chars(self, width_in: float, size_pt: float) -> int:
        """How many average characters of ``size_pt`` fit in ``width_in`` inches."""
        return max(8, int(width_in * 72 / (size_pt * self.em_per_char)))

    def new_page(self) -> None:
        self.pages.new_page()
        self.open = True
        self.page += 1
        self.y = MARGIN
        self.text(PAGE_W - MARGIN, PAGE_H - 0.4, f"{self.title} · page {self.page}", size=7,
                  colour=MUTED, ha="right", absolute=True)

    def close(self) -> None:
        self.pages.end_page()
        self.open = False

    def room(self, height: float) -> None:
        """Start a new page unless ``height`` inches still fit on this one."""
        if not self.open or self.y + height > PAGE_H - MARGIN:
            self.new_page()

    def text(self, x: float, y: float, s: str, *, size: float = BODY_PT, weight="normal",
             colour=INK, ha="left", absolute=False) -> None:
        """Text with its top at ``y`` inches from the top.

        With ``absolute``, its baseline at ``y`` inches from the bottom.
        """
        self.pages.text(x, y if absolute else PAGE_H - y, s, size=size, bold=weight == "bold",
                        colour=colour, ha=ha, top=not absolute, line=size * LINE)

    def rule(self, y: float, colour=RULE, lw=0.6) -> None:
        self.pages.rule(MARGIN, PAGE_W - MARGIN, PAGE_H - y, colour=colour, lw=lw)

    def band(self, y: float, height: float, colour: str, width: float = WIDTH) -> None:
        self.pages.band(MARGIN, PAGE_H - (y + height), width, height, colour=colour)

    def lines(self, lines: list[str], *, size=BODY_PT, weight="normal", colour=INK,
              indent=0.0, gap_after=0.08) -> None:
        """Lines of text down the page, one text object per page (drawing is per object)."""
        step = size * LINE / 72
        while lines:
            self.room(step)
            fit = max(1, int((PAGE_H - MARGIN - self.y) // step))
            chunk, lines = lines[:fit], lines[fit:]
            self.text(MARGIN + indent, self.y, "\n".join(chunk), size=size, weight=weight,
                      colour=colour)
            self.y += step * len(chunk)
        self.y += gap_after


#: A run of blanks, as HTML collapses them to one space (ASCII only: a no-break space stays).
_BLANKS = re.compile(r"[ \t\n\r\f\v]+")


def render_pdf(report: Report) -> bytes:
    """The PDF document of ``report`` as bytes."""
    report = _as_html_shows(report)
    if _all_latin1(report):  # Helvetica has every glyph: the PDF is written directly
        from ._plain_pdf import PlainPages

        pages = PlainPages(PAGE_W, PAGE_H, title=report.title, creator=PDF_METADATA["Creator"])
        _draw(_Flow(pages, report.title, latin1=True), report)
        return pages.document()
    return _render_with_matplotlib(report)


def _render_with_matplotlib(report: Report) -> bytes:
    """The PDF of a report with text beyond Latin-1: DejaVu glyphs embedded by matplotlib."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages

    rc = {"text.hinting": "no_hinting", "pdf.fonttype": FONTTYPE, "font.family": "DejaVu Sans"}
    buffer = io.BytesIO()
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        # labels in scripts DejaVu lacks are drawn as boxes (and kept as text): not an error
        warnings.filterwarnings("ignore", message="Glyph .* missing from", category=UserWarning)
        with PdfPages(buffer, metadata=PDF_METADATA | {"Title": report.title}) as pdf:
            _draw(_Flow(_MatplotlibPages(pdf), report.title, latin1=False), report)
    return buffer.getvalue()


def _as_html_shows(value):
    """``value`` (the report, or any part of it) with each run of blanks one space.

    The HTML report shows text so. In the PDF, textwrap expanded a tab (a type 'Bone<TAB>Marrow'
    read from a CSV) to the next multiple of 8 columns, and a table measured it as one
    character, so its cells were drawn wide apart and over their neighbours.
    """
    if isinstance(value, str):
        return _BLANKS.sub(" ", value)
    if isinstance(value, list):
        return [_as_html_shows(item) for item in value]
    if dataclasses.is_dataclass(value):
        return dataclasses.replace(value, **{f.name: _as_html_shows(getattr(value, f.name))
                                             for f in dataclasses.fields(value)})
    return value


def _draw(flow: _Flow, report: Report) -> None:
    flow.new_page()
    _cover(flow, report)
    for section in report.sections:
        _section(flow, section)
    flow.close()


def _all_latin1(report: Report) -> bool:
    """Whether every text of ``report`` can be written with the PDF's standard fonts."""
    texts = [report.title, report.subtitle, report.banner]
    for section in report.sections:
        texts.append(section.title)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                texts.append(block.text)
            elif isinstance(block, Bullets):
                texts += block.items
            elif isinstance(block, Table):
                texts += [block.caption, *block.columns, *(c for row in block.rows for c in row)]
            elif isinstance(block, Figure):
                texts.append(block.caption)
    text = "".join(texts)
    try:  # Latin-1 as WinAnsiEncoding (cp1252) draws it: no C1 control characters
        text.encode("latin-1")
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _cover(flow: _Flow, report: Report) -> None:
    flow.lines(textwrap.wrap(report.title, flow.chars(WIDTH, 17)), size=17, weight="bold")
    flow.lines(textwrap.wrap(report.subtitle, flow.chars(WIDTH, 8.5), break_long_words=True),
               size=8.5, colour=MUTED, gap_after=0.15)
    if report.banner:
        lines = textwrap.wrap(report.banner, flow.chars(WIDTH - 0.3, BODY_PT))
        height = len(lines) * BODY_PT * LINE / 72 + 0.16
        flow.room(height)
        flow.band(flow.y, height, "#fff4d6")
        flow.y += 0.08
        flow.lines(lines, indent=0.15, gap_after=0.2)


def _section(flow: _Flow, section) -> None:
    flow.room(0.9)  # a heading is never the last thing on a page
    flow.y += 0.12
    flow.rule(flow.y)
    flow.y += 0.08
    flow.lines([section.title], size=13, weight="bold", gap_after=0.1)
    for block in section.blocks:
        if isinstance(block, Paragraph):
            flow.lines(textwrap.wrap(block.text, flow.chars(WIDTH, BODY_PT)))
        elif isinstance(block, Bullets):
            for item in block.items:
                wrapped = textwrap.wrap(item, flow.chars(WIDTH - 0.2, BODY_PT))
                flow.lines([f"{flow.bullet}  {wrapped[0]}"], gap_after=0)
                flow.lines(wrapped[1:], indent=0.17, gap_after=0)
            flow.y += 0.08
        elif isinstance(block, Table):
            _table(flow, block)
        elif isinstance(block, Figure):
            _figure(flow, block)


def _table(flow: _Flow, table: Table) -> None:
    size = TABLE_PT
    widths = [max([len(c), *(len(r[j]) for r in table.rows)], default=1)
              for j, c in enumerate(table.columns)]
    # shrink the font, then narrow the widest columns, until the columns fit the page
    while sum(widths) + 2 * len(widths) > flow.chars(WIDTH, size) and size > 6:
        size -= 0.5
    budget = flow.chars(WIDTH, size) - 2 * len(widths)
    while sum(widths) > budget and max(widths) > 6:
        widths[widths.index(max(widths))] -= 1
    step = size * LINE / 72
    # natural width (one average character per character), never wider than the page
    scale = min(WIDTH / max(sum(widths) + 2 * len(widths), 1),
                size * flow.em_per_char * 1.15 / 72)
    x_left = [MARGIN + scale * (sum(widths[:j]) + 2 * j + 0.5) for j in range(len(widths))]
    x_right = [x + scale * widths[j] for j, x in enumerate(x_left)]

    def wrapped(row: list[str]) -> list[list[str]]:
        """Each cell's lines at its column's width: a long cell is wrapped, never cut.

        Cut at the width, two long type names that differ only at the end read the same.
        """
        return [textwrap.wrap(text, max(widths[j], 1), break_on_hyphens=False) or [""]
                for j, text in enumerate(row)]

    header, body = wrapped(table.columns), [wrapped(row) for row in table.rows]
    # rows of several lines are told apart by an empty line between them
    gap = int(any(len(cell) > 1 for row in body for cell in row))

    def height(row: list[list[str]]) -> int:
        return max(len(cell) for cell in row)

    def rows(block: list[list[list[str]]], *, header: bool) -> None:
        """Rows that fit on this page, one text object per column."""
        n_lines = sum(height(row) for row in block) + (0 if header else gap * len(block))
        if header:
            flow.band(flow.y - 0.02, step * n_lines, BAND, width=x_right[-1] + scale - MARGIN)
        for j in range(len(widths)):
            right = j in table.numeric
            lines = []
            for row in block:
                lines += row[j] + [""] * (height(row) - len(row[j]) + (0 if header else gap))
            flow.text(x_right[j] if right else x_left[j], flow.y, "\n".join(lines), size=size,
                      weight="bold" if header else "normal", ha="right" if right else "left")
        flow.y += step * n_lines

    if table.caption:
        flow.room(2 * step + 0.3)
        flow.lines(textwrap.wrap(table.caption, flow.chars(WIDTH, size)), size=size,
                   colour=MUTED,
                   gap_after=0.03)
    flow.room((height(header) + 1) * step)
    rows([header], header=True)
    todo, fresh = body, False
    while todo:
        room = int((PAGE_H - MARGIN - flow.y) // step)
        fit = 0
        while fit < len(todo) and sum(height(r) + gap for r in todo[:fit + 1]) <= room:
            fit += 1
        if fit < 1 and fresh:
            fit = 1  # a row longer than a whole page: drawn as it is, not forever deferred
        if fit < 1:
            flow.new_page()
            rows([header], header=True)
            fresh = True
            continue
        rows(todo[:fit], header=False)
        todo, fresh = todo[fit:], False
    flow.y += 0.15


def _figure(flow: _Flow, figure: Figure) -> None:
    from PIL import Image

    with Image.open(io.BytesIO(figure.png)) as png:  # reads the header only
        width_px, height_px = png.size
    caption = textwrap.wrap(figure.caption, flow.chars(WIDTH, 8))
    caption_h = len(caption) * 8 * LINE / 72 + 0.1
    width = min(WIDTH, width_px / 100)  # the figures are drawn at 120 dpi: a little larger
    height = width * height_px / width_px
    most = PAGE_H - 2 * MARGIN - caption_h - 0.3
    if height > most:
        width, height = width * most / height, most
    flow.room(height + caption_h)
    left = MARGIN + (WIDTH - width) / 2
    flow.pages.image(figure.png, left, PAGE_H - (flow.y + height), width, height)
    flow.y += height + 0.06
    flow.lines(caption, size=8, colour=MUTED, gap_after=0.15)
