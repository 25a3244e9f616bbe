"""Figure creation, saving and showing, following scanpy's ``show``/``save`` conventions."""

from __future__ import annotations

import math
import os
import sys
from numbers import Real
from pathlib import Path

import numpy as np

from .._atomic import atomic_path
from .._logging import logger

#: Resolution of figures and their PNGs: saved at the dpi they were drawn at, the crop box
#: computed once (in inches) fits every format.
DPI = 120
#: White space kept around the content of a saved figure (as matplotlib's ``pad_inches``).
PAD_INCHES = 0.1


def new_figure(figsize: tuple[float, float], *, show: bool | None):
    """A Figure managed by pyplot when pyplot is in use (notebooks), a bare Figure otherwise.

    Scripts and the CLI never import pyplot, which keeps them fast and free of GUI backends.
    """
    if figsize is not None:
        check_figsize(figsize)
    if show or "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        return plt.figure(figsize=figsize, dpi=DPI)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, dpi=DPI)
    # its own Agg canvas from the start: whatever is measured while the figure is drawn up and
    # saved (label extents, the crop box) then comes from the renderer that draws the PNG, so
    # every text is laid out once (see save_figure)
    FigureCanvasAgg(fig)
    return fig


#: Width of a character of a label, in em, when room is made for labels before they are
#: measured: above DejaVu Sans' average (~0.6 em) so that room is rarely short; the crop of
#: :func:`save_figure` takes off what is left over.
LABEL_EM = 0.75


def label_inches(labels, fontsize: float) -> float:
    """Room for the longest of ``labels`` at ``fontsize`` points, estimated from its length."""
    return max((len(str(label)) for label in labels), default=0) * fontsize * LABEL_EM / 72


def grown_canvas(size: tuple[float, float], *, left: float = 0.0, right: float = 0.0,
                 bottom: float = 0.0, top: float = 0.0) -> tuple[tuple[float, float], dict]:
    """A canvas for a figure of ``size`` with ``left``... inches of room outside its subplots.

    The canvas grows on each side where matplotlib's default margin is narrower than the room
    asked for. Returns the grown size and gridspec margins (fractions of it) that put the
    subplots where the default margins put them on a figure of ``size``. Labels and legends
    reaching past those margins then stay on the canvas, so that :func:`save_figure` cuts
    the PNG from the canvas; its crop takes any extra room off again.
    """
    import matplotlib

    rc = matplotlib.rcParams
    width, height = size
    default = {"left": rc["figure.subplot.left"] * width,
               "right": (1 - rc["figure.subplot.right"]) * width,
               "bottom": rc["figure.subplot.bottom"] * height,
               "top": (1 - rc["figure.subplot.top"]) * height}
    asked = {"left": left, "right": right, "bottom": bottom, "top": top}
    room = {side: max(default[side], asked[side]) for side in default}
    grown = (width - default["left"] - default["right"] + room["left"] + room["right"],
             height - default["bottom"] - default["top"] + room["bottom"] + room["top"])
    margins = {"left": room["left"] / grown[0], "right": 1 - room["right"] / grown[0],
               "bottom": room["bottom"] / grown[1], "top": 1 - room["top"] / grown[1]}
    return grown, margins


def check_plot_arguments(*, figsize=None, save=None, cmap=None) -> None:
    """Refuse a bad ``figsize``, ``save`` or ``cmap`` before a plot reads the AnnData.

    A plot writes colours into ``.uns[f'{key}_colors']`` as it reads its columns: checked
    only when the figure was made or saved, a bad argument was refused after they were
    written (``pl.dendrogram(adata, color='batch', figsize=5)`` left ``batch_colors``).
    ``show`` (``bool | None``) is checked before the call by :func:`gexclust._api.named`.
    """
    if figsize is not None:
        check_figsize(figsize)
    if save is not None and save is not False:
        _refuse_save(save)
    if isinstance(cmap, str):  # a Colormap object is taken as it is
        import matplotlib

        if cmap not in matplotlib.colormaps:
            msg = (f"cmap={cmap!r} is not a matplotlib colormap (e.g. 'RdBu_r', 'viridis'; "
                   "list(matplotlib.colormaps) names them all)")
            raise ValueError(msg)


