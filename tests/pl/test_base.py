from __future__ import annotations

import logging
import re
import shutil
import subprocess

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from gexclust.pl._base import DPI, PAD_INCHES, _whole_pixels, grown_canvas, save_figure
from tests.conftest import written_to_a_terminal


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def pdf_size(path) -> tuple[float, float]:
    box = re.search(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)", path.read_bytes())
    return float(box.group(1)), float(box.group(2))


def figure_with_overhang(n_chars: int) -> Figure:
    """A 4 x 3 in figure with a label of ``n_chars`` that hangs over its left edge."""
    fig = Figure(figsize=(4, 3), dpi=DPI)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1])
    fig.text(0.02, 0.5, "X" * n_chars, fontsize=20, ha="right", va="center")
    return fig


@pytest.mark.parametrize("n_chars", [0, 40])
def test_saved_figures_keep_what_tight_keeps(tmp_path, n_chars):
    """One tight box serves every format: PNG and PDF have the same, full extent."""
    fig = figure_with_overhang(n_chars)
    save_figure(fig, [tmp_path / "a.png", tmp_path / "a.pdf"])
    with matplotlib.rc_context({"text.hinting": "no_hinting"}):  # as save_figure draws text
        fig.savefig(tmp_path / "ref.png", dpi=DPI, bbox_inches="tight", pad_inches=PAD_INCHES)
    (width, height), (ref_w, ref_h) = png_size(tmp_path / "a.png"), png_size(tmp_path / "ref.png")
    assert abs(width - ref_w) <= 2
    assert abs(height - ref_h) <= 2
    if n_chars:
        assert width > 6 * DPI  # the overhanging label is inside the picture
    pdf_w, pdf_h = pdf_size(tmp_path / "a.pdf")
    assert pdf_w == pytest.approx(width / DPI * 72, abs=1.0)
    assert pdf_h == pytest.approx(height / DPI * 72, abs=1.0)


def agg_figure(size=(4, 3), **gridspec) -> Figure:
    """A figure on its own Agg canvas, as new_figure makes one outside pyplot."""
    fig = Figure(figsize=size, dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(fig.add_gridspec(1, 1, **gridspec)[0])
    ax.plot([0, 1], [0, 2])
    ax.set_title("β and other text")
    return fig


def savefig_png(fig, path):
    """What savefig draws in the crop box save_figure computes (whole pixels, padded)."""
    with matplotlib.rc_context({"text.hinting": "no_hinting"}):  # as save_figure draws text
        box = _whole_pixels(fig.get_tightbbox().padded(PAD_INCHES), fig.dpi)
        fig.savefig(path, dpi="figure", bbox_inches=box)
    return np.asarray(Image.open(path).convert("RGBA"))


@pytest.mark.parametrize("at_the_edge", [False, True])
def test_a_png_cut_from_the_canvas_is_what_savefig_draws(tmp_path, caplog, at_the_edge):
    """Drawn once and cut from the canvas, pixel for pixel as savefig(bbox_inches=box).

    With a text at the canvas' top edge the crop's margin reaches past the canvas: it is the
    background colour there, as savefig fills it.
    """
    fig = agg_figure()
    if at_the_edge:
        fig.text(0.0, 1.0, "at the top left corner", va="top")
    caplog.set_level(logging.DEBUG, logger="gexclust")
    save_figure(fig, [tmp_path / "cut.png"])
    assert "cut.png: cut from the figure's canvas" in caplog.messages
    cut = Image.open(tmp_path / "cut.png")
    assert cut.mode == "RGB"  # opaque: no alpha channel to pack
    np.testing.assert_array_equal(np.asarray(cut.convert("RGBA")),
                                  savefig_png(fig, tmp_path / "ref.png"))


@pytest.mark.parametrize("background", ["frameon=False", "alpha 0.3", "facecolor none",
                                        "red edge"])
def test_a_figure_of_another_background_is_what_savefig_draws(tmp_path, background):
    """Found comparing save_figure with savefig on figures as users hand them to pl.dendrogram
    (ax=): where the crop's margin reached past the canvas, it was filled with the facecolour,
    opaque white around a transparent (frameon=False) figure, alpha 76 for savefig's 77; and
    savefig draws a figure's edge around the crop box, the cut PNG had it cut away."""
    fig = agg_figure()
    fig.text(0.0, 1.0, "at the top left corner", va="top")
    if background == "frameon=False":
        fig.set_frameon(False)
    elif background == "alpha 0.3":
        fig.patch.set_alpha(0.3)
    elif background == "facecolor none":
        fig.set_facecolor("none")
    else:
        fig.set_linewidth(4)
        fig.set_edgecolor("red")
    save_figure(fig, [tmp_path / "a.png"])
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "a.png").convert("RGBA")),
                                  savefig_png(fig, tmp_path / "ref.png"))


