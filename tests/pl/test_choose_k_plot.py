from __future__ import annotations

import pytest
from matplotlib.figure import Figure

import gexclust as gx


def test_choose_k_plot(planted, tmp_path):
    gx.tl.hclust(planted)
    with pytest.raises(KeyError, match=r"run gexclust\.tl\.choose_k"):
        gx.pl.choose_k(planted)
    gx.tl.choose_k(planted, k_range=range(2, 7))
    fig = gx.pl.choose_k(planted, save=tmp_path / "k.png")
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == ["silhouette", "Calinski-Harabasz",
                                                   "gap statistic"]
    marked = [line for line in fig.axes[0].lines if line.get_linestyle() == ":"]
    assert marked[0].get_xdata()[0] == planted.uns["choose_k"]["k"] == 3
    assert "k=3" in fig.texts[0].get_text()
    assert (tmp_path / "k.png").stat().st_size > 0
