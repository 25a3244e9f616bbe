"""Multiscale bootstrap support of every node of a tree (pvclust's AU and BP)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from anndata import AnnData

from .._api import named, renamed
from .._logging import logger
from .._utils import view_to_actual
from ._bootstrap_kernel import BootstrapTask, Chunk, leaf_hashes, node_hashes, run_chunk
from ._multiscale import fit_nodes
from ._parallel import check_seed, map_chunks
from ._resample_memory import check_bootstrap_memory
from ._tree_data import feature_order, tree_and_data, warn_if_components
from ._weighted import prepare

#: pvclust's default scales, ``seq(0.5, 1.4, by = 0.1)``.
DEFAULT_SCALES = tuple(np.round(np.arange(0.5, 1.41, 0.1), 1).tolist())
_CHUNK = 50


@renamed("seed", "random_state", qualified="tl.bootstrap")
@named("tl.bootstrap")
def bootstrap(
    adata: AnnData,
    *,
    n_boot: int = 1000,
    scales: Sequence[float] = DEFAULT_SCALES,
    key: str = "hclust",
    random_state: int = 0,
    n_jobs: int | None = None,
    client: Any = None,
    progress: bool = True,
    copy: bool = False,
) -> AnnData | None:
    """Approximately unbiased (AU) and bootstrap (BP) support of every node, as pvclust.

    The features of the stored tree's data (genes, for a sample tree) are resampled with
    replacement at each scale ``r`` (``floor(r * n_features)`` draws), the objects are
    reclustered with the tree's own metric and linkage, and each node of the original tree
    counts as present in a replicate when some merge has exactly its members. The
    multiscale fit of Shimodaira (2004) turns the counts into AU (the p-value to trust;
    AU >= 0.95 means the cluster is supported at the 5% level), BP (ordinary bootstrap
    probability) and SI (selective inference), with standard errors, exactly as
    ``pvclust::msfit``.

    Resampling genes to cluster samples treats the genes as independent. Co-regulated genes
    are not, so AU values can be optimistic (too many supported clusters); read them as a
    ranking of branches more than as exact p-values. A tree built on a representation
    (``use_rep``, such as ``'X_pca'``) has its components resampled as if they were genes,
    which they are not (a few components carry most of the variance): a warning says so.

    Parameters
    ----------
    adata
        Annotated data matrix with a tree from :func:`~gexclust.tl.hclust` in ``.uns[key]``,
        and the data it was built from (same ``layer``/``use_rep``, same names).
    n_boot
        Replicates at each scale (pvclust's ``nboot``).
    scales
        Relative replicate sizes ``r`` (pvclust's ``r``). Sizes that round to the same number
        of features are used once.
    key
        Key of the tree in ``.uns``; the result goes to ``.uns[key]['support']``.
    random_state
        Seed: replicate ``i`` at scale ``j`` draws from
        ``SeedSequence(random_state, spawn_key=(j, i))`` (``seed=`` is its former name, still
        taken with a ``FutureWarning``), so results are identical for every ``n_jobs`` and on
        any dask cluster.
    n_jobs
        Local worker processes: ``None`` or 1 runs serially, -1 uses every core.
    client
        A ``dask.distributed.Client``: replicates run on its cluster instead (needs
        ``pip install 'gexclust[dask]'``).
    progress
        Show a progress bar (on terminals and notebooks).
    copy
        Return a modified copy instead of changing ``adata``.

    Returns
    -------
    ``None``, or a copy if ``copy=True``. Sets ``.uns[key]['support']``, a dict of arrays
    aligned with the rows of the tree's linkage matrix (row ``i`` is the node that merge ``i``
    creates):

    - ``au``, ``bp``, ``si``: AU p-value, bootstrap probability (fitted, at r = 1) and SI
      p-value, in [0, 1];
    - ``se_au``, ``se_bp``, ``se_si``: their standard errors;
    - ``v``, ``c``: the fitted signed distance and curvature; ``pchi``: goodness of fit;
    - ``counts``: nodes x scales, replicates containing the node;
    - ``r``: the scales used (number of features drawn / number of features);
    - ``params``: ``n_boot``, ``random_state``, ``method``, ``metric``, ``n_failed``
      (replicates with undefined distances, which support no node, as in pvclust).

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, n_top=500, subset=True)
    >>> gx.tl.hclust(adata, method="average", metric="correlation")
    >>> gx.tl.bootstrap(adata, n_boot=100, progress=False)
    >>> sorted(adata.uns["hclust"]["support"])[:3]
    ['au', 'bp', 'c']
    """
    n_boot = _positive_int("n_boot", n_boot)
    seed = check_seed(random_state)
    if copy:
        adata = adata.copy()
    view_to_actual(adata)  # the support goes into the tree's record, which a view shares
    stored, tree, data = tree_and_data(adata, key=key, caller="tl.bootstrap")
    Z = tree.linkage
    params = tree.params
    needed = "tl.bootstrap needs to rebuild the tree on resampled features"
    method = tree.recorded("method", caller="tl.bootstrap", needed=needed)
    metric = tree.recorded("metric", caller="tl.bootstrap", needed=needed)
    n_features = data.shape[1]
    sizes = _sizes(scales, n_features)
    check_bootstrap_memory(data.shape[0], n_jobs=n_jobs, client=client,
                           what="observations" if tree.axis == "obs" else "genes",
                           n_replicates=n_boot * len(sizes), n_features=n_features)
    codes = leaf_hashes(data.shape[0])
    # genes are drawn over their names' sorted order, not their positions: the same genes in
    # another order give the same replicates for the same seed
    warn_if_components(params.get("use_rep"), caller="tl.bootstrap",
                       what="the support values are not pvclust's")
    columns = feature_order(adata, axis=tree.axis, use_rep=params.get("use_rep"))
    task = BootstrapTask(
        data=prepare(data if columns is None else data[:, columns], metric),
        method=method,
        metric=metric,
        seed=seed,
        leaf_hashes=codes,
        node_of_hash={code: row for row, code in enumerate(node_hashes(Z, codes))},
    )
    chunks = [
        Chunk(scale=j, size=size, start=start, stop=min(start + _CHUNK, n_boot))
        for j, size in enumerate(sizes)
        for start in range(0, n_boot, _CHUNK)
    ]
    results = map_chunks(
        run_chunk,
        chunks,
        shared=task,
        n_jobs=n_jobs,
        client=client,
        progress=progress,
        desc="bootstrap",
    )
    counts = np.zeros((len(Z), len(sizes)), dtype=np.int64)
    n_failed = 0
    for chunk, (chunk_counts, failed) in zip(chunks, results, strict=True):
        counts[:, chunk.scale] += chunk_counts
        n_failed += failed
    if n_failed:
        logger.warning("tl.bootstrap: %d replicates had undefined distances and were skipped",
                       n_failed)
    r = np.asarray(sizes, dtype=np.float64) / n_features
    fitted = fit_nodes(counts, r, np.full(len(sizes), float(n_boot)))
    stored["support"] = {
        **fitted,
        "counts": counts,
        "r": r,
        "params": {
            "n_boot": n_boot,
            "random_state": seed,
            "method": method,
            "metric": metric,
            "n_failed": int(n_failed),
        },
    }
    n_supported = int((fitted["au"] >= 0.95).sum())
    logger.info("tl.bootstrap: %d of %d nodes with AU >= 0.95", n_supported, len(Z))
    return adata if copy else None


def _sizes(scales: Sequence[float], n_features: int) -> list[int]:
    """Distinct numbers of features drawn, ``floor(r * n)`` as pvclust, in increasing order."""
    r = np.asarray(scales, dtype=np.float64)
    if r.ndim != 1 or len(r) == 0 or not (np.isfinite(r).all() and (r > 0).all()):
        msg = f"scales must be positive numbers, e.g. {DEFAULT_SCALES}; got {list(scales)!r}"
        raise ValueError(msg)
    # the small offset keeps 0.7 * 250 = 175 (not 174.99999999999997 -> 174)
    sizes = sorted({int(np.floor(x * n_features + 1e-9)) for x in r} - {0})
    if len(sizes) < 3:
        msg = (
            f"bootstrap needs at least 3 distinct replicate sizes for the multiscale fit; "
            f"scales={list(scales)!r} with {n_features} features give {sizes}"
        )
        raise ValueError(msg)
    return sizes


def _positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        msg = f"{name} must be a positive integer, got {value!r}"
        raise ValueError(msg)
    return int(value)

