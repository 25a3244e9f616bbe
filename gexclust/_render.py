"""The figures of ``gexclust run``: read plain specs from the AnnData, then draw and save them.

Each figure is split in two halves: a spec (numpy arrays and strings, read from the AnnData)
and a drawer that needs only numpy and matplotlib. The run draws them one after the other in
its own process; the split is where a process pool could take over, should drawing in parallel
ever be worth it.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ._logging import logger

FIGURES = ("dendrogram", "cluster_heatmap", "clustermap", "choose_k")
#: Formats ``gexclust run --formats`` accepts.
FORMATS = ("png", "pdf", "svg")


def figure_specs(adata, *, markers=None) -> dict:
    """What each figure of a run shows, read from the clustered ``adata``.

    A heatmap of cluster markers needs at least two clusters (markers are one cluster against
    the rest), the clustermap two varying genes (it clusters them too); without, the figure
    is left out and a warning says so. ``markers``: the clusters' markers on the expression
    layer, when ranked already (:func:`gexclust._report._markers.cluster_markers`).
    """
    from .pl._cluster_heatmap import cluster_heatmap_spec
    from .pl._clustermap import clustermap_spec
    from .pl._dendrogram import MAX_LABELLED_LEAVES, TRUNCATED_LEAVES, dendrogram_spec, shown_spec

    # every sample named up to 2,000 (array series); beyond (cells), the top 50 clusters
    colour = type_colour(adata)
    dendrogram = dendrogram_spec(adata, color=colour)
    many = len(dendrogram.leaves) > MAX_LABELLED_LEAVES
    specs = {"dendrogram": shown_spec(dendrogram, TRUNCATED_LEAVES if many else 0)}
    if adata.obs["cluster"].nunique() >= 2:
        specs["cluster_heatmap"] = cluster_heatmap_spec(adata, layer="expression",
                                                          ranked=markers)
    else:
        logger.warning("one cluster only: cluster_heatmap (markers of each cluster against the "
                       "rest) is not drawn")
    if _n_varying_genes(adata) >= 2:
        specs["clustermap"] = clustermap_spec(adata, color=colour)
    else:
        logger.warning("fewer than 2 genes vary across the samples: clustermap (which clusters "
                       "the genes too) is not drawn")
    if "choose_k" in adata.uns:  # --n-clusters auto: how k was chosen
        from .pl._choose_k import choose_k_spec

        specs["choose_k"] = choose_k_spec(adata)
    return specs


def type_colour(adata) -> str | None:
    """``'type'`` when the samples are coloured by it: it is there and names classes.

    A type per sample (GSM ids; ``.uns['run']['type_note']``) would be one colour and one
    legend entry per sample, telling nothing the leaf labels do not.
    """
    run = adata.uns.get("run")
    if "type" not in adata.obs or (hasattr(run, "get") and run.get("type_note")):
        return None
    return "type"


def _n_varying_genes(adata) -> int:
    import numpy as np

    from ._utils import get_matrix

    X = np.asarray(get_matrix(adata, layer=None))
    return int((np.ptp(X, axis=0) > 0).sum()) if X.size else 0


def draw_figures(specs: dict, folder: Path, formats=("png",)) -> list[Path]:
    """Draw every figure of ``specs`` and save it in ``formats`` into ``folder``."""
    from .pl._base import save_figure
    from .pl._choose_k import draw_choose_k
    from .pl._cluster_heatmap import draw_cluster_heatmap
    from .pl._clustermap import draw_clustermap
    from .pl._dendrogram import draw_dendrogram_figure

    drawers = {"dendrogram": draw_dendrogram_figure, "cluster_heatmap": draw_cluster_heatmap,
               "clustermap": draw_clustermap, "choose_k": draw_choose_k}
    written = []
    for name, spec in specs.items():
        fig = drawers[name](spec)
        fig = getattr(fig, "figure", fig)  # the dendrogram's drawer returns its Axes
        paths = [Path(folder) / f"{name}.{fmt}" for fmt in formats]
        save_figure(fig, paths)
        written += paths
        if "matplotlib.pyplot" in sys.modules:  # pyplot keeps its figures until closed
            sys.modules["matplotlib.pyplot"].close(fig)
    return written


def parse_formats(text: str) -> tuple[str, ...]:
    """``'png,pdf'`` -> ``('png', 'pdf')``; raises ``ValueError`` naming the valid formats.

    A format given twice (``png,png``, ``png,PNG``) is refused, as an unknown one is: it was
    taken once without a word, so a typo for another format (``png,png`` for ``png,pdf``)
    went unseen.
    """
    given = [f.strip().lower() for f in text.split(",") if f.strip()]
    formats = tuple(dict.fromkeys(given))
    bad = [f for f in formats if f not in FORMATS]
    repeated = [f for f in formats if given.count(f) > 1]
    if repeated and not bad:
        twice = " and ".join(repeated)
        msg = (f"--formats {text!r}: {twice} {'is' if len(repeated) == 1 else 'are'} given "
               f"more than once; give each format once, from {', '.join(FORMATS)} "
               "(comma-separated)")
        raise ValueError(msg)
    if bad or not formats:
        problem = f"{', '.join(bad)} is not valid" if bad else "names no format"
        msg = f"--formats {text!r}: {problem}; choose from {', '.join(FORMATS)} (comma-separated)"
        raise ValueError(msg)
    return formats
