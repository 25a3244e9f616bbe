"""Figure creation, saving and showing, following scanpy's ``show``/``save`` conventions."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

import numpy as np

from .._atomic import atomic_path

#: Resolution of figures and their PNGs; drawing and saving at the same dpi lets matplotlib reuse
#: text layout between the bounding-box pass and the PNG pass.
DPI = 120
#: White space kept around the content of a saved figure (as matplotlib's ``pad_inches``).
PAD_INCHES = 0.1
#: How far labels may hang over a figure's edge and still be caught by the one-draw crop.
OVERHANG_INCHES = 2.0


def new_figure(figsize: tuple[float, float], *, show: bool | None):
    """A Figure managed by pyplot when pyplot is in use (notebooks), a bare Figure otherwise.

    Scripts and the CLI never import pyplot, which keeps them fast and free of GUI backends.
    """
    if show or "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize, dpi=DPI)
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, dpi=DPI)


def save_figure(fig, paths, *, dpi: int | None = None) -> None:
    """Save ``fig`` to each path (format from its extension), atomically, cropped to its content.

    Where a PNG is asked for at the figure's own dpi, the figure is drawn once, on a canvas
    ``OVERHANG_INCHES`` larger than the figure on every side, and the pixels are cropped to the
    content plus ``PAD_INCHES``; that crop box then serves the other formats. This spares the
    separate layout pass of ``bbox_inches='tight'``. When content reaches the edge of that
    canvas (it may go further), or the background is not the figure's own colour, the exact
    route is taken: matplotlib's tight bounding box. Content *detached* from the figure by more
    than ``OVERHANG_INCHES`` would be missed; gexclust's figures place none (tested against
    ``bbox_inches='tight'``). PNGs use light zlib compression (a few % larger, several times
    faster to encode) and unhinted text.
    """
    import matplotlib

    # unhinted glyphs lay out ~40% faster and look the same at this resolution
    with matplotlib.rc_context({"text.hinting": "no_hinting"}):
        _save(fig, [(Path(p), Path(p).suffix.lstrip(".").lower() or "png") for p in paths], dpi)


def _save(fig, todo: list[tuple[Path, str]], dpi: int | None) -> None:
    bbox = None
    png = next((path for path, fmt in todo if fmt == "png"), None)
    if png is not None and dpi in (None, fig.dpi):
        cropped = _draw_cropped(fig)
        if cropped is not None:
            pixels, bbox = cropped
            with atomic_path(png) as tmp:
                _write_png(tmp, pixels, fig.dpi)
            todo = [(path, fmt) for path, fmt in todo if path != png]
    if todo and bbox is None:
        bbox = fig.get_tightbbox().padded(PAD_INCHES)
    for path, fmt in todo:
        extra = {"pil_kwargs": {"compress_level": 1}} if fmt == "png" else {}
        with atomic_path(path) as tmp, _pdf_core_fonts(fmt == "pdf"):
            fig.savefig(tmp, format=fmt, dpi=dpi or "figure", bbox_inches=bbox, **extra)


def _draw_cropped(fig):
    """Draw ``fig`` once, with room around it, and crop the pixels to the content plus padding.

    Labels and legends may hang over the figure's edge (``bbox_inches='tight'`` exists for
    that), so the canvas is the figure grown by ``OVERHANG_INCHES`` on every side. Returns
    ``(rgba, bbox_inches)``, or ``None`` when content reaches the edge of even that canvas.
    """
    import io

    from matplotlib.colors import to_rgba
    from matplotlib.transforms import Bbox

    dpi = fig.dpi
    width, height = fig.get_size_inches()
    grown = Bbox.from_bounds(-OVERHANG_INCHES, -OVERHANG_INCHES, width + 2 * OVERHANG_INCHES,
                             height + 2 * OVERHANG_INCHES)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="rgba", dpi=dpi, bbox_inches=grown, pad_inches=0)
    n_cols = int(grown.width * dpi)
    raw = np.frombuffer(buffer.getbuffer(), dtype=np.uint8)
    if raw.size % (4 * n_cols):
        return None  # canvas size not as computed: let matplotlib crop
    rgba = raw.reshape(-1, n_cols, 4)
    background = np.round(np.asarray(to_rgba(fig.get_facecolor())) * 255).astype(np.uint8)
    content = rgba.view(np.uint32)[..., 0] != background.view(np.uint32)[0]
    rows = np.flatnonzero(content.any(axis=1))
    cols = np.flatnonzero(content.any(axis=0))
    n_rows = rgba.shape[0]
    if not rows.size or rows[0] == 0 or cols[0] == 0 or rows[-1] == n_rows - 1 \
            or cols[-1] == n_cols - 1:
        return None
    pad = round(PAD_INCHES * dpi)
    top, bottom = rows[0] - pad, rows[-1] + 1 + pad
    left, right = cols[0] - pad, cols[-1] + 1 + pad
    out = np.empty((bottom - top, right - left, 4), dtype=np.uint8)
    out[...] = background  # the padding may reach past the canvas
    inside = (slice(max(top, 0), min(bottom, n_rows)), slice(max(left, 0), min(right, n_cols)))
    out[inside[0].start - top:inside[0].stop - top,
        inside[1].start - left:inside[1].stop - left] = rgba[inside]
    bbox = Bbox.from_extents(left / dpi, (n_rows - bottom) / dpi, right / dpi,
                             (n_rows - top) / dpi).translated(grown.x0, grown.y0)
    return out, bbox


def _write_png(path, rgba, dpi: float) -> None:
    from matplotlib.image import imsave

    imsave(path, rgba, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})


@contextlib.contextmanager
def _pdf_core_fonts(active: bool):
    """Write PDF text in the standard Helvetica every viewer has, instead of embedding fonts.

    Embedding (subsetting) DejaVu Sans for every label doubles the cost of writing a PDF; the
    text stays vector and selectable either way. matplotlib logs that Helvetica's weight is
    named 'medium', which is harmless and silenced here.
    """
    if not active:
        yield
        return
    import matplotlib

    font_log = logging.getLogger("matplotlib.font_manager")
    level = font_log.level
    font_log.setLevel(logging.ERROR)
    try:
        with matplotlib.rc_context({"pdf.use14corefonts": True}):
            yield
    finally:
        font_log.setLevel(level)


def finish(
    fig, *, show: bool | None, save: str | os.PathLike | None, dpi: int | None = None
) -> None:
    """Save ``fig`` atomically to ``save`` (format from the extension) and show it if asked."""
    if save is not None:
        save_figure(fig, [save], dpi=dpi)
    if show:
        import matplotlib.pyplot as plt

        plt.show()


def mark_simulated(fig, simulated: bool) -> None:
    """Say on the figure itself when it shows simulated data (the built-in example)."""
    if simulated:
        # top edge: above every layout's title and axes, where no label can reach
        fig.text(0.01, 0.995, "SIMULATED expression values (gexclust example data)",
                 fontsize=7, color="#777777", style="italic", ha="left", va="top")


def leaf_fontsize(inches_per_leaf: float) -> float:
    """A label size (pt) that keeps neighbouring leaf labels from overlapping."""
    return float(max(3.0, min(9.0, inches_per_leaf * 72 * 0.8)))


#: ``gid`` prefix of the row/column labels of :func:`side_labels`: ``'gexclust-label-bottom'``...
LABEL_GID = "gexclust-label"


def side_labels(ax, labels, *, side: str, fontsize: float, rotation: float = 0.0,
                colours=None, positions=None, pad: float = 3.0) -> list:
    """Label rows or columns of ``ax`` along one side with plain text, ``pad`` points away.

    Looks like tick labels, but one Text per label instead of a Tick (two lines, two texts and
    a marker copy each): several times cheaper to create and to draw for 50-100 labels.
    Positions default to the cell centres 0.5, 1.5, ... in data units. Returns the Texts;
    :func:`labels_of` finds them again.
    """
    from matplotlib.transforms import offset_copy

    positions = np.arange(len(labels)) + 0.5 if positions is None else positions
    if side == "bottom":
        base, anchor, shift, align = ax.get_xaxis_transform(), 0.0, (0, -pad), ("center", "top")
    elif side in ("left", "right"):
        base, anchor = ax.get_yaxis_transform(), 0.0 if side == "left" else 1.0
        shift = (-pad, 0) if side == "left" else (pad, 0)
        align = ("right" if side == "left" else "left", "center")
    else:
        msg = f"side={side!r} is not valid; choose one of 'bottom', 'left', 'right'"
        raise ValueError(msg)
    transform = offset_copy(base, fig=ax.figure, x=shift[0], y=shift[1], units="points")
    colours = colours if colours is not None else [None] * len(labels)
    texts = []
    for position, label, colour in zip(positions, labels, colours, strict=True):
        xy = (position, anchor) if side == "bottom" else (anchor, position)
        texts.append(ax.text(*xy, str(label), transform=transform, ha=align[0], va=align[1],
                             rotation=rotation, rotation_mode="default", fontsize=fontsize,
                             color=colour, gid=f"{LABEL_GID}-{side}", clip_on=False))
    return texts


def no_ticks(*axes) -> None:
    """Remove every tick (and its label) from ``axes``; ticks cost time even when hidden."""
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])


def labels_of(ax, side: str) -> list:
    """The Texts that :func:`side_labels` put on ``side`` of ``ax``, in order."""
    return [t for t in ax.texts if t.get_gid() == f"{LABEL_GID}-{side}"]
