"""Cutting a hierarchical tree into flat clusters."""

from __future__ import annotations

from numbers import Real
from typing import Literal

import numpy as np
import pandas as pd
from anndata import AnnData
from scipy.cluster import hierarchy

from .._api import named
from .._checks import check_choice
from .._logging import logger
from .._palette import set_cluster_colors
from .._utils import view_to_actual
from ._dynamic_cut import cut_dynamic
from ._flat_cuts import count_inversions, tree_cuts
from ._scanpy_results import forget_stale_scanpy_results, labels_before
from ._supported import keep_supported, pick_supported, support_values
from ._tree_access import (
    get_tree,
    refuse_other_result,
    refuse_tree_key,
    tree_id,
    unrecorded_column,
)


@named("tl.cut")
def cut(
    adata: AnnData,
    *,
    n_clusters: int | None = None,
    height: float | None = None,
    method: Literal["static", "dynamic"] = "static",
    min_support: float | None = None,
    support: Literal["au", "bp"] = "au",
    variant: Literal["hybrid", "tree"] | None = None,
    min_cluster_size: int | None = None,
    deep_split: float | bool | None = None,
    key: str = "hclust",
    key_added: str = "cluster",
    copy: bool = False,
) -> AnnData | None:
    """Cut the tree of :func:`gexclust.tl.hclust` into flat clusters.

    Give exactly one of ``n_clusters`` (scipy's ``fcluster(..., 'maxclust')``; R's
    ``cutree(k=)`` too unless merge heights tie, where R undoes tied merges one by one in merge
    order and this cut, as scipy's, undoes them together) or ``height`` (``'distance'``
    criterion, R's ``cutree(h=)``). Clusters are
    named ``'1'``, ``'2'``, ... from left to right in dendrogram leaf order, so names match what
    the dendrogram shows.

    The tree's leaves are matched to ``obs_names`` (``var_names`` for a gene tree) by name, so
    reordering the samples after :func:`~gexclust.tl.hclust` changes nothing; after subsetting
    (or renaming) the tree no longer fits and a ``ValueError`` says to rerun ``tl.hclust``.

    Parameters
    ----------
    adata
        Annotated data matrix with ``.uns[key]`` from :func:`~gexclust.tl.hclust`.
    n_clusters
        Number of clusters, 1 to the number of leaves. With tied merge heights fewer may result
        (no height separates tied merges); a warning is logged and the reason recorded in
        ``.uns[key_added]['note']``. Trees with inversions (``'centroid'``, ``'median'``) are
        cut by merge order instead, as R's ``cutree(k=)``: exactly ``n_clusters`` clusters, a
        warning, ``rule='merge_order'`` and no cut height.
    height
        Cut height in the units of the linkage (distance between merged clusters). With
        ``method='dynamic'``: the highest merge considered (R's ``cutHeight``; default 99% of
        the height range). On a tree with inversions each cluster is a branch whose merges
        all lie at or below the height (scipy's ``fcluster(..., 'distance')``; R's
        ``cutree(h=)`` refuses such trees), with a warning: leaves joined below the height
        are split when their branch holds a higher merge.
    method
        ``'static'``: one height for the whole tree (``n_clusters`` or ``height``).
        ``'dynamic'``: dynamicTreeCut (Langfelder, Zhang & Horvath 2008); each branch is cut
        where it is compact and separated, and samples in no cluster are unassigned (NaN).
        R's ``cutreeDynamic`` breaks ties by the position of the rows (which leaves form a
        branch's core), so the same samples in another order could be cut otherwise
        (Golub, average/euclidean: ARI 0.85 between two orders); here the leaves are taken
        in the sorted order of their names, which gives R's partition for the same tree
        and parameters when the rows are in that order, and the same partition in any row
        order. What remains is the tree's: tied distances (integer counts, repeated
        samples) are merged by scipy's linkage in the order of the rows, and another tree
        is another cut (60 x 12 small integers, average/cityblock: each of 20 permutations
        gave another tree, and 19 another dynamic cut, ARI 0.49 to 0.84 with the rows in
        their order; a tree the same gives the same cut).
    min_support
        Keep only clusters whose branch has bootstrap support >= this level (e.g. 0.95, from
        :func:`~gexclust.tl.bootstrap`); the other samples are unassigned (NaN). Alone
        (without ``n_clusters``/``height``) it picks the largest supported branches below the
        root, as pvclust's ``pvpick``.
    support
        Which support ``min_support`` reads: ``'au'`` (approximately unbiased, pvclust's
        default) or ``'bp'``.
    variant
        Dynamic cut: ``'hybrid'`` (the default when ``None``, as R's; uses the distances of
        the tree's data) or ``'tree'`` (the tree alone). Given with a static cut, which has
        no variants, it is refused, as ``min_cluster_size`` and ``deep_split`` are.
        ``'hybrid'`` holds the n x n distance matrix (16 bytes per pair of samples: 6 GB at
        20,000); beyond the memory available it is refused up front with a ``MemoryError``,
        and ``'tree'`` works at any size.
    min_cluster_size
        Dynamic cut: smallest cluster (R's ``minClusterSize``). Default: a tenth of the
        samples, between 3 and 20 (R's 20 suits thousands of genes, not tens of samples).
        Beyond 200 samples the default is R's 20 whatever n, so the number of clusters grows
        with n: 65 on 2,000 samples of noise (hybrid), 1,139 on 100,000 cells of 10 groups
        (``variant='tree'``; 32 with ``min_cluster_size=1000``). More than 50 clusters
        under the default are announced by a logged warning that suggests a larger one
        (1% of n, at least 100).
    deep_split
        Dynamic cut: sensitivity, 0-4 for ``'hybrid'`` (default 1, as R), ``False``/``True``
        for ``'tree'`` (default ``False``, as R). Higher splits more.
    key
        Key of the hclust result in ``.uns``.
    key_added
        Name of the column written to ``.obs`` (or ``.var`` for a gene tree). A name that is
        a column of the other axis is refused (``.uns[key_added]`` and its colours are shared
        by both): cut a gene tree with, e.g., ``key_added='gene_cluster'``. A key whose
        ``.uns`` entry holds anything but an earlier cut (a scanpy tool's record, another
        tool's result) is refused.
    copy
        Return a modified copy instead of changing ``adata``.

    Returns
    -------
    ``None``, or a copy if ``copy=True``. Sets

    - ``.obs[key_added]`` (``.var`` for ``axis='var'`` trees): categorical cluster names;
      NaN for samples left unassigned by ``min_support`` or a dynamic cut;
    - ``.uns[f'{key_added}_colors']``: one colour per cluster (colours already there, one per
      cluster, are kept, as scanpy keeps colours set by hand);
    - ``.uns[key_added]``: ``params`` (the arguments: ``key``, ``method``, ``height``, and
      ``n_clusters``, ``min_support``, ``support`` for a static cut or ``variant``,
      ``min_cluster_size``, ``deep_split`` for a dynamic one; and ``tree_id``, the identity
      of the tree cut, see :func:`~gexclust.tl.choose_k`); the ``threshold`` at which the
      tree was cut, for drawing the cut line (``'none'`` for a merge-order, pvpick or dynamic
      cut, and for ``n_clusters`` of every leaf when identical leaves merge at height 0,
      which no height is below); ``n_clusters_found``; ``rule`` (``'maxclust'``, ``'distance'``,
      ``'merge_order'``, ``'pvpick'`` for ``min_support`` alone, ``'dynamic_hybrid'`` or
      ``'dynamic_tree'``); a ``note`` saying why fewer clusters than asked were found (tied
      heights, or clusters left unassigned by ``min_support``) or why no height was used
      (``'none'`` otherwise); for a static cut ``inversions`` (merges lower than a merge
      below them), for a dynamic one ``n_unassigned`` (samples in no cluster).

    When the cut gives ``.obs[key_added]`` other labels, scanpy's results of the earlier ones
    go: a dendrogram of ``sc.tl.dendrogram(adata, key_added)`` is removed (scanpy's plots with
    ``dendrogram=True`` compute it anew; they drew the earlier tree over as many new
    clusters), with a logged warning, and a ranking of ``sc.tl.rank_genes_groups`` by the
    column is named in a logged warning to rerun it.

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
    check_choice("method", method, ("static", "dynamic"))
    check_choice("support", support, ("au", "bp"))
    # whatever the method: a typo was taken without a word by the static cut, which has none
    if variant is not None:
        check_choice("variant", variant, ("hybrid", "tree"))
    # below 0 no merge lies (distances are >= 0): height=-1 cut every leaf apart without a
    # word, and a dynamic cut found no cluster, blaming min_cluster_size
    if height is not None and (isinstance(height, bool) or not isinstance(height, Real)
                               or not 0 <= height < np.inf):
        msg = (f"tl.cut: height must be a finite number of at least 0 (in the units of the "
               f"linkage), got {height!r}")
        raise ValueError(msg)
    refuse_tree_key(adata, key_added, caller="tl.cut")
    refuse_other_result(adata, key_added, own="rule", caller="tl.cut")
    tree = get_tree(adata, key, caller="tl.cut")
    _refuse_other_axis_key(adata, tree.axis, key, key_added)
    replaced = unrecorded_column(adata, key_added, axis=tree.axis, caller="tl.cut")
    before = labels_before(adata, key_added) if tree.axis == "obs" else None
    if method == "dynamic":
        if n_clusters is not None or min_support is not None:
            msg = ("tl.cut: method='dynamic' chooses the clusters itself; "
                   "drop n_clusters/min_support")
            raise ValueError(msg)
        adata = adata.copy() if copy else adata
        view_to_actual(adata)  # a view becomes an AnnData of its own, as in scanpy (no warning)
        cut_dynamic(adata, variant=variant or "hybrid", min_cluster_size=min_cluster_size,
                    deep_split=deep_split, height=height, key=key, key_added=key_added)
        if replaced:
            logger.warning("%s", replaced)
        forget_stale_scanpy_results(adata, key_added, before, caller="tl.cut")
        return adata if copy else None
    if min_cluster_size is not None or deep_split is not None:
        msg = "tl.cut: min_cluster_size and deep_split are for method='dynamic'; drop them"
        raise ValueError(msg)
    if variant is not None:  # variant='tree' cut by height without a word
        msg = (f"tl.cut: variant={variant!r} is for method='dynamic' (the static cut has no "
               "variants); drop it, or pass method='dynamic'")
        raise ValueError(msg)
    if (n_clusters is None) == (height is None) and min_support is None:
        msg = "tl.cut: give exactly one of n_clusters or height (or min_support alone)"
        raise ValueError(msg)
    if n_clusters is not None and height is not None:
        msg = "tl.cut: give only one of n_clusters or height"
        raise ValueError(msg)
    values = None if min_support is None else support_values(adata.uns[key], support=support)
    if copy:
        adata = adata.copy()
    view_to_actual(adata)  # a view becomes an AnnData of its own, as in scanpy (no warning)
    Z = tree.linkage
    n_leaves = tree.n_leaves
    inversions = count_inversions(Z)
    rule = "maxclust" if n_clusters is not None else "distance"
    if n_clusters is None and height is None:
        raw, rule, threshold = pick_supported(Z, values, min_support), "pvpick", None
    elif n_clusters is not None:
        if (isinstance(n_clusters, bool) or not isinstance(n_clusters, int | np.integer)
                or not 1 <= n_clusters <= n_leaves):
            msg = (f"tl.cut: n_clusters must be an integer between 1 and {n_leaves} (the number "
                   f"of leaves), got {n_clusters!r}")
            raise ValueError(msg)
        raw = tree_cuts(Z, [n_clusters])[0] + 1
        if inversions:
            # no height separates the clusters of a tree with inversions: cut by merge order
            rule = "merge_order"
            logger.warning(
                "tl.cut: the %s tree has %d inversion(s) (a merge lower than one below it), so no "
                "single height gives %d clusters; cut by merge order instead (undoing the last "
                "%d merges, as R's cutree(k=)); the dendrogram shows no cut line",
                tree.params.get("method", "?"), inversions, n_clusters, n_clusters - 1,
            )
            threshold = None
        else:
            threshold = _threshold_for(Z, n_clusters)
    else:
        if inversions:
            # fcluster's 'distance' cut: two leaves merged below the height are still split
            # when a merge above it lies inside their branch (R's cutree(h=) refuses such trees)
            logger.warning(
                "tl.cut: the tree has %d inversion(s) (a merge lower than one below it); a cut at "
                "height %g keeps together the leaves of each branch whose merges all lie at or "
                "below it (scipy's fcluster 'distance'), so leaves joined below that height are "
                "split when their branch holds a higher merge", inversions, height,
            )
        raw = hierarchy.fcluster(Z, height, criterion="distance")
        threshold = float(height)
    n_cut = len(np.unique(raw))  # before clusters without support are unassigned
    if values is not None and rule != "pvpick":
        raw = keep_supported(raw, Z, values, min_support)
    names = left_to_right(raw, tree.leaves)
    n_found = len(names.categories)
    notes = []
    if n_clusters is not None and n_cut != n_clusters:
        notes.append(f"tied merge heights: no height gives exactly {n_clusters} clusters; "
                     f"the cut at {threshold:.6g} gives {n_cut}")
        logger.warning("tl.cut: %s", notes[-1])
    elif rule == "merge_order":
        notes.append(f"tree has {inversions} inversion(s): cut by merge order, not at a height")
    elif rule == "maxclust" and threshold is None:
        notes.append("every leaf its own cluster, identical ones too: they merge at height 0, "
                     "which no cut height is below")
    if rule != "pvpick" and n_found < n_cut:
        notes.append(f"{n_cut - n_found} of the {n_cut} clusters have {support} < "
                     f"{min_support:g} (or are single samples); their samples are unassigned")
        logger.warning("tl.cut: %s", notes[-1])
    note = "; ".join(notes) or "none"
    frame = adata.obs if tree.axis == "obs" else adata.var
    frame[key_added] = names[np.argsort(tree.rows)]  # leaf i sits in row tree.rows[i]
    if replaced:
        logger.warning("%s", replaced)
    forget_stale_scanpy_results(adata, key_added, before, caller="tl.cut")
    set_cluster_colors(adata, key_added, n_found)
    adata.uns[key_added] = {
        "params": {
            "key": key,
            "n_clusters": "none" if n_clusters is None else int(n_clusters),
            "height": "none" if height is None else float(height),
            "method": "static",
            "min_support": "none" if min_support is None else float(min_support),
            "support": support,
            "tree_id": tree_id(adata.uns[key]),
        },
        "threshold": "none" if threshold is None else threshold,
        "n_clusters_found": n_found,
        "rule": rule,
        "inversions": inversions,
        "note": note,
    }
    return adata if copy else None


def _refuse_other_axis_key(adata: AnnData, axis: str, key: str, key_added: str) -> None:
    """Refuse a ``key_added`` that names a column of the other axis.

    ``.uns[key_added]`` and ``.uns[f'{key_added}_colors']`` are shared by ``.obs`` and
    ``.var``: a gene tree cut with the default ``key_added='cluster'`` replaced the record and
    the colours of the samples' clusters (the dendrogram lost its cut line, the bars their
    colours), without a word.
    """
    other, items, kind = (("var", "genes'", "sample") if axis == "obs"
                          else ("obs", "samples'", "gene"))
    if key_added in getattr(adata, other):
        example = f", e.g. key_added='gene_{key_added}'" if axis == "var" else ""
        msg = (f"tl.cut: key_added={key_added!r} is a column of .{other} (the {items} clusters, "
               f"whose .uns[{key_added!r}] and .uns['{key_added}_colors'] a cut of the {kind} "
               f"tree in .uns[{key!r}] would replace); pass another key_added{example}")
        raise ValueError(msg)


def left_to_right(raw_labels: np.ndarray, leaves: np.ndarray) -> pd.Categorical:
    """Rename flat cluster ids ``1..k`` in order of first appearance along the leaf order.

    Id 0 means unassigned and becomes NaN.
    """
    along = raw_labels[leaves]
    ids, first_seen = np.unique(along[along != 0], return_index=True)
    code_of = np.full(int(raw_labels.max()) + 1, -1)  # ids are small integers
    code_of[ids[np.argsort(first_seen)]] = np.arange(len(ids))
    return pd.Categorical.from_codes(code_of[raw_labels],
                                     categories=[str(i) for i in range(1, len(ids) + 1)])


def _threshold_for(Z: np.ndarray, n_clusters: int) -> float | None:
    """A height between the merges that leave ``n_clusters`` and ``n_clusters - 1`` clusters.

    ``None`` for every leaf its own cluster when the lowest merge is at 0 (identical
    samples): no height is below it, and 0 itself (recorded before) keeps those merges, so
    ``tl.cut(height=0)`` gave fewer clusters than the cut recorded at 0.
    """
    heights = np.sort(Z[:, 2])
    n_merges = len(heights)
    if n_clusters <= 1:
        return float(heights[-1] * 1.02)
    if n_clusters > n_merges:
        return float(heights[0] / 2) if heights[0] > 0 else None
    last_kept = heights[n_merges - n_clusters]
    first_undone = heights[n_merges - n_clusters + 1]
    middle = (last_kept + first_undone) / 2
    # heights one ulp apart have no float between them: the middle rounds to one of the two,
    # and at first_undone a cut keeps that merge (fcluster's 'distance' keeps merges <= t)
    return float(middle if middle < first_undone else last_kept)
