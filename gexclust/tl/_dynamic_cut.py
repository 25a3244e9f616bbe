"""``tl.cut(method='dynamic')``: dynamicTreeCut's adaptive branch cut on a stored tree."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData
from scipy.spatial.distance import squareform

from .._checks import check_choice
from .._logging import logger
from .._memory import refuse_pairwise
from .._palette import set_cluster_colors
from ._dynamic_tree import cutree_hybrid, cutree_tree
from ._hclust import pairwise_distances
from ._tree_access import relabel_leaves, tree_id
from ._tree_data import tree_and_data

#: Peak bytes per pair of leaves of the hybrid cut (its square distances, and their copy).
HYBRID_BYTES_PER_PAIR = 16
#: More clusters than this, under the default min_cluster_size, are announced: R's 20 does not
#: grow with n, so the count does (65 on 2,000 samples of noise, 1,139 on 100,000 of 10 groups).
MANY_CLUSTERS = 50


def default_min_cluster_size(n_leaves: int) -> int:
    """A tenth of the leaves, at least 3 and at most R's 20: 6 for 64 samples."""
    return int(min(20, max(3, n_leaves // 10)))


def cut_dynamic(
    adata: AnnData,
    *,
    variant: str = "hybrid",
    min_cluster_size: int | None = None,
    deep_split: int | bool | None = None,
    height: float | None = None,
    key: str = "hclust",
    key_added: str = "cluster",
) -> None:
    """Cut ``.uns[key]`` with ``cutreeDynamic`` semantics; see :func:`gexclust.tl.cut`."""
    check_choice("variant", variant, ("hybrid", "tree"))
    _, tree, data = tree_and_data(adata, key=key, caller="tl.cut")
    Z = tree.linkage
    if np.any(np.diff(Z[:, 2]) < 0):
        msg = (
            f"tl.cut: method='dynamic' needs merge heights that never decrease; the "
            f"{tree.params.get('method', '?')} tree has inversions (use average, complete, "
            "single, weighted or ward linkage)"
        )
        raise ValueError(msg)
    defaulted = min_cluster_size is None
    if defaulted:
        min_cluster_size = default_min_cluster_size(tree.n_leaves)
    if isinstance(min_cluster_size, bool) or not isinstance(min_cluster_size, int | np.integer):
        msg = f"min_cluster_size must be a positive integer, got {min_cluster_size!r}"
        raise ValueError(msg)
    if min_cluster_size < 1:
        msg = f"min_cluster_size must be a positive integer, got {min_cluster_size!r}"
        raise ValueError(msg)
    what = "observations" if tree.axis == "obs" else "genes"
    if not defaulted and min_cluster_size > tree.n_leaves:
        # no cluster can be that large: every label would be NaN, with no error
        msg = (f"tl.cut: min_cluster_size={min_cluster_size} is more than the {tree.n_leaves} "
               f"{what} in the tree, so method='dynamic' could find no cluster; pass at most "
               f"{tree.n_leaves}")
        raise ValueError(msg)
    # in the sorted order of the names: both variants break ties by leaf id (which leaf of a
    # pair comes first, so which leaves form a branch's core and its order along the
    # dendrogram), and the same samples in another row order were cut otherwise (ARI 0.85
    # between the two on Golub, average/euclidean)
    order = tree.name_order(adata)
    Z = relabel_leaves(Z, order)
    if variant == "hybrid":
        deep_split = 1 if deep_split is None else deep_split
        if not 0 <= float(deep_split) <= 4:
            msg = f"deep_split must be between 0 and 4 for variant='hybrid', got {deep_split!r}"
            raise ValueError(msg)
        refuse_pairwise(tree.n_leaves, HYBRID_BYTES_PER_PAIR,
                        task="cut(method='dynamic', variant='hybrid')", what=what,
                        alternatives="variant='tree' (uses the tree alone, any size), a static "
                        "cut (n_clusters= or height=), or a tree of fewer " + what)
        metric = tree.recorded("metric", caller="tl.cut", needed="variant='hybrid' needs for "
                               "the distances between items (variant='tree' needs none)")
        # the data in that order only here: variant='tree' of any size needs no copy of them
        distances = squareform(pairwise_distances(
            data[order], metric=metric, item=what[:-1], caller="tl.cut",
            labels=tree.leaf_names(adata)[order]))
        in_order = cutree_hybrid(
            Z, distances, min_cluster_size=min_cluster_size, deep_split=deep_split,
            # cutreeDynamic hands its cutHeight, as given, to the PAM stage (maxPamDist):
            # above the highest merge, more than the clipped height cutreeHybrid would use
            cut_height=height, max_pam_dist=height,
        )
    else:
        deep_split = bool(deep_split) if deep_split is not None else False
        in_order = cutree_tree(Z, min_cluster_size=min_cluster_size, deep_split=deep_split,
                               max_tree_height=height)
    raw = np.empty_like(in_order)
    raw[order] = in_order  # back to leaf ids
    names = write_clusters(adata, tree, raw, key_added=key_added)
    n_unassigned = int((raw == 0).sum())
    adata.uns[key_added] = {
        "params": {
            "key": key,
            "method": "dynamic",
            "variant": variant,
            "min_cluster_size": int(min_cluster_size),
            "deep_split": deep_split if isinstance(deep_split, bool) else float(deep_split),
            "height": "none" if height is None else float(height),
            "tree_id": tree_id(adata.uns[key]),
        },
        "threshold": "none",
        "n_clusters_found": len(names.categories),
        "n_unassigned": n_unassigned,
        "rule": f"dynamic_{variant}",
        "note": "none",
    }
    logger.info("tl.cut: dynamic %s cut gave %d clusters, %d samples unassigned", variant,
                len(names.categories), n_unassigned)
    if not len(names.categories):
        logger.warning(
            "tl.cut: method='dynamic' (variant=%r) found no cluster among %d %s with "
            "min_cluster_size=%d: every label in .obs[%r] is NaN; pass a smaller "
            "min_cluster_size, or cut with n_clusters=", variant, tree.n_leaves, what,
            int(min_cluster_size), key_added)
    if defaulted and len(names.categories) > MANY_CLUSTERS:
        _warn_many_clusters(names, tree.n_leaves, int(min_cluster_size), variant=variant,
                            what="observations" if tree.axis == "obs" else "genes")


def _warn_many_clusters(names: pd.Categorical, n: int, min_cluster_size: int, *, variant: str,
                        what: str) -> None:
    """Say that the default min_cluster_size, not the data, set how many clusters there are."""
    sizes = pd.Series(names).value_counts()
    logger.warning(
        "tl.cut: method='dynamic' (variant=%r) found %d clusters among %d %s (median size %d) with "
        "the default min_cluster_size=%d, R's, which does not grow with n (made for modules "
        "of genes); pass a larger min_cluster_size, such as %d, for fewer and larger "
        "clusters", variant, len(sizes), n, what, int(sizes.median()), min_cluster_size,
        suggested_min_cluster_size(n, min_cluster_size))


def suggested_min_cluster_size(n: int, min_cluster_size: int) -> int:
    """1% of ``n``, and at least 5 times ``min_cluster_size``: 1,000 at 100,000, 100 at 2,000."""
    return max(5 * min_cluster_size, n // 100)


def write_clusters(adata: AnnData, tree, raw: np.ndarray, *, key_added: str) -> pd.Categorical:
    """Store leaf labels ``raw`` (0 = unassigned) as ``'1'..'k'`` left to right, NaN for 0."""
    mapping: dict[int, str] = {}
    for label in raw[tree.leaves]:
        if label != 0 and label not in mapping:
            mapping[label] = str(len(mapping) + 1)
    names = pd.Categorical(
        [mapping.get(label) for label in raw],
        categories=[str(i) for i in range(1, len(mapping) + 1)],
    )
    frame = adata.obs if tree.axis == "obs" else adata.var
    frame[key_added] = names[np.argsort(tree.rows)]
    set_cluster_colors(adata, key_added, len(mapping))
    return names