def check_figsize(figsize) -> None:
    """Refuse a ``figsize`` that is not two numbers above 0 (matplotlib's unit third is kept).

    ``figsize=5`` was matplotlib's "object of type 'int' has no len()", ``(0, 5)`` numpy's
    "Singular matrix" from pl.clustermap's layout, and ``(3, 0)`` an empty heatmap without a
    word.
    """
    sizes = list(figsize) if isinstance(figsize, tuple | list | np.ndarray) else []
    if len(sizes) == 3 and isinstance(sizes[2], str):  # (10, 6, 'cm'), matplotlib >= 3.10
        sizes = sizes[:2]
    fits = len(sizes) == 2 and all(
        isinstance(size, Real) and not isinstance(size, bool) and 0 < size < np.inf
        for size in sizes)
    if not fits:
        msg = f"figsize must be (width, height) in inches, two numbers above 0, got {figsize!r}"
        raise ValueError(msg)


def save_figure(fig, paths, *, dpi: int | None = None) -> None:
    """Save ``fig`` to each path (format from its extension), atomically, cropped to its content.

    The crop box is matplotlib's tight bounding box plus ``PAD_INCHES``, widened to whole
    pixels; computed once, it serves every format. A figure on an Agg canvas (:func:`new_figure`
    gives every figure one) whose content lies on its canvas has its PNG cut from one drawing
    of the canvas, by the renderer that measured the box: pixel for pixel what
    ``savefig(bbox_inches=box)`` draws (tested), without laying out every text a second time
    on a renderer of the cropped size (~0.1 s of a run's figures). Other figures, and the
    other formats, are drawn by ``savefig(bbox_inches=box)``. One difference remains, in the
    margin past the canvas: what matplotlib draws beyond the extents it measures (half a
    thick line's width, a text's ``bbox`` patch) at the very edge of the canvas is cut off
    there, where savefig would show it; gexclust's figures keep such things off the edges.
    PNGs use light zlib compression (a few % larger, several times faster to encode) and
    unhinted text; an opaque PNG is saved as RGB. PDFs embed the glyphs they use
    (``pdf.fonttype`` 3, with a Unicode map), so every character survives, Greek letters
    included, and text stays selectable and searchable.
    """
    import matplotlib

    with matplotlib.rc_context({"text.hinting": "no_hinting", "pdf.fonttype": 3}):
        canvas = _own_canvas(fig)
        renderer = canvas.get_renderer() if canvas is not None else None
        content = fig.get_tightbbox(renderer)
        box = _whole_pixels(content.padded(PAD_INCHES), fig.dpi)
        for path in map(Path, paths):
            fmt = path.suffix.lstrip(".").lower() or "png"
            with atomic_path(path) as tmp:
                # the margin past the canvas is filled as savefig fills it only when opaque
                if fmt == "png" and canvas is not None and dpi in (None, fig.dpi) and (
                        _on_canvas(content, renderer)) and (
                        _opaque(fig) or _on_canvas(box, renderer)):
                    _cut_png(canvas, box, tmp)
                    logger.debug("%s: cut from the figure's canvas", path.name)
                    continue
                logger.debug("%s: drawn with matplotlib's savefig", path.name)
                extra = {"pil_kwargs": {"compress_level": 1}} if fmt == "png" else {}
                fig.savefig(tmp, format=fmt, dpi=dpi or "figure", bbox_inches=box, **extra)


def _own_canvas(fig):
    """``fig``'s canvas when a PNG can be cut from it: Agg's, drawing as ``savefig`` would.

    That is a figure of :func:`new_figure`, or of pyplot with the Agg backend (scripts,
    tests), at a device pixel ratio of 1 (a HiDPI screen's canvas has twice the pixels), and
    not under settings that make ``savefig`` draw otherwise than the canvas (a transparent or
    recoloured background; an edge, which savefig draws around the crop box). GUI canvases
    and other backends are saved by ``savefig``.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    rc = matplotlib.rcParams
    plain = (rc["savefig.facecolor"] == "auto" and rc["savefig.edgecolor"] == "auto"
             and not rc["savefig.transparent"]
             and not (fig.get_linewidth() and fig.patch.get_visible()))
    canvas = fig.canvas
    if type(canvas) is FigureCanvasAgg and canvas.device_pixel_ratio == 1 and plain:
        return canvas
    return None


def _whole_pixels(box, dpi: float):
    """``box`` (inches) widened to whole pixels at ``dpi``."""
    from matplotlib.transforms import Bbox

    x0, y0, x1, y1 = _pixel_edges(box, dpi)
    return Bbox.from_extents(x0 / dpi, y0 / dpi, x1 / dpi, y1 / dpi)


def _pixel_edges(box, dpi: float) -> tuple[int, int, int, int]:
    """Pixel columns and rows (counted from the bottom) of ``box``'s edges, outwards."""
    return (math.floor(round(box.x0 * dpi, 6)), math.floor(round(box.y0 * dpi, 6)),
            math.ceil(round(box.x1 * dpi, 6)), math.ceil(round(box.y1 * dpi, 6)))


