"""Bootstrap support on the dendrogram (pvclust's plot + pvrect) and the consensus figure."""

from __future__ import annotations

import sys

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import gexclust as gx
from gexclust.tl._supported import pick_supported


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    if "matplotlib.pyplot" in sys.modules:  # figures made while pyplot is loaded are kept
        sys.modules["matplotlib.pyplot"].close("all")


def _planted() -> ad.AnnData:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(18, 90))
    for g in range(3):
        X[6 * g : 6 * g + 6, 15 * g : 15 * g + 15] += 2.0
    return ad.AnnData(X, obs=pd.DataFrame(
        {"type": pd.Categorical(np.repeat(list("abc"), 6))}, index=[f"s{i}" for i in range(18)]))


def test_dendrogram_prints_au_bp_and_boxes_supported_branches(tmp_path):
    adata = _planted()
    gx.tl.hclust(adata, method="average", metric="correlation")
    with pytest.raises(KeyError, match="bootstrap"):
        gx.pl.dendrogram(adata, support="au", show=False)
    gx.tl.bootstrap(adata, n_boot=50, progress=False)
    ax = gx.pl.dendrogram(adata, support="au", save=tmp_path / "tree.png", show=False)
    texts = [t for t in ax.texts if t.get_gid() == "gexclust-support"]
    assert len(texts) == 2 * (adata.n_obs - 1)  # AU and BP at every merge
    au = adata.uns["hclust"]["support"]["au"]
    root = texts[-2]
    assert root.get_text() == str(round(100 * au[-1]))
    boxes = [p for p in ax.patches if p.get_gid() == "gexclust-support-box"]
    expected = pick_supported(adata.uns["hclust"]["linkage"], au, 0.95).max()
    assert len(boxes) == expected >= 1
    assert (tmp_path / "tree.png").stat().st_size > 0


def test_consensus_figure(tmp_path):
    adata = _planted()
    with pytest.raises(KeyError, match=r"tl\.consensus"):
        gx.pl.consensus(adata, show=False)
    gx.tl.consensus(adata, k_range=range(2, 6), n_resamples=15, progress=False)
    fig = gx.pl.consensus(adata, save=tmp_path / "consensus.pdf", show=False)
    assert len(fig.axes) >= 4  # class bar, heatmap, colour bar, CDF, PAC
    assert (tmp_path / "consensus.pdf").read_bytes()[:4] == b"%PDF"
    with pytest.raises(ValueError, match="was not computed"):
        gx.pl.consensus(adata, k=9, show=False)


@pytest.mark.parametrize("k", [2.5, "3", True, np.float64(3.0)])
def test_a_consensus_figure_at_a_k_that_is_no_whole_number_is_refused(k):
    # before: int(k) drew k=2.5 as k=2 and '3' as 3 without a word, and True as k=1 ("was not
    # computed"), where tl.cut refuses n_clusters=3.0
    adata = _planted()
    gx.tl.consensus(adata, k_range=range(2, 5), n_resamples=5, progress=False)
    with pytest.raises(ValueError, match=r"k must be a whole number, one of \[2, 3, 4\]"):
        gx.pl.consensus(adata, k=k, show=False)
    fig = gx.pl.consensus(adata, k=np.int64(3), show=False)
    assert "consensus matrix, k = 3" in [ax.get_title() for ax in fig.axes]


def test_consensus_figure_of_many_samples_stops_growing_and_names_none():
    from gexclust.pl._base import labels_of

    rng = np.random.default_rng(1)
    n = 400  # before: a 46 x 42 inch figure with 400 names (5,000 samples: 506 x 502 inches)
    adata = ad.AnnData(rng.normal(size=(n, 12)) + np.repeat([0.0, 3.0], n // 2)[:, None],
                       obs=pd.DataFrame(index=[f"c{i}" for i in range(n)]))
    gx.tl.consensus(adata, k_range=range(2, 4), n_resamples=3, metric="euclidean",
                    progress=False)
    fig = gx.pl.consensus(adata, show=False)
    assert tuple(fig.get_size_inches()) == (26.5, 22.5)  # as for 200 samples
    assert not any(labels_of(ax, "left") for ax in fig.axes)
