"""Consensus clustering (Monti et al. 2003), as ConsensusClusterPlus with ``clusterAlg='hc'``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from anndata import AnnData
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import squareform

from .._api import named, renamed
from .._checks import check_choice, whole_numbers
from .._defaults import MAX_RESAMPLES
from .._logging import logger
from .._palette import CLUSTER_COLUMN, set_cluster_colors
from .._utils import matrix_name, str_array, view_to_actual
from ._consensus_kernel import ConsensusTask, run_chunk
from ._flat_cuts import cuts_by_merge_order
from ._hclust import _check_defined as check_defined
from ._hclust import _observations, data_fingerprint, same_fingerprint
from ._methods import Method, Metric, check_method_metric
from ._parallel import check_seed, map_chunks
from ._resample_memory import check_consensus_memory, consensus_chunks
from ._scanpy_results import forget_stale_scanpy_results, labels_before
from ._tree_access import _match, refuse_other_result, refuse_tree_key, unrecorded_column
from ._tree_data import feature_order, warn_if_components
from ._weighted import prepare

#: Pairs with a consensus in (0.1, 0.9] are ambiguous (Senbabaoglu et al. 2014).
PAC_WINDOW = (0.1, 0.9)
_CDF_GRID = np.linspace(0.0, 1.0, 101)


@renamed("seed", "random_state", qualified="tl.consensus")
@named("tl.consensus")
def consensus(
    adata: AnnData,
    *,
    k_range: Iterable[int] = range(2, 11),
    n_resamples: int = 100,
    sample_fraction: float = 0.8,
    feature_fraction: float = 1.0,
    method: Method = "average",
    metric: Metric = "correlation",
    final_method: Method = "average",
    layer: str | None = None,
    use_rep: str | None = None,
    random_state: int = 0,
    n_jobs: int | None = None,
    client: Any = None,
    progress: bool = True,
    key_added: str = "consensus",
    copy: bool = False,
) -> AnnData | None:
    """Consensus clustering of the samples over subsamples, with PAC to choose k.

    Each resample draws ``floor(sample_fraction * n)`` samples (and, if
    ``feature_fraction < 1``, that share of the genes) without replacement, clusters them
    hierarchically with ``method``/``metric`` and cuts the tree into k clusters for every k.
    The consensus of two samples at k is the share of the resamples containing both in which
    they fell in the same cluster (ConsensusClusterPlus with ``clusterAlg='hc'``; its
    defaults are ``innerLinkage='average'``, ``distance='pearson'``, ``pItem=0.8``). The
    consensus classes are a cut of the ``final_method`` tree on 1 - consensus.

    The recommended k has the lowest PAC, the proportion of ambiguously clustered pairs
    (consensus in (0.1, 0.9]; Senbabaoglu et al. 2014): near 0 when the clusters are
    reproducible, high on structureless data at every k; on exact ties the largest such k
    (nested groups that are all reproducible). The delta area of Monti et al. is stored too.

    A sample whose distance is undefined on every gene (constant, for ``'correlation'`` and
    ``'spearman'``; all zero, for ``'cosine'``) is refused with a ``ValueError`` naming it,
    as :func:`~gexclust.tl.hclust` refuses it; a resample in which a sample is constant on
    the genes drawn (``feature_fraction < 1``) is left out (it casts no vote), and a
    logged warning says how many were; when every resample is, a ``ValueError`` says so.

    Parameters
    ----------
    adata
        Annotated data matrix (samples x genes).
    k_range
        Numbers of clusters to try (each at least 2, at most the subsample size).
    n_resamples
        Resamples (ConsensusClusterPlus's ``reps``), at most 100,000.
    sample_fraction
        Share of the samples drawn per resample (``pItem``).
    feature_fraction
        Share of the genes drawn per resample (``pFeature``). With ``use_rep`` the
        components are drawn as if they were genes, which a warning says they are not.
    method
        Linkage of each resample (``innerLinkage``); see :func:`~gexclust.tl.hclust`.
    metric
        Distance of each resample; ``'correlation'`` is ConsensusClusterPlus's ``'pearson'``.
    final_method
        Linkage of the tree on 1 - consensus that gives the classes (``finalLinkage``):
        ``'average'``, ``'complete'``, ``'single'`` or ``'weighted'`` (ward, centroid and
        median need euclidean distances, which 1 - consensus is not).
    layer
        Cluster this layer instead of ``.X``.
    use_rep
        Cluster ``.obsm[use_rep]`` instead of ``.X``.
    random_state
        Seed: resample ``i`` draws from ``SeedSequence(random_state, spawn_key=(i,))``
        (``seed=`` is its former name, still taken with a ``FutureWarning``): identical numbers
        for every ``n_jobs`` and on any dask cluster. The samples are drawn from those
        sorted by ``obs_names``, so their order in ``adata`` does not change the result.
    n_jobs
        Local worker processes: ``None`` or 1 runs serially, -1 uses every core.
    client
        A ``dask.distributed.Client``: resamples run on its cluster.
    progress
        Show a progress bar (on terminals and notebooks).
    key_added
        Prefix of the keys written. A key whose ``.uns`` entry holds anything but an earlier
        result of this function (a cut's record, another tool's result) is refused.
    copy
        Return a modified copy instead of changing ``adata``.

    Returns
    -------
    ``None``, or a copy if ``copy=True``. Sets

    - ``.obsp[f'{key_added}_k{k}']``: the consensus matrix at each k (those of an earlier
      run with the same ``key_added`` are removed first);
    - ``.obsm[f'{key_added}_classes']``: samples x k's, the consensus class (1..k, numbered
      left to right along the consensus tree) at each k of ``.uns[key_added]['k']``;
    - ``.obs[key_added]``: the classes at the recommended k (categorical; scanpy's results of
      other labels there go, as after :func:`~gexclust.tl.cut`);
    - ``.obs[f'{key_added}_stability']``: each sample's mean consensus with the other
      members of its class at that k (ConsensusClusterPlus's item consensus; NaN alone);
    - ``.uns[f'{key_added}_colors']``: a class that is one of ``.obs['cluster']``'s clusters
      (most of its samples, and most of the cluster's) in that cluster's colour, the others in
      colours of their own, so no colour means two groups of samples;
    - ``.uns[key_added]``: ``k``, ``pac``, ``area`` (under the CDF), ``delta_area``,
      ``cdf_x`` and ``cdf`` (k's x 101, the CDF of the consensus values of all pairs),
      ``cluster_consensus`` (per k, the mean consensus within each class), ``best_k``,
      ``labels`` (the samples, in their order then) and ``params`` (with ``n_features``,
      ``n_left_out``, the resamples left out, and the ``data_fingerprint`` of
      :func:`~gexclust.tl.hclust`, so that
      :func:`~gexclust.pl.consensus` and the report refuse a result whose samples or values
      have changed since).

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, n_top=500, subset=True)
    >>> gx.tl.consensus(adata, k_range=range(2, 7), n_resamples=20, progress=False)
    >>> adata.uns["consensus"]["best_k"] in range(2, 7)
    True
    """
    check_method_metric(method, metric)
    check_choice("final_method", final_method, ("average", "complete", "single", "weighted"))
    seed = check_seed(random_state)
    # a numpy integer (n_boot, n_clusters and n_top take one) was refused as no integer
    if (isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer)
            or n_resamples < 1):
        msg = f"n_resamples must be a positive integer, got {n_resamples!r}"
        raise ValueError(msg)
    n_resamples = int(n_resamples)
    if n_resamples > MAX_RESAMPLES:
        msg = (f"n_resamples={n_resamples:,} is more than the {MAX_RESAMPLES:,} allowed "
               "(1,000 is ConsensusClusterPlus's usual number)")
        raise ValueError(msg)
    for name, value in (("sample_fraction", sample_fraction),
                        ("feature_fraction", feature_fraction)):
        if not 0 < value <= 1:
            msg = f"{name} must be in (0, 1], got {value!r}"
            raise ValueError(msg)
    refuse_tree_key(adata, key_added, caller="tl.consensus")
    refuse_other_result(adata, key_added, own="pac", caller="tl.consensus")
    if copy:
        adata = adata.copy()
    view_to_actual(adata)  # a view becomes an AnnData of its own, as in scanpy (no warning)
    data, _ = _observations(adata, axis="obs", use_rep=use_rep, layer=layer,
                           caller="tl.consensus")
    if not np.isfinite(data).all():
        msg = "tl.consensus: the data contain NaN or infinite values; handle missing values first"
        raise ValueError(msg)
    if metric in ("correlation", "spearman", "cosine"):
        # undefined on every gene, it is undefined in every resample that draws it: each
        # would be skipped (no vote) and the sample never clustered; tl.hclust refuses it too
        check_defined(data, metric, labels=adata.obs_names, item="sample",
                      caller="tl.consensus")
    n, p = data.shape
    n_items = int(np.floor(n * sample_fraction))
    ks = _check_ks(k_range, n, sample_fraction)
    # resamples are drawn over the samples (and genes) sorted by name, not over positions:
    # the same samples in another order draw the same resamples for the same seed
    order = np.argsort(str_array(adata.obs_names), kind="stable")
    if feature_fraction < 1:
        warn_if_components(use_rep, caller="tl.consensus",
                           what="the consensus is not ConsensusClusterPlus's pFeature")
    columns = feature_order(adata, axis="obs", use_rep=use_rep)
    columns = np.arange(p) if columns is None else columns
    # refused before the task's copy of the data is made
    check_consensus_memory(n, n_ks=len(ks), n_jobs=n_jobs, client=client, n_features=p)
    task = ConsensusTask(
        data=prepare(data[np.ix_(order, columns)], metric),
        method=method,
        metric=metric,
        ks=ks,
        n_items=n_items,
        n_features=max(1, int(np.floor(p * feature_fraction))),
        seed=seed,
    )
    chunks = consensus_chunks(n_resamples, n_jobs)
    together, sampled = map_chunks(run_chunk, chunks, shared=task, n_jobs=n_jobs,
                                   client=client, progress=progress, desc="consensus",
                                   add=add_counts)
    # each resample clustered adds its n_items draws to the diagonal: the rest were left out
    n_left_out = n_resamples - int(np.trace(sampled)) // n_items
    if n_left_out == n_resamples:  # no co-clustering at all: PAC 0 would read "perfectly stable"
        msg = (f"tl.consensus: none of the {n_resamples} resamples could be clustered: in each, "
               f"a sample was constant on the {task.n_features} of {p} features drawn (its "
               f"distances undefined, metric={metric!r}); raise feature_fraction or use "
               "metric='euclidean'")
        raise ValueError(msg)
    if n_left_out:
        logger.warning("tl.consensus: %d of the %d resamples were left out: a sample was constant "
                       "on the genes drawn (its distances undefined), so the consensus rests on %d",
                       n_left_out, n_resamples, n_resamples - n_left_out)
    summary = _in_rows(summarise(together, sampled, ks, final_method=final_method), order)
    _store(adata, summary, ks, key_added=key_added, params={
        "n_resamples": n_resamples,
        "n_left_out": n_left_out,
        "sample_fraction": float(sample_fraction),
        "feature_fraction": float(feature_fraction),
        "method": method,
        "metric": metric,
        "final_method": final_method,
        "layer": layer or "X",
        "use_rep": use_rep or "X",
        "random_state": seed,
        "n_features": int(p),
        "data_fingerprint": data_fingerprint(data),
    }, labels=adata.obs_names)
    logger.info("tl.consensus: PAC %s; recommended k = %d",
                ", ".join(f"k={k}: {v:.3f}" for k, v in zip(ks, summary["pac"], strict=True)),
                summary["best_k"])
    return adata if copy else None


def add_counts(total: tuple[np.ndarray, ...] | None,
               counts: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """Add one chunk's int32 counts into int64 totals, in place (integer sums: order-free)."""
    if total is None:
        return tuple(c.astype(np.int64) for c in counts)
    for t, c in zip(total, counts, strict=True):
        t += c
    return total


def _check_ks(k_range: Iterable[int], n: int, sample_fraction: float) -> tuple[int, ...]:
    """The sorted k's, each of which a resample of ``sample_fraction`` of ``n`` samples can give."""
    k_range = whole_numbers("k_range", k_range, caller="tl.consensus", what=" of clusters")
    ks = tuple(sorted({int(k) for k in k_range}))
    n_items = int(np.floor(n * sample_fraction))
    if ks and ks[0] >= 2 and ks[-1] <= n_items:
        return ks
    # the largest k some fraction could give; 2 when k_range holds no such k
    reachable = max((k for k in ks if 2 <= k <= n), default=2)
    if n_items < 2:
        # "between 2 and 0" would blame k_range; the fraction is what leaves nothing to cluster
        msg = (f"tl.consensus: sample_fraction={sample_fraction:g} draws {n_items} of the {n} "
               f"samples per resample, too few to cluster; use "
               f"{_fractions_for(reachable, n)}")
        never = [k for k in ks if not 2 <= k <= n]
        if never:
            msg += f", and k_range between 2 and {n} (the samples), not {_some(never)}"
        raise ValueError(msg)
    beyond = [k for k in ks if not 2 <= k <= n_items]
    which = (f"{len(beyond)} of them {'is' if len(beyond) == 1 else 'are'} not: {_some(beyond)}"
             if beyond else "got none")
    msg = (f"tl.consensus: k_range must hold numbers of clusters between 2 and {n_items} "
           f"(the samples drawn per resample); {which}")
    if ks and all(2 <= k <= n for k in ks):  # a larger fraction would give every k asked for
        msg += f"; or use {_fractions_for(reachable, n)}"
    raise ValueError(msg)


def _some(values: list[int]) -> str:
    """The values at fault, not a whole range(2, 70) spelled out."""
    return ", ".join(map(str, values if len(values) <= 5 else [*values[:3], "...", values[-1]]))


def _fractions_for(k: int, n: int) -> str:
    """The sample_fractions (of at most 1) that draw at least ``k`` of ``n`` samples, in words."""
    # rounded up to 3 decimals, then raised until floor(n * f) really reaches k
    # (0.29 * 100 is 28.999999999999996)
    low = min(np.ceil(k / n * 1000) / 1000, 1.0)
    while low < 1 and np.floor(n * low) < k:
        low = min(round(low + 0.001, 3), 1.0)
    draws = f"{k} of the {n} samples per resample, as k = {k} needs"
    if low == 1:
        return f"sample_fraction=1 (it must draw {draws})"
    return f"sample_fraction between {low:g} and 1 (to draw at least {draws})"


def summarise(together: np.ndarray, sampled: np.ndarray, ks: tuple[int, ...], *,
              final_method: str) -> dict[str, Any]:
    """Consensus matrices, classes, CDF, area, delta area, PAC and the best k from counts."""
    with np.errstate(invalid="ignore", divide="ignore"):
        matrices = np.where(sampled > 0, together / np.maximum(sampled, 1), 0.0)
    upper = np.triu_indices(sampled.shape[0], 1)
    cdf, area, pac, classes, cluster_consensus = [], [], [], [], {}
    for j, k in enumerate(ks):
        values = matrices[j][upper]
        # right-closed bins, as R's hist(): a value on a break counts below it
        cdf.append(np.searchsorted(np.sort(values), _CDF_GRID + 1e-9, side="left") / len(values))
        area.append(float(np.sum(cdf[-1][1:]) * 0.01))
        low, high = PAC_WINDOW
        pac.append(float(np.mean((values > low + 1e-9) & (values <= high + 1e-9))))
        Z = linkage(squareform(1.0 - matrices[j], checks=False), method=final_method)
        # R's cutree(k=), classes 1..k numbered left to right along the tree
        classes.append(cuts_by_merge_order(Z, [k])[0] + 1)
        cluster_consensus[str(k)] = np.array([
            _mean_within(matrices[j], classes[-1] == c) for c in range(1, k + 1)
        ])
    area = np.array(area)
    delta = np.concatenate([area[:1], np.diff(area) / area[:-1]])
    pac = np.array(pac)
    # equally unambiguous partitions (PAC 0 at k = 2 and at k = 5, say): the finer one says more
    best = int(np.flatnonzero(pac <= pac.min() + 1e-12)[-1])
    best_classes = classes[best]
    return {
        "matrices": matrices,
        "classes": np.column_stack(classes),
        "cdf": np.array(cdf),
        "area": area,
        "delta_area": delta,
        "pac": pac,
        "best_k": ks[best],
        "cluster_consensus": cluster_consensus,
        "stability": item_consensus(matrices[best], best_classes),
        "best_classes": best_classes,
    }


def _in_rows(summary: dict[str, Any], order: np.ndarray) -> dict[str, Any]:
    """``summary`` of the samples taken in ``order``, put back in the rows' order."""
    rows = np.argsort(order)  # row i is sample rows[i] of the sorted order
    return {
        **summary,
        "matrices": summary["matrices"][:, rows][:, :, rows],
        "classes": summary["classes"][rows],
        "stability": summary["stability"][rows],
        "best_classes": summary["best_classes"][rows],
    }


def item_consensus(matrix: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Mean consensus of each sample with the other members of its class (NaN when alone)."""
    out = np.full(len(classes), np.nan)
    for c in np.unique(classes):
        members = np.flatnonzero(classes == c)
        if len(members) > 1:
            block = matrix[np.ix_(members, members)]
            out[members] = (block.sum(axis=1) - np.diag(block)) / (len(members) - 1)
    return out


def _mean_within(matrix: np.ndarray, members: np.ndarray) -> float:
    index = np.flatnonzero(members)
    if len(index) < 2:
        return float("nan")
    block = matrix[np.ix_(index, index)]
    return float(block[np.triu_indices(len(index), 1)].mean())


def _store(adata: AnnData, summary: dict, ks: tuple[int, ...], *, key_added: str,
           params: dict, labels) -> None:
    prefix = f"{key_added}_k"
    for name in [n for n in adata.obsp if n.startswith(prefix) and n[len(prefix):].isdigit()]:
        del adata.obsp[name]  # an earlier run's, maybe of a k this run did not compute
    for j, k in enumerate(ks):
        adata.obsp[f"{key_added}_k{k}"] = summary["matrices"][j]
    adata.obsm[f"{key_added}_classes"] = summary["classes"]
    best_k = summary["best_k"]
    names = [str(i) for i in range(1, best_k + 1)]
    replaced = unrecorded_column(adata, key_added, caller="tl.consensus")
    before = labels_before(adata, key_added)
    adata.obs[key_added] = pd.Categorical(summary["best_classes"].astype(str), categories=names)
    if replaced:
        logger.warning("%s", replaced)
    forget_stale_scanpy_results(adata, key_added, before, caller="tl.consensus")
    adata.obs[f"{key_added}_stability"] = summary["stability"]
    set_cluster_colors(adata, key_added, best_k, matching=CLUSTER_COLUMN)
    adata.uns[key_added] = {
        "k": np.array(ks),
        "pac": summary["pac"],
        "area": summary["area"],
        "delta_area": summary["delta_area"],
        "cdf_x": _CDF_GRID.copy(),
        "cdf": summary["cdf"],
        "cluster_consensus": summary["cluster_consensus"],
        "best_k": int(best_k),
        "labels": np.asarray(labels, dtype=str),
        "params": params,
    }


def checked_consensus(adata: AnnData, key: str = "consensus", *, caller: str) -> dict:
    """``.uns[key]`` of :func:`consensus`, refused when it no longer belongs to ``adata``.

    The consensus was computed on certain samples and values (``labels`` and
    ``params['data_fingerprint']``, as :func:`~gexclust.tl.hclust` records them for a tree):
    reordered samples are fine (``.obsp``/``.obsm`` follow them), a subset or changed values
    (e.g. ``pp.scale`` or other genes since) give a ``ValueError`` saying to rerun it. A
    result that records neither (an earlier gexclust) is used with a logged warning.
    """
    result = adata.uns[key]
    params = result.get("params", {})
    rerun = ("rerun gexclust.tl.consensus(adata"
             + ("" if key == "consensus" else f", key_added={key!r}") + ")")
    labels, stored = result.get("labels"), params.get("data_fingerprint")
    if labels is None or stored is None:
        logger.warning("%s: .uns[%r] does not record the samples and values it was computed "
                       "on (an earlier gexclust made it), so it cannot be checked against "
                       "them; if they changed since, %s", caller, key, rerun)
        return result
    labels = str_array(labels)
    rows = _match(labels, adata.obs_names, n_leaves=len(labels), axis="obs", key=key,
                  caller=caller, subject=f"the consensus in .uns[{key!r}]", items="samples",
                  rerun=rerun)
    use_rep, layer = params.get("use_rep", "X"), params.get("layer", "X")
    data, _ = _observations(adata, axis="obs", use_rep=None if use_rep == "X" else use_rep,
                            layer=None if layer == "X" else layer, caller=caller)
    where = (f".obsm[{use_rep!r}]" if use_rep != "X" else
             matrix_name(None if layer == "X" else layer))
    n_features = int(params.get("n_features", data.shape[1]))
    if n_features != data.shape[1] or not same_fingerprint(stored, data_fingerprint(data[rows])):
        changed = (f"had {n_features} features, now {data.shape[1]}"
                   if n_features != data.shape[1] else "values changed")
        msg = (f"{caller}: .uns[{key!r}] was computed on other data than {where} holds now "
               f"({changed} since tl.consensus, e.g. by pp.scale or a gene selection); {rerun}")
        raise ValueError(msg)
    return result