def _on_canvas(content, renderer) -> bool:
    """Whether ``content`` lies on the renderer's canvas: nothing past its edges is lost."""
    x0, y0, x1, y1 = _pixel_edges(content, renderer.dpi)
    return x0 >= 0 and y0 >= 0 and x1 <= int(renderer.width) and y1 <= int(renderer.height)


def _opaque(fig) -> bool:
    """Whether ``fig``'s background is drawn and opaque: every pixel of its PNG is."""
    from matplotlib.colors import to_rgba

    return fig.patch.get_visible() and to_rgba(fig.patch.get_facecolor())[3] == 1


def _cut_png(canvas, box, path: Path) -> None:
    """Draw ``canvas`` and write ``box`` of it as a PNG (RGB when the background is opaque).

    Where the box's margin reaches past the canvas, it is the figure's background colour, as
    matplotlib fills it, when that is opaque (see :func:`_opaque`; Agg's rounding and
    blending of a translucent one are its own).
    """
    import matplotlib
    from matplotlib.colors import to_rgba
    from PIL import Image, PngImagePlugin

    canvas.draw()
    fig = canvas.figure
    width, height = canvas.get_width_height()
    drawn = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    x0, y0, x1, y1 = _pixel_edges(box, fig.dpi)
    top, bottom = height - y1, height - y0  # PIL counts rows from the top
    on_canvas = (max(x0, 0), max(top, 0), min(x1, width), min(bottom, height))
    image = drawn.crop(on_canvas)
    if on_canvas != (x0, top, x1, bottom):
        background = tuple(round(255 * c) for c in to_rgba(fig.patch.get_facecolor()))
        framed = Image.new("RGBA", (x1 - x0, bottom - top), background)
        framed.paste(image, (on_canvas[0] - x0, on_canvas[1] - top))
        image = framed
    if _opaque(fig):  # every pixel opaque: RGB says it all
        image = image.convert("RGB")
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"Matplotlib version{matplotlib.__version__}, "
                  "https://matplotlib.org/")
    image.save(path, format="png", compress_level=1, dpi=(fig.dpi, fig.dpi), pnginfo=info)


def finish(fig, drawn, *, show: bool | None, save: str | os.PathLike | None,
           dpi: int | None = None):
    """Save ``fig`` to ``save``, show it, and return what scanpy's ``sc.pl.*`` return.

    ``drawn`` is what the plot hands back for further drawing (its Axes or Figure). As
    ``sc.pl.umap`` and ``sc.pl.heatmap`` (scanpy 1.11), a shown figure returns None, so a
    notebook prints no ``<Axes: ...>`` under it: ``show=None`` is scanpy's default
    (``settings.autoshow``, True) and shows the figure where pyplot manages it (a notebook,
    an interactive session; a script that never imported pyplot gets no window);
    ``show=True`` calls ``plt.show()`` in any case. Only ``show=False`` returns ``drawn``.
    ``save`` changes neither, as in scanpy. A saved figure that is not returned is closed
    afterwards, as scanpy closes it: nothing is left to draw into it, and a script saving
    figures in a loop would otherwise keep every one open in pyplot.
    """
    if show is not None:  # numpy's bool (np.False_ is not False) as Python's
        show = bool(show)
    saved = save is not None and save is not False  # False: scanpy's "do not save"
    if saved:
        save_figure(fig, [save_path(save)], dpi=dpi)
    if show or (show is None and _managed_by_pyplot(fig)):
        import matplotlib.pyplot as plt

        plt.show()
    if show is False:
        return drawn
    if saved and _managed_by_pyplot(fig):
        import matplotlib.pyplot as plt

        plt.close(fig)
    return None


def _managed_by_pyplot(fig) -> bool:
    """Whether ``fig`` came from pyplot (:func:`new_figure` with pyplot in use), not bare."""
    return getattr(fig.canvas, "manager", None) is not None


