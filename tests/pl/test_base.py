from __future__ import annotations

import re

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from gexclust.pl._base import DPI, OVERHANG_INCHES, PAD_INCHES, save_figure


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


@pytest.mark.parametrize("n_chars", [0, 4, 40])  # no, ~1 in and ~7 in of overhang
def test_crop_equals_matplotlibs_tight_bbox(tmp_path, n_chars):
    """The one-draw crop, and past OVERHANG_INCHES the fallback, keep what 'tight' keeps."""
    fig = figure_with_overhang(n_chars)
    save_figure(fig, [tmp_path / "a.png", tmp_path / "a.pdf"])
    with matplotlib.rc_context({"text.hinting": "no_hinting"}):  # as save_figure draws text
        fig.savefig(tmp_path / "ref.png", dpi=DPI, bbox_inches="tight", pad_inches=PAD_INCHES)
    (width, height), (ref_w, ref_h) = png_size(tmp_path / "a.png"), png_size(tmp_path / "ref.png")
    assert abs(width - ref_w) <= 3
    assert abs(height - ref_h) <= 3
    if n_chars == 40:
        assert width > (4 + OVERHANG_INCHES) * DPI
    pdf_w, pdf_h = pdf_size(tmp_path / "a.pdf")  # the PDF has the same crop box
    assert pdf_w == pytest.approx(width / DPI * 72, abs=1.0)
    assert pdf_h == pytest.approx(height / DPI * 72, abs=1.0)


def test_crop_keeps_all_ink_with_even_padding(tmp_path):
    fig = figure_with_overhang(3)
    save_figure(fig, [tmp_path / "a.png"])
    pixels = np.asarray(Image.open(tmp_path / "a.png").convert("L"))
    ink_rows = np.flatnonzero((pixels < 255).any(axis=1))
    ink_cols = np.flatnonzero((pixels < 255).any(axis=0))
    pad = round(PAD_INCHES * DPI)
    assert ink_rows[0] == pad
    assert ink_cols[0] == pad
    assert pixels.shape[0] - 1 - ink_rows[-1] == pad
    assert pixels.shape[1] - 1 - ink_cols[-1] == pad


def test_save_keeps_a_pyplot_figures_canvas(tmp_path):
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(3, 2))
    canvas = fig.canvas
    save_figure(fig, [tmp_path / "a.png", tmp_path / "a.svg"])
    assert fig.canvas is canvas
    assert (tmp_path / "a.svg").read_text().lstrip().startswith("<?xml")
    plt.close(fig)