def test_content_past_the_canvas_is_drawn_by_savefig(tmp_path, caplog):
    """A label hanging over the canvas' edge is not on the canvas: savefig draws it whole."""
    fig = agg_figure()
    fig.text(0.02, 0.5, "X" * 40, fontsize=20, ha="right", va="center")
    caplog.set_level(logging.DEBUG, logger="gexclust")
    save_figure(fig, [tmp_path / "a.png"])
    assert "a.png: drawn with matplotlib's savefig" in caplog.messages
    assert png_size(tmp_path / "a.png")[0] > 6 * DPI


def test_a_grown_canvas_keeps_the_subplots_where_they_were():
    """grown_canvas adds room on the sides asked for; the subplots keep their size and place."""
    plain = agg_figure((4, 3))
    size, margins = grown_canvas((4, 3), left=2.0, bottom=0.1)  # 0.1: within the default
    grown = agg_figure(size, **margins)
    assert size == pytest.approx((4 - 0.5 + 2.0, 3))
    (ax_plain,), (ax_grown,) = plain.axes, grown.axes
    inches = [ax.get_position().transformed(ax.figure.transFigure
                                            + ax.figure.dpi_scale_trans.inverted()).bounds
              for ax in (ax_plain, ax_grown)]
    assert inches[1][0] == pytest.approx(inches[0][0] + 1.5)  # 1.5 in more room on the left
    assert inches[1][1:] == pytest.approx(inches[0][1:])