def save_path(save: str | os.PathLike) -> Path:
    """``save`` as a path, refusing scanpy's ``save=True`` and ``save='.pdf'``.

    scanpy's ``sc.pl.*`` take those to mean ``figures/<plot>.png`` and ``figures/<plot>.pdf``;
    here ``save`` is the file itself, and ``'.pdf'`` would be a hidden PNG named ``.pdf``.
    A leading ``~`` is the home folder, as pandas reads it: the missing folders of a path
    are made, so ``'~/figs/tree.png'`` made a folder named ``~`` in the working directory.
    A name without an extension gets that of ``rcParams['savefig.format']`` (``.png``), as
    matplotlib's ``savefig`` adds it (and scanpy its format's): ``save='tree'`` wrote PNG bytes
    under the name ``tree``.
    """
    _refuse_save(save)
    path = Path(save).expanduser()
    # only a file's name: a folder is refused by the writer, naming it, and a device
    # ('/dev/null') or pipe is written into as it is
    if not path.suffix and (path.is_file() or not path.exists()):
        import matplotlib

        path = path.with_name(f"{path.name}.{matplotlib.rcParams['savefig.format']}")
        logger.info("save=%r has no extension: the figure is saved as %s", str(save), path)
    return path


def _refuse_save(save) -> None:
    """Refuse a ``save`` that names no file to write (see :func:`save_path`)."""
    if isinstance(save, bool):
        msg = (f"save={save!r}: give the file to write, e.g. save='dendrogram.png' (format from "
               "its extension); scanpy's save=True (figures/<plot>.png) is not supported")
        raise TypeError(msg)
    if os.fspath(save) == "":  # Path('') is the current folder
        msg = ("save='' is an empty path (an unset variable?); give the file to write, e.g. "
               "save='dendrogram.png'")
        raise ValueError(msg)
    path = Path(save).expanduser()
    if path.name.startswith(".") and not path.suffix:
        msg = (f"save={str(save)!r} is only an extension (scanpy's sc.pl.* add it to the plot's "
               f"name); give the file to write, e.g. save='dendrogram{path.name}'")
        raise ValueError(msg)
    if os.fspath(save).endswith(("/", os.sep)):  # Path() drops the slash: 'figs/' wrote 'figs'
        msg = (f"save={os.fspath(save)!r} names a folder; give the file to write, e.g. "
               f"save={os.fspath(save) + 'dendrogram.png'!r}")
        raise ValueError(msg)


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
    Positions default to the cell centres 0.5, 1.5, ... in data units. Labels are drawn as
    written: a ``$`` is no mathtext (``'dose $5 to $10'`` read as one, and ``'x$^$y'`` stopped
    the figure). Returns the Texts; :func:`labels_of` finds them again.
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
                             color=colour, gid=f"{LABEL_GID}-{side}", clip_on=False,
                             parse_math=False))
    return texts


def no_ticks(*axes) -> None:
    """Remove every tick (and its label) from ``axes``; ticks cost time even when hidden."""
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])


def no_frame(*axes) -> None:
    """Hide the frame (the four spines) of ``axes``."""
    for ax in axes:
        for spine in ax.spines.values():
            spine.set_visible(False)


def strip_layout(fig, *, strip: float, main: float, hspace: float, **margins) -> tuple:
    """Axes of a heatmap or dot plot: the groups' colour strip above, the plot, its colour bar.

    ``strip`` and ``main`` are the heights (ratios) of the two rows; ``margins`` those of
    :func:`grown_canvas`, if any. Returns ``(strip_ax, ax, colour_bar_ax)``, added to ``fig``
    in that order.
    """
    grid = fig.add_gridspec(2, 2, height_ratios=[strip, main], width_ratios=[20, 1],
                            hspace=hspace, wspace=0.05, **margins)
    return fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])


def colour_strip(ax, colours, *, frame: bool = True) -> None:
    """Fill ``ax`` with one cell per colour, left to right, without ticks (and ``frame``)."""
    from matplotlib.colors import ListedColormap

    n = len(colours)
    ax.imshow(np.arange(n)[None, :], aspect="auto", interpolation="nearest",
              cmap=ListedColormap(colours), vmin=-0.5, vmax=n - 0.5)
    no_ticks(ax)
    if not frame:
        no_frame(ax)


def labels_of(ax, side: str) -> list:
    """The Texts that :func:`side_labels` put on ``side`` of ``ax``, in order."""
    return [t for t in ax.texts if t.get_gid() == f"{LABEL_GID}-{side}"]
