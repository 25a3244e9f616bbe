from __future__ import annotations

import pytest
from matplotlib.figure import Figure

import gexclust as gx


def test_choose_k_plot(planted, tmp_path):
    gx.tl.hclust(planted)
    with pytest.raises(KeyError, match=r"run gexclust\.tl\.choose_k"):
        gx.pl.choose_k(planted, show=False)
    gx.tl.choose_k(planted, k_range=range(2, 7))
    fig = gx.pl.choose_k(planted, save=tmp_path / "k.png", show=False)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == ["silhouette", "Calinski-Harabasz",
                                                   "gap statistic"]
    marked = [line for line in fig.axes[0].lines if line.get_linestyle() == ":"]
    assert marked[0].get_xdata()[0] == planted.uns["choose_k"]["k"] == 3
    assert "k=3" in fig.texts[0].get_text()
    assert (tmp_path / "k.png").stat().st_size > 0


def test_choose_k_titles_are_placed_without_laying_out_the_y_ticks(planted, monkeypatch):
    """Each draw laid out every y tick label to see if a title must rise (it never must).

    Unpinned, matplotlib's title placement called YAxis.get_tightbbox once per titled Axes
    per draw: 3 calls in a draw of this figure, ~11 ms of a run's CPU over its two passes.
    """
    from matplotlib.axis import YAxis
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    gx.tl.hclust(planted)
    gx.tl.choose_k(planted, k_range=range(2, 7))
    fig = gx.pl.choose_k(planted, show=False)
    calls = []
    original = YAxis.get_tightbbox

    def counted(self, *args, **kwargs):
        calls.append(self)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(YAxis, "get_tightbbox", counted)
    FigureCanvasAgg(fig).draw()
    assert calls == []
    # where matplotlib's own placement put them: at the top of each Axes, below the suptitle
    assert [ax.title.get_position()[1] for ax in fig.axes] == [1.0, 1.0, 1.0]