def test_pdf_text_keeps_every_character(tmp_path):
    """Fonts are embedded (no core fonts): Greek and accented text survive in the PDF."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed; .ci/run installs it")
    fig = Figure(figsize=(3, 2), dpi=DPI)
    fig.text(0.1, 0.5, "β-thalassaemia, Ménétrier, 5 µm")
    save_figure(fig, [tmp_path / "a.pdf"])
    text = subprocess.run(["pdftotext", str(tmp_path / "a.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "β-thalassaemia, Ménétrier, 5 µm" in text
    pdf = (tmp_path / "a.pdf").read_bytes()
    assert b"/Type3" in pdf  # glyphs embedded...
    assert b"/Helvetica" not in pdf  # ...not one of the 14 core fonts, which lack Greek


def test_save_keeps_a_pyplot_figures_canvas(tmp_path):
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(3, 2))
    canvas = fig.canvas
    save_figure(fig, [tmp_path / "a.png", tmp_path / "a.svg"])
    assert fig.canvas is canvas
    assert (tmp_path / "a.svg").read_text().lstrip().startswith("<?xml")
    plt.close(fig)


def test_a_figure_saved_to_a_device_is_written_into_it(tmp_path):
    # before: the finished file was renamed over the target, which put a regular file in the
    # device's place (as root, save='/dev/null' replaced /dev/null itself with a PNG); here
    # the link to a terminal was replaced and the terminal got nothing
    import anndata as ad
    import numpy as np

    import gexclust as gx

    adata = ad.AnnData(np.arange(18, dtype=float).reshape(6, 3) ** 1.5)
    gx.tl.hclust(adata)

    def save(path) -> None:
        with matplotlib.rc_context({"svg.fonttype": "none"}):
            gx.pl.dendrogram(adata, save=path, show=False)

    # an SVG: the PNG and PDF writers seek, which a terminal cannot (/dev/null can)
    link = tmp_path / "tree.svg"
    data = written_to_a_terminal(save, link, end=b"</svg>\n")
    assert data.startswith(b"<?xml")
    assert b">height (ward, euclidean)</text>" in data
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tree.svg"]  # no temporary left


@pytest.fixture(scope="module")
def plotted():
    """Planted data with every result a plot reads, and a 'batch' column without colours."""
    import gexclust as gx
    from tests.conftest import make_planted

    adata = make_planted()
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    gx.tl.choose_k(adata, progress=False)
    gx.tl.consensus(adata, k_range=range(2, 4), n_resamples=5, progress=False)
    adata.obs["batch"] = ["a", "b"] * (adata.n_obs // 2)
    return adata


PLOTS = {  # each draws a column whose colours it writes into .uns when they are missing
    "dendrogram": {"color": "batch"},
    "clustermap": {"color": "batch"},
    "cluster_heatmap": {"groupby": "batch"},
    "markers": {"groupby": "batch"},
    "consensus": {},
    "choose_k": {},
}
BAD = {  # each was refused (or taken) only after the colours were written
    "figsize=5": ({"figsize": 5}, "figsize must be (width, height) in inches"),
    "save=''": ({"save": ""}, "save='' is an empty path"),
    "save=True": ({"save": True}, "save=True: give the file to write"),
    "save='figs/'": ({"save": "figs/"}, "save='figs/' names a folder"),
    # named() checks every bool keyword first, in the words of the API's other flags
    "show='no'": ({"show": "no"}, "show must be True, False or None, got 'no'"),
    "cmap='nope'": ({"cmap": "nope"}, "cmap='nope' is not a matplotlib colormap"),
}


@pytest.mark.parametrize("bad", list(BAD))
@pytest.mark.parametrize("plot", list(PLOTS))
def test_plot_arguments_are_refused_before_colours_are_written(plotted, tmp_path,
                                                               monkeypatch, plot, bad):
    """Before: pl.dendrogram(adata, color='batch', figsize=5) wrote .uns['batch_colors'] and
    .uns['cluster_colors'], then refused figsize; a bad save= or cmap= the same (show='no'
    was taken as True)."""
    import gexclust as gx

    given, said = BAD[bad]
    if "cmap" in given and plot in ("dendrogram", "consensus", "choose_k"):
        pytest.skip(f"pl.{plot} takes no cmap")
    monkeypatch.chdir(tmp_path)
    adata = plotted.copy()
    for key in [k for k in adata.uns if k.endswith("_colors")]:
        del adata.uns[key]
    before = set(adata.uns)
    with pytest.raises((ValueError, TypeError), match=f"^pl.{plot}: {re.escape(said)}"):
        getattr(gx.pl, plot)(adata, **PLOTS[plot], **given)
    assert set(adata.uns) == before
    assert list(tmp_path.iterdir()) == []


def test_markers_refuses_vmax_before_colours_are_written(plotted):
    import gexclust as gx

    adata = plotted.copy()
    adata.uns.pop("batch_colors", None)
    with pytest.raises(ValueError, match=r"^pl.markers: vmax must be a positive number, got -1"):
        gx.pl.markers(adata, groupby="batch", vmax=-1)
    assert "batch_colors" not in adata.uns


@pytest.mark.parametrize("plot", list(PLOTS))
def test_show_takes_numpy_bools_as_pythons(plotted, plot):
    """Before: show=np.False_ (show=adata.n_obs > n with a numpy count, a flag read back from
    .h5ad), which the checks take, returned None instead of what show=False returns, and left
    the figure open in pyplot, since only ``show is False`` returned it."""
    import numpy as np

    import gexclust as gx

    draw = getattr(gx.pl, plot)
    expected = draw(plotted, **PLOTS[plot], show=False)
    got = draw(plotted, **PLOTS[plot], show=np.False_)
    assert type(got) is type(expected)
    assert got is not None
