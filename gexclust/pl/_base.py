"""Figure creation, saving and showing, following scanpy's ``show``/``save`` conventions."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path

from .._atomic import atomic_path

#: Resolution of figures and their PNGs; drawing and saving at the same dpi lets matplotlib reuse
#: text layout between the bounding-box pass and the PNG pass.
DPI = 120


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

    The tight bounding box is computed once and reused, which spares one full draw per file.
    PNGs use light zlib compression: a few % larger, several times faster to encode.
    """
    bbox = fig.get_tightbbox().padded(0.1)
    for path in map(Path, paths):
        fmt = path.suffix.lstrip(".").lower() or "png"
        extra = {"pil_kwargs": {"compress_level": 1}} if fmt == "png" else {}
        with atomic_path(path) as tmp, _pdf_core_fonts(fmt == "pdf"):
            fig.savefig(tmp, format=fmt, dpi=dpi or "figure", bbox_inches=bbox, **extra)


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


def mark_simulated(fig, adata) -> None:
    """Say on the figure itself when it shows simulated data (the built-in example)."""
    note = adata.uns.get("simulated")
    if note is not None:
        # top edge: above every layout's title and axes, where no label can reach
        fig.text(0.01, 0.995, "SIMULATED expression values (gexclust example data)",
                 fontsize=7, color="#777777", style="italic", ha="left", va="top")


def leaf_fontsize(inches_per_leaf: float) -> float:
    """A label size (pt) that keeps neighbouring leaf labels from overlapping."""
    return float(max(3.0, min(9.0, inches_per_leaf * 72 * 0.8)))
