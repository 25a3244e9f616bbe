"""scanpy's results of an ``.obs`` column that a gexclust tool gives other labels.

``sc.tl.dendrogram(adata, 'cluster')`` and ``sc.tl.rank_genes_groups(adata, 'cluster')`` store
results of the groups of ``.obs['cluster']``. When :func:`~gexclust.tl.cut` (or
:func:`~gexclust.tl.consensus`) relabels that column, scanpy's plots would go on showing them
under the new labels: ``sc.pl.dotplot(..., dendrogram=True)`` checks only the number of
groups, so a new cut into as many clusters drew the tree of the earlier ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from .._logging import logger

if TYPE_CHECKING:
    from anndata import AnnData


def labels_before(adata: AnnData, key: str) -> np.ndarray | None:
    """The labels of ``.obs[key]`` as text, or ``None`` without such a column.

    For :func:`forget_stale_scanpy_results`, called before a tool writes the column.
    """
    if key not in adata.obs:
        return None
    return adata.obs[key].astype(str).to_numpy()


def forget_stale_scanpy_results(adata: AnnData, key: str, before: np.ndarray | None, *,
                                caller: str) -> None:
    """Drop scanpy's dendrograms of ``.obs[key]`` and warn of its marker rankings, if relabelled.

    ``before`` is :func:`labels_before` of the column before the tool wrote it; unchanged
    labels leave everything as it is. A dendrogram of ``sc.tl.dendrogram`` is removed (scanpy's
    plots compute it anew when asked for one); a ranking of ``sc.tl.rank_genes_groups`` is
    kept (it is not recomputed by the plots) with a logged warning to rerun it.
    """
    if before is None or np.array_equal(before, adata.obs[key].astype(str).to_numpy()):
        return
    for name in [n for n, value in adata.uns.items() if _is_dendrogram_of(value, key)]:
        del adata.uns[name]
        logger.warning(
            "%s: removed .uns[%r], scanpy's dendrogram of the earlier clusters of %r; scanpy's "
            "plots with dendrogram=True compute it anew (or rerun sc.tl.dendrogram(adata, %r))",
            caller, name, key, key)
    for name in [n for n, value in adata.uns.items() if _is_ranking_of(value, key)]:
        logger.warning(
            "%s: .uns[%r] ranks the genes of the earlier clusters of %r (sc.tl."
            "rank_genes_groups), which its plots would show under the new labels; rerun "
            "sc.tl.rank_genes_groups(adata, %r)", caller, name, key, key)


def _is_dendrogram_of(value, key: str) -> bool:
    """Whether ``value`` is ``sc.tl.dendrogram``'s result of ``groupby=key`` (kept as a list)."""
    if not isinstance(value, Mapping) or "dendrogram_info" not in value:
        return False
    groupby = value.get("groupby")
    groups = [groupby] if isinstance(groupby, str) else list(np.atleast_1d(groupby))
    return key in [str(g) for g in groups]


def _is_ranking_of(value, key: str) -> bool:
    """Whether ``value`` is ``sc.tl.rank_genes_groups``'s result of ``groupby=key``."""
    if not isinstance(value, Mapping) or "names" not in value:
        return False
    params = value.get("params")
    return isinstance(params, Mapping) and str(params.get("groupby")) == key
