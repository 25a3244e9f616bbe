"""Cutting a hierarchical tree into flat clusters."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData
from scipy.cluster import hierarchy

from .._logging import logger
from .._palette import palette


def cut(
    adata: AnnData,
    *,
    n_clusters: int | None = None,
    height: float | None = None,
    key: str = "hclust",
    key_added: str = "cluster",
    copy: bool = False,
) -> AnnData | None:
    """Cut the tree of :func:`gexclust.tl.hclust` into flat clusters.

    Give exactly one of ``n_clusters`` (scipy's ``fcluster(..., 'maxclust')``, R's
    ``cutree(k=)``) or ``height`` (``'distance'`` criterion, R's ``cutree(h=)``). Clusters are
    named ``'1'``, ``'2'``, ... from left to right in dendrogram leaf order, so names match what
    the dendrogram shows.

    Parameters
    ----------
    adata
        Annotated data matrix with ``.uns[key]`` from :func:`~gexclust.tl.hclust`.
    n_clusters
        Number of clusters. With tied merge heights fewer may result; a warning is logged.
    height
        Cut height in the units of the linkage (distance between merged clusters).
    key
        Key of the hclust result in ``.uns``.
    key_added
        Name of the column written to ``.obs`` (or ``.var`` for a gene tree).
    copy
        Return a modified copy instead of changing ``adata``.

    Returns
    -------
    ``None``, or a copy if ``copy=True``. Sets

    - ``.obs[key_added]`` (``.var`` for ``axis='var'`` trees): categorical cluster names;
    - ``.uns[f'{key_added}_colors']``: one colour per cluster;
    - ``.uns[key_added]``: ``params`` (``key``, ``n_clusters``, ``height``) and the ``threshold``
      at which the tree was cut, for drawing the cut line.

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, subset=True)
    >>> gx.pp.scale(adata)
    >>> gx.tl.hclust(adata)
    >>> gx.tl.cut(adata, n_clusters=5)
    >>> adata.obs["cluster"].cat.categories.tolist()
    ['1', '2', '3', '4', '5']
    """
    if (n_clusters is None) == (height is None):
        msg = "cut: give exactly one of n_clusters or height"
        raise ValueError(msg)
    if key not in adata.uns or "linkage" not in adata.uns[key]:
        msg = f"cut: no tree in .uns[{key!r}]; run gexclust.tl.hclust(adata, key_added={key!r})"
        raise KeyError(msg)
    if copy:
        adata = adata.copy()
    tree = adata.uns[key]
    Z = np.asarray(tree["linkage"])
    n_leaves = Z.shape[0] + 1
    if n_clusters is not None:
        if not 1 <= n_clusters <= n_leaves:
            msg = f"cut: n_clusters must be between 1 and {n_leaves} (the number of leaves)"
            raise ValueError(msg)
        raw = hierarchy.fcluster(Z, n_clusters, criterion="maxclust")
        threshold = _threshold_for(Z, n_clusters)
    else:
        raw = hierarchy.fcluster(Z, height, criterion="distance")
        threshold = float(height)
    names = left_to_right(raw, np.asarray(tree["leaves"]))
    n_found = len(names.categories)
    if n_clusters is not None and n_found != n_clusters:
        logger.warning("cut: tied merge heights gave %d clusters, not %d", n_found, n_clusters)
    frame = adata.obs if tree["params"]["axis"] == "obs" else adata.var
    frame[key_added] = pd.Categorical(names, categories=names.categories)
    adata.uns[f"{key_added}_colors"] = palette(n_found, kind="cluster")
    adata.uns[key_added] = {
        "params": {
            "key": key,
            "n_clusters": "none" if n_clusters is None else int(n_clusters),
            "height": "none" if height is None else float(height),
        },
        "threshold": threshold,
        "n_clusters_found": n_found,
    }
    return adata if copy else None


def left_to_right(raw_labels: np.ndarray, leaves: np.ndarray) -> pd.Categorical:
    """Rename flat cluster ids ``1..k`` in order of first appearance along the leaf order."""
    mapping: dict[int, str] = {}
    for label in raw_labels[leaves]:
        if label not in mapping:
            mapping[label] = str(len(mapping) + 1)
    names = [mapping[label] for label in raw_labels]
    return pd.Categorical(names, categories=[str(i) for i in range(1, len(mapping) + 1)])


def _threshold_for(Z: np.ndarray, n_clusters: int) -> float:
    """A height between the merges that leave ``n_clusters`` and ``n_clusters - 1`` clusters."""
    heights = np.sort(Z[:, 2])
    n_merges = len(heights)
    if n_clusters <= 1:
        return float(heights[-1] * 1.02)
    if n_clusters > n_merges:
        return float(heights[0] / 2)
    last_kept = heights[n_merges - n_clusters]
    first_undone = heights[n_merges - n_clusters + 1]
    return float((last_kept + first_undone) / 2)
