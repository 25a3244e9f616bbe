"""How many clusters? Score every cut of a tree, and test whether there is structure at all."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import scipy.linalg
from anndata import AnnData
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform
from threadpoolctl import threadpool_limits

from .._api import named
from .._checks import check_choice, check_whole, whole_numbers
from .._logging import logger
from .._memory import refuse_pairwise
from .._utils import view_to_actual
from ._distances import BLAS_METRICS, blocked_pdist, undefined_rows
from ._flat_cuts import tree_cuts
from ._hclust import pairwise_distances
from ._parallel import progress_bar
from ._tree_access import refuse_other_result, refuse_tree_key, tree_id
from ._tree_data import tree_and_data

CRITERIA = ("silhouette", "calinski_harabasz", "gap")
REFERENCES = ("rotate", "permute", "pca_uniform")
K_RANGE = range(2, 11)  # the default cuts scored: k = 2..10
#: Observations the pairwise scores use by default; beyond, a seeded random sample.
SAMPLE_SIZE = 2000
#: Peak bytes per pair of observations scored (square distances, their squares, a linkage).
BYTES_PER_PAIR = 24
#: Rough seconds of the scores, measured on this project's 2-core machine (CPU seconds, one
#: BLAS thread): per operation of turning a copy (the Cholesky or Householder QR of an n x w
#: Gaussian matrix and the product with the n x d data, w = min(d, n - 1), which euclidean
#: copies of d < n - 1 columns leave out; 0.11 s at 2,000 x 1,000) and per squared
#: observation and copy (distances, tree and scores of a copy: 0.14 s at 2,000 x 1,000,
#: 0.08 s at 2,000 x 50). Only for the warning below: 2,000 x 1,000 euclidean took 124 s
#: before its copies were thin, 55-74 s before their Cholesky QR and blocked distances
#: (41 s of CPU), and 25-27 s of CPU since (estimate 26 s).
SECONDS_PER_ROTATION_FLOP = 6e-11
SECONDS_PER_PAIR_AND_COPY = 3.5e-8
#: Gaussian draws of this many columns or more, and CHOLESKY_QR_ASPECT times as many rows, are
#: made Haar-random frames by Cholesky QR (see :func:`haar_frame`)
CHOLESKY_QR_COLUMNS = 64
CHOLESKY_QR_ASPECT = 1.5
#: Copies of more features than this get their distances from BLAS products, not pdist.
BLAS_FROM_FEATURES = 64
#: Rows of the square distances squared at a time for W_k's sums (1.6 MB at 2,000)
SUM_ROWS = 100
#: choose_k warns before scores estimated to take longer than this (seconds).
SLOW_SECONDS = 120.0
#: choose_k shows a progress bar over its copies when they are estimated to take longer.
PROGRESS_SECONDS = 10.0
#: Below this many observations scored, a weak verdict says that the test has little power
#: there (README, "Power on small sets": two groups of 10 samples, 10% of 500 genes 3 SD
#: apart, were called strong in 2 of 10 seeds, although the tree's cut found them exactly;
#: two groups of 20 in 9 of 10).
LOW_POWER_BELOW = 40


@named("tl.choose_k")
def choose_k(
    adata: AnnData,
    *,
    k_range=K_RANGE,
    key: str = "hclust",
    criterion: Literal["silhouette", "calinski_harabasz", "gap"] = "silhouette",
    n_refs: int = 20,
    reference: Literal["rotate", "permute", "pca_uniform"] = "rotate",
    n_rotations: int = 99,
    alpha: float = 0.05,
    sample_size: int | None = SAMPLE_SIZE,
    random_state: int = 0,
    key_added: str = "choose_k",
    inplace: bool = True,
    progress: bool = True,
) -> dict | None:
    """Score the cuts of a tree into k clusters and recommend k, saying how strong the groups are.

    Each cut ``k`` of the tree in ``.uns[key]`` (from :func:`~gexclust.tl.hclust`) is scored by

    - **silhouette** (Rousseeuw 1987): mean over observations of ``(b - a) / max(a, b)`` on the
      tree's own distances (its ``metric``); a singleton scores 0, as in scikit-learn;
    - **Calinski-Harabasz**: between- over within-cluster dispersion of the clustered matrix
      (euclidean), each divided by its degrees of freedom;
    - **gap statistic** (Tibshirani, Walther & Hastie 2001): ``gap(k) = mean(log W*_k) - log W_k``
      where ``W_k = sum_r D_r / (2 n_r)`` and ``D_r`` sums the tree's distances (squared when
      euclidean, as in the paper) over ordered pairs within cluster ``r``; ``W*_k`` is the same
      for reference data sets, each clustered by the same method and metric. Its k is
      the paper's rule, the smallest ``k >= 1`` with ``gap(k) >= gap(k+1) - s(k+1)``; k=1 means
      "no structure".

    Reference data sets (``reference``): ``'rotate'`` (default) uses the rotated copies of the
    test of structure below (one cloud with the data's covariance); ``'permute'`` permutes each
    feature independently across observations, which keeps every gene's distribution and
    destroys co-expression; ``'pca_uniform'`` draws uniformly in the box aligned with the
    principal components of the data (Tibshirani's reference (b), R's
    ``clusGap(spaceH0='scaledPCA')``). In high dimensions the uniform reference is too weak to
    tell planted groups from noise. The permutation reference finds planted groups, but on
    real data, where genes co-vary, its gap grows up to the largest k every time; the rotated
    reference keeps the co-expression and answers k=1 on one cloud (measured, see the README).

    **Test of structure.** Are the groups more than one cloud of samples would give? Permuting
    genes cannot answer that: it also destroys co-expression, so every real data set (where
    genes are correlated) would beat it, groups or not. The null hypothesis here is one Gaussian
    cloud with the data's own gene-gene covariance, tested exactly by rotation (Langsrud 2005;
    the question of SigClust, Liu et al. 2008): ``n_rotations`` copies of the data, each with
    the centred samples turned by a random orthogonal matrix that keeps their mean. A copy has
    the same covariance and total variance as the data, but no groups; under the null the data
    and its copies are exchangeable, so the test holds its level for any covariance. Each copy
    is clustered with the same method and metric and cut into every ``k``; the statistic is the
    largest over ``k`` of the silhouette standardised by its mean and SD at that ``k`` over the
    data and all copies (small silhouettes of many-cluster cuts count as much as large ones of
    two-cluster cuts). Groups are called *strong* when the data's statistic is above all but a
    fraction ``alpha`` of the copies'; otherwise the result says plainly that the groups are
    weak. (In high dimensions real groups can have small silhouettes, 0.05 say, and still be far
    above what one cloud gives, so the absolute size of the silhouette is not the test.) Small
    sets have little power: two groups of 10 samples (500 genes, 10% of them 3 SD higher in one
    group) were called strong in 2 of 10 seeds although the tree's cut at k=2 found them
    exactly in all 10, and two groups of 20 in 9 of 10 (the README's table), so below about 40
    samples a weak verdict may be the test's, not the data's. The
    test assumes Gaussian-like samples: samples at very different distances from the centre
    (heavy tails, outlier arrays) can look like groups to it (one cloud of multivariate t with 3
    degrees of freedom was called strong in 7 to 10 of 10 seeds at 64 x 2,000, with or without
    co-expressed genes), so look at what the
    clusters hold before trusting a split of a few far-out samples.

    Parameters
    ----------
    adata
        Annotated data matrix with a tree in ``.uns[key]``.
    k_range
        Numbers of clusters to score (values above ``n - 1`` are dropped).
    key
        Key of the :func:`~gexclust.tl.hclust` result; its data (``use_rep``/``layer``),
        ``method`` and ``metric`` are reused for the references.
    criterion
        Which score recommends ``k``: ``'silhouette'`` (maximum), ``'calinski_harabasz'``
        (maximum) or ``'gap'`` (Tibshirani's rule, may answer 1).
    n_refs
        Number of reference data sets of the gap statistic (``B`` in the paper) with
        ``reference='permute'`` or ``'pca_uniform'``; ``'rotate'`` uses the ``n_rotations``
        copies.
    reference
        Reference data of the gap statistic: ``'rotate'``, ``'permute'`` or ``'pca_uniform'``,
        see above.
    n_rotations
        Number of rotated copies for the test of structure; at least ``1 / alpha - 1`` (19 for
        0.05) for the test to be able to reach ``alpha``. The default 99 resolves p-values to
        0.01, so real groups near the edge (p about 0.03 on GSE781's 17 U133B arrays) are not
        lost to the test's own granularity.
    alpha
        Level of the test of structure.
    sample_size
        The silhouette, the gap statistic and the test of structure need all pairwise
        distances (n x n memory) and recluster ``n_refs`` references: with more observations
        than this (e.g. 100,000 cells), they are computed on a random sample of
        ``sample_size`` of them (drawn with ``random_state``, as scikit-learn's
        ``silhouette_score(sample_size=)``), each cut being the full tree's cut restricted to
        the sample, and the references and rotated copies are of the sample (the test
        is then slightly conservative: the data's cuts come from the whole tree, each copy's
        from its own); the Calinski-Harabasz
        index always uses every observation. ``None`` uses all observations (refused with a
        ``MemoryError`` when their distances cannot fit in memory).
    random_state
        Seed of the references, rotations (and sample); the same seed gives the same numbers,
        whatever the order of the samples: they are drawn over the observations sorted by
        name (samples of one repeated name in their order).
    key_added
        Key in ``.uns`` for the result. A key holding anything but an earlier
        result of this function (a column's record or colours, another tool's result) is
        refused.
    inplace
        Store the result in ``.uns[key_added]`` (and return ``None``); otherwise return it.
    progress
        Show a progress bar over the copies when they are estimated to take more than
        10 seconds (thousands of observations; on terminals and in notebooks).

    Returns
    -------
    ``None`` if ``inplace``, else the result dict, which is stored in ``.uns[key_added]`` with

    - ``scores``: DataFrame indexed by ``k`` (1 and ``k_range``) with ``silhouette``,
      ``silhouette_null`` (mean over the rotated copies whose cut has two clusters or more:
      a copy is cut as the data, merges tied in height undone together, so its top merges
      tied give one cluster), ``calinski_harabasz``, ``log_w``,
      ``log_w_ref``, ``gap``, ``gap_sd`` (``s_k``) and ``silhouette_p`` (that k's share of
      copies reaching the data's silhouette, as ``p_value_k``); silhouette and CH are NaN at
      k=1;
    - ``k``: the recommended number of clusters (from ``criterion``; at least 2, so that the
      tree can still be cut); ``k_by``: the k each criterion picks (``gap`` may be 1);
    - ``criterion``, ``strong`` (bool), ``p_value`` (of the test of structure),
      ``best_silhouette``, ``null_best_silhouette`` (best silhouette of each rotated copy),
      ``statistic`` and ``null_statistic`` (the standardised statistic of the data and of
      each copy), ``k_test`` (the k at which the data's silhouette stands out most from the
      copies': the k the test's verdict rests on, not always the recommended one) and
      ``p_value_k`` (the share of copies, +1 over copies +1, whose silhouette at the
      recommended k reaches the data's: how far that cut alone stands out);
    - ``message``: one plain sentence saying which k and why, or that the groups are weak
      (below 40 observations scored, also that the test has little power there);
    - ``n_scored``: observations the pairwise scores used (all, or ``sample_size``);
    - ``params``: the arguments, and ``tree_id``, the identity of the tree scored (the plots
      and reports that show the result refuse it once ``tl.hclust`` has built another tree).

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, n_top=1000, subset=True)
    >>> gx.tl.hclust(adata)
    >>> gx.tl.choose_k(adata)
    >>> adata.uns["choose_k"]["k"]
    4
    """
    check_choice("criterion", criterion, CRITERIA)
    check_choice("reference", reference, REFERENCES)
    for name, value in (("n_refs", n_refs), ("n_rotations", n_rotations)):
        check_whole(name, value, minimum=1, caller="tl.choose_k", what=" (copies)")
    check_whole("random_state", random_state, caller="tl.choose_k",
                what=" (the seed of the rotations, references and sample)")
    if not 0 < alpha < 1:
        msg = f"alpha must be between 0 and 1, got {alpha!r}"
        raise ValueError(msg)
    if 1 / (n_rotations + 1) > alpha:
        msg = (f"tl.choose_k: with n_rotations={n_rotations} the test of structure cannot reach "
               f"alpha={alpha}; use n_rotations >= {int(np.ceil(1 / alpha)) - 1}")
        raise ValueError(msg)
    if inplace:
        refuse_tree_key(adata, key_added, caller="tl.choose_k")
        refuse_other_result(adata, key_added, own="scores", caller="tl.choose_k")
    # the data the tree was built on (same features, or refused), row i = leaf i of the tree
    _, tree, data = tree_and_data(adata, key=key, caller="tl.choose_k")
    # in the sorted order of the names: the copies and the sample are drawn by position, and
    # the same samples in another row order gave another p-value (0.15 against 0.12)
    order = tree.name_order(adata)
    data, labels = data[order], tree.leaf_names(adata)[order].tolist()
    n = data.shape[0]
    rng = np.random.default_rng(random_state)
    rows = _scored_rows(n, sample_size, rng)
    m = n if rows is None else len(rows)
    k_range = whole_numbers("k_range", k_range, caller="tl.choose_k", what=" of clusters")
    ks = sorted({int(k) for k in k_range if 2 <= int(k) <= m - 1})
    if m < 3:  # "between 2 and 1 (n - 1)": no k_range would do
        items = "observations" if tree.axis == "obs" else "genes"
        msg = (f"tl.choose_k: needs a tree of at least 3 {items} (k is scored from 2 to n - 1 "
               f"against one cluster); this one has {m}")
        raise ValueError(msg)
    if not ks:
        msg = (f"tl.choose_k: k_range must contain a value between 2 and {m - 1} (n - 1), "
               f"got {k_range}")
        raise ValueError(msg)
    needed = "tl.choose_k needs for the distances and the reference trees"
    method, metric = (tree.recorded(name, caller="tl.choose_k", needed=needed)
                      for name in ("method", "metric"))
    # of the whole tree, as tl.cut cuts it, rows in the order above
    cuts = [_relabel(groups[order]) for groups in tree_cuts(tree.linkage, ks)]
    _refuse_single_cluster_cuts(cuts, tree.linkage, ks, method)
    mean = data.mean(axis=0, dtype=np.float64)  # float32 summed in float32 drifts
    # all observations; on one BLAS thread, as the copies: the 9 cuts of 64 x 22,283 took
    # 88 ms of CPU on two threads spinning on the busy 2-core machine, 22 ms on one
    with threadpool_limits(1, user_api="blas"):
        ch = [calinski_harabasz(data, groups, mean=mean) for groups in cuts]
    if rows is not None:
        logger.info(
            "tl.choose_k: silhouette, gap and test of structure on a random sample of %d of %d "
            "observations (sample_size=%d, random_state=%d); Calinski-Harabasz on all",
            len(rows), n, sample_size, random_state)
        data, labels = data[rows], [labels[i] for i in rows]
        cuts = [_relabel(groups[rows]) for groups in cuts]
    refuse_pairwise(len(data), BYTES_PER_PAIR, task="choose_k", what="observations",
                    alternatives="the default sample_size=2000 (scores on a seeded random "
                    "sample), or a smaller sample_size")
    n_copies = n_rotations + (0 if reference == "rotate" else n_refs)
    seconds = _warn_if_slow(m, data.shape[1], n_copies=n_copies, sample_size=sample_size,
                            euclidean=metric == "euclidean")
    distances = pairwise_distances(data, metric=metric, labels=labels, item="sample",
                                   caller="tl.choose_k")
    observed = _cut_scores(data, distances, cuts, metric=metric, with_ch=False)
    observed["calinski_harabasz"] = np.array([np.nan, *ch])
    # each copy is small matrix work (a QR of n x width, distances of 2,000 rows): BLAS
    # threads only spin against each other, 4x slower on a busy 2-core machine
    bar = progress_bar(n_copies, desc="tl.choose_k: copies",
                       show=progress and seconds > PROGRESS_SECONDS)
    def scored(copy: np.ndarray) -> dict[str, np.ndarray]:
        scores = _reference_scores(copy, ks, method, metric)
        bar.update()
        return scores

    with threadpool_limits(1, user_api="blas"), bar:
        rotate = _rotations(data, euclidean=metric == "euclidean")
        rotated = [scored(rotate(rng)) for _ in range(n_rotations)]
        if reference == "rotate":
            gap_refs = rotated
        elif reference == "permute":
            gap_refs = [scored(rng.permuted(data, axis=0)) for _ in range(n_refs)]
        else:
            box = _pca_box(data)
            gap_refs = [scored(_pca_uniform(box, m, rng)) for _ in range(n_refs)]
    result = _summarise(observed, rotated, gap_refs, ks, criterion=criterion, alpha=alpha,
                        low_power=low_power_note(m, items="samples" if tree.axis == "obs"
                                                 else "genes"))
    result["params"] = {"k_range": ks, "key": key, "criterion": criterion, "n_refs": int(n_refs),
                        "reference": reference, "n_rotations": int(n_rotations),
                        "alpha": float(alpha),
                        "sample_size": "none" if sample_size is None else int(sample_size),
                        "random_state": int(random_state),
                        "tree_id": tree_id(adata.uns[key])}
    result["n_scored"] = int(m)
    logger.info("tl.choose_k: %s", result["message"])
    if inplace:
        view_to_actual(adata)  # a view becomes an AnnData of its own, as in scanpy (no warning)
        adata.uns[key_added] = result
        return None
    return result


def _warn_if_slow(m: int, d: int, *, n_copies: int, sample_size, euclidean=False) -> float:
    """Say before starting when scoring ``m`` observations will take long, and what is faster.

    Returns the estimated seconds.

    ``sample_size=None`` (or 20,000) on 20,000 cells fits in memory, but its 99 turned and
    reclustered copies take about half an hour here, which ran silently.
    """
    seconds = _estimated_seconds(m, d, n_copies=n_copies, euclidean=euclidean)
    if seconds <= SLOW_SECONDS:
        return seconds
    smaller = _faster_sample_size(m, d, n_copies=n_copies, euclidean=euclidean)
    logger.warning(
        "tl.choose_k: scoring %s observations of %s features (sample_size=%s) turns and "
        "reclusters %d copies of them in n^2 time each: roughly %s (an estimate from runs on "
        "2 cores); sample_size=%d would take about %s; fewer n_rotations/n_refs take less, "
        "and a number of clusters given instead of chosen nothing",
        f"{m:,}", f"{d:,}", sample_size, n_copies, _duration(seconds), smaller,
        _duration(_estimated_seconds(smaller, d, n_copies=n_copies, euclidean=euclidean)))
    return seconds


def _faster_sample_size(m: int, d: int, *, n_copies: int, euclidean=False) -> int:
    """The largest of a few round sample sizes below ``m`` scored in half the slow limit."""
    sizes = [s for s in (2000, 1000, 500, 200, 100) if s < m] or [max(3, m // 2)]
    return next((s for s in sizes
                 if _estimated_seconds(s, d, n_copies=n_copies, euclidean=euclidean)
                 <= SLOW_SECONDS / 2), sizes[-1])


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


def _estimated_seconds(m: int, d: int, *, n_copies: int, euclidean=False) -> float:
    """Rough time of the scores of ``m`` observations of ``d`` features and ``n_copies`` copies.

    ``euclidean`` copies are turned without the product with the data's d columns: none
    when d < m - 1 (see :func:`_rotations`), else with the m - 1 columns of the samples' span.
    """
    width = min(d, m - 1)
    product = d if not euclidean else (0 if width < m - 1 else m - 1)
    per_copy = SECONDS_PER_ROTATION_FLOP * m * width * (width + product)
    return per_copy * n_copies + SECONDS_PER_PAIR_AND_COPY * m**2 * (n_copies + 1)


def _refuse_single_cluster_cuts(cuts, Z: np.ndarray, ks: list[int], method: str) -> None:
    """No k can be scored when every cut is one cluster: the top merges are all tied."""
    if any(groups.max() > 0 for groups in cuts):
        return
    if Z[-1, 2] == 0:  # no method can help: there is nothing to separate
        msg = (f"tl.choose_k: all {len(Z) + 1} observations are identical (every distance is 0), "
               "so there are no groups to choose a k for; check that the data vary")
        raise ValueError(msg)
    others = " or ".join(repr(m) for m in ("average", "ward") if m != method)
    msg = (f"tl.choose_k: every cut of the tree into {ks[0]}..{ks[-1]} clusters gives one cluster: "
           f"its top merges are tied at height {Z[-1, 2]:.4g} and are undone together, so "
           f"there is no k to choose (method={method!r} on tied distances does this); use "
           f"another method, such as {others}")
    raise ValueError(msg)


def _scored_rows(n: int, sample_size: int | None, rng: np.random.Generator):
    """Sorted rows of a random sample of ``sample_size`` observations; ``None``: all of them."""
    if sample_size is None:
        return None
    if isinstance(sample_size, bool) or not isinstance(sample_size, int | np.integer) or (
            sample_size < 3):
        msg = f"sample_size must be an integer of at least 3, or None, got {sample_size!r}"
        raise ValueError(msg)
    if n <= sample_size:
        return None
    return np.sort(rng.choice(n, size=int(sample_size), replace=False))


def _relabel(groups: np.ndarray) -> np.ndarray:
    """Labels 0..g-1 of the groups present, in order of first appearance.

    A small cluster may be missing from a sample. Labels in order of appearance along the
    (name-sorted) rows do not depend on how the tree numbered its clusters.
    """
    _, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.intp)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[inverse]


def _cut_scores(data, distances, cuts, *, metric, with_ch=True,
                nested=False) -> dict[str, np.ndarray]:
    """Silhouette, CH and log W of 1 cluster and of each of the 0-based labellings ``cuts``.

    With ``nested`` (the cuts of one tree, coarsest first), every cut's sums of distances to
    each group are added up from those to the finest cut's groups: one pass over the n x n
    distances instead of one product per cut (a tenth of a copy's scoring time at 2,000
    observations). Only the order of the float sums differs from the direct products
    (relative differences near 1e-15).
    """
    square = squareform(distances)
    ones = np.zeros(len(square), dtype=int)
    group_sums = _nested_sums if nested and len(cuts) else _direct_sums
    sums = group_sums(square, cuts, squared=metric == "euclidean")
    sil, ch, log_w = [np.nan], [np.nan], [_log_w_of(sums(ones, spread=True), ones)]
    for groups in cuts:
        sil.append(_silhouette_of(sums(groups), groups))
        ch.append(calinski_harabasz(data, groups) if with_ch else np.nan)
        log_w.append(_log_w_of(sums(groups, spread=True), groups))
    return {"silhouette": np.array(sil), "calinski_harabasz": np.array(ch),
            "log_w": np.array(log_w)}


def _direct_sums(square, cuts, *, squared):
    """A function giving ``matrix @ onehot(groups)``, matrix the distances or the spread.

    The spread is what W_k sums: the squared distances (``squared``, euclidean), else the
    distances themselves.
    """
    spread_matrix = square**2 if squared else square

    def sums(groups, spread=False):
        matrix = spread_matrix if spread else square
        return matrix @ _onehot(groups, int(groups.max()) + 1)

    return sums


def _nested_sums(square, cuts, *, squared):
    """:func:`_direct_sums` added up from the sums to the finest cut's groups.

    Each coarser group is a union of finest ones; a labelling that is not such a union is
    computed directly.
    """
    finest = cuts[-1]
    n_finest = int(finest.max()) + 1
    first = np.zeros(n_finest, dtype=np.intp)
    first[finest[::-1]] = np.arange(len(finest))[::-1]  # a member of each finest group
    by_distance, by_spread = _sums_to_groups(square, _onehot(finest, n_finest), squared=squared)
    direct = None

    def sums(groups, spread=False):
        nonlocal direct
        merged = groups[first]  # the coarse group of each finest group
        if not (merged[finest] == groups).all():
            direct = direct or _direct_sums(square, cuts, squared=squared)
            return direct(groups, spread)
        return (by_spread if spread else by_distance) @ _onehot(merged, int(groups.max()) + 1)

    return sums


def _sums_to_groups(square, onehot, *, squared):
    """``square @ onehot`` and ``spread @ onehot`` in one pass over ``square``, by row blocks.

    The squares of a block are taken while it is in cache: squaring the whole n x n matrix
    first was one more pass over memory (and 32 MB more) per copy at 2,000 observations.
    """
    by_distance = np.empty((len(square), onehot.shape[1]))
    if not squared:
        np.matmul(square, onehot, out=by_distance)
        return by_distance, by_distance
    by_spread = np.empty_like(by_distance)
    for start in range(0, len(square), SUM_ROWS):
        block = square[start : start + SUM_ROWS]
        np.matmul(block, onehot, out=by_distance[start : start + SUM_ROWS])
        np.matmul(block**2, onehot, out=by_spread[start : start + SUM_ROWS])
    return by_distance, by_spread


def _reference_scores(data, ks, method, metric) -> dict[str, np.ndarray]:
    """Silhouette and log W of the cuts of a reference data set's own tree (CH: data only)."""
    distances = _copy_distances(data, metric)
    Z = hierarchy.linkage(distances, method=method)
    # cut as tl.cut cuts the data's tree: merges tied in height are undone together. A copy
    # can have ties (rank distances such as spearman; integer data permuted), and the last
    # k - 1 merges would then split tied branches in whatever order linkage made them.
    # Not validated again: linkage has just made it (scipy's check took ~0.1 ms a copy)
    cuts = tree_cuts(Z, ks, check=False)
    return _cut_scores(data, distances, cuts, metric=metric, with_ch=False, nested=True)


def _copy_distances(data: np.ndarray, metric: str) -> np.ndarray:
    """Condensed distances of a copy: through BLAS where the metric allows, else scipy's.

    The blocked matrix products of :func:`~gexclust.tl._distances.blocked_pdist` took 0.22 s
    where scipy's ``pdist`` took 0.63 s (euclidean, 2,000 x 1,000, one thread), most of each
    copy's time; they agree with it to about 1e-14 relative (near-zero euclidean distances
    are recomputed from the differences). Copies of :data:`BLAS_FROM_FEATURES` columns or
    fewer keep ``pdist``, as fast or faster there (2,000 x 10: 0.009 s against 0.033 s). A
    copy with values ``pdist`` refuses (not finite, undefined rows) goes to
    :func:`pairwise_distances`, which says what is wrong.
    """
    if data.shape[1] > BLAS_FROM_FEATURES and metric in BLAS_METRICS and (
            np.isfinite(data).all()) and (
            metric == "euclidean" or not undefined_rows(data, metric).any()):
        return blocked_pdist(data, metric)
    return pairwise_distances(data, metric=metric)


def _rotations(data: np.ndarray, *, euclidean: bool = False):
    """A function drawing copies of ``data`` whose centred rows are turned at random.

    The rows are turned by a Haar-random orthogonal matrix on the complement of the ones
    vector, so each copy keeps the data's mean and its sample covariance exactly; only how the
    samples sit within that covariance changes. With ``euclidean``, copies come in the
    coordinates of the samples' own span (n - 1 columns): the same euclidean distances as the
    full copies, for a fraction of the work when genes outnumber samples.
    """
    n = data.shape[0]
    mean = data.mean(axis=0)
    into, out_of = _centring_complement(n)
    coordinates = into(data - mean)
    if euclidean and coordinates.shape[1] > n - 1:
        # any R with R R' = C C' gives the rows of C's distances; from the small Gram matrix
        values, vectors = np.linalg.eigh(coordinates @ coordinates.T)
        coordinates, mean = vectors * np.sqrt(np.clip(values, 0.0, None)), np.zeros(n - 1)

    width = min(coordinates.shape[1], n - 1)
    reduced = False
    if width < n - 1:
        # Fewer columns than rows (2,000 sampled cells on 50 PCs): with C = U S V',
        # Q C = (Q U) S V' and Q U is a Haar-random frame of `width` columns. Same
        # distribution, O(n width^2) a copy instead of the O(n^3) full rotation (1-5 s a copy
        # at 2,000 cells, most of choose_k's time).
        _, values, axes = np.linalg.svd(coordinates, full_matrices=False)
        coordinates = values[:, None] * fixed_signs(axes)
        # Q S V' has the euclidean distances of Q S (V' has orthonormal rows, the mean
        # cancels): the product with V', n x width x d, is left out
        reduced = euclidean

    def draw(rng: np.random.Generator) -> np.ndarray:
        # the Q of a Gaussian (n - 1) x width matrix: a Haar-random orthogonal matrix (or
        # frame of `width` columns) once the signs are fixed
        q = haar_frame(rng.standard_normal((n - 1, width)))
        if reduced:
            q *= values
            return out_of(q)
        return mean + out_of(q @ coordinates)

    return draw


def haar_frame(gaussian: np.ndarray) -> np.ndarray:
    """The Q of the QR of a Gaussian matrix with R's diagonal made positive: Haar-random.

    That Q is ``A R^-1`` with R the Cholesky factor of ``A'A`` (the unique R with a positive
    diagonal), half the work of LAPACK's Householder QR and forming its Q (0.08 s against
    0.15 s at 1,999 x 1,000, most of a copy's time). Cholesky QR loses about cond(A)^2 of
    precision: a Gaussian matrix with 1.5 times as many rows as columns has cond(A) near
    10, so the two Q agree to about 1e-14 relative. Nearer square (cond grows without bound)
    or small (nothing to gain), the Householder QR, its signs fixed.
    """
    rows, width = gaussian.shape
    if width >= CHOLESKY_QR_COLUMNS and rows >= CHOLESKY_QR_ASPECT * width:
        try:
            upper = scipy.linalg.cholesky(gaussian.T @ gaussian, check_finite=False)
        except np.linalg.LinAlgError:  # not positive definite in floats: never seen
            pass
        else:
            return scipy.linalg.solve_triangular(upper, gaussian.T, trans="T",
                                                 check_finite=False).T
    q, r = np.linalg.qr(gaussian)
    q *= np.sign(np.diag(r))
    return q


def _centring_complement(n: int):
    """Coordinates in, and back out of, an orthonormal basis of the vectors orthogonal to ones.

    The basis is the last n - 1 columns of the Householder reflection H = I - 2 w w' / w'w
    that swaps e1 and ones / sqrt(n) (w = e1 - ones / sqrt(n)): symmetric, orthogonal, its
    first column the ones direction. H is applied as that rank-one update, O(n) per column,
    never formed: a QR of the n x n matrix took 30 s at 2,000 observations.
    """
    w = -np.full(n, 1 / np.sqrt(n))
    w[0] += 1.0
    scale = 2.0 / (w @ w)

    def into(matrix: np.ndarray) -> np.ndarray:  # basis' @ matrix, (n - 1) x d
        # rows 1.. of the update only, and w is the same there: one row shift (same floats)
        return matrix[1:] - w[-1] * (scale * (w @ matrix))

    def out_of(coordinates: np.ndarray) -> np.ndarray:  # basis @ coordinates, n x d
        shift = scale * (w[1:] @ coordinates)
        full = np.empty((n, coordinates.shape[1]))
        # w is the same after its first entry: the rank-one update is one row apart and
        # one row shift, without an n x d outer product (the same floats)
        np.multiply(-w[0], shift, out=full[0])
        np.subtract(coordinates, w[-1] * shift, out=full[1:])
        return full

    return into, out_of


def _pca_box(data: np.ndarray):
    """Mean, principal axes and the data's range along each: the box of Tibshirani's (b)."""
    mean = data.mean(axis=0)
    centred = data - mean
    # principal axes from the smaller of the two Gram matrices (n x n for arrays, n << genes)
    if centred.shape[0] < centred.shape[1]:
        values, vectors = np.linalg.eigh(centred @ centred.T)
        keep = values > values.max() * 1e-12
        axes = (centred.T @ vectors[:, keep]) / np.sqrt(values[keep])
    else:
        _, axes = np.linalg.eigh(centred.T @ centred)
    axes = fixed_signs(axes.T).T
    scores = centred @ axes
    return mean, axes, scores.min(axis=0), scores.max(axis=0)


def fixed_signs(rows: np.ndarray) -> np.ndarray:
    """``rows`` (singular or eigenvectors), each signed so its largest entry is positive.

    LAPACK returns each vector up to its sign, and builds differ: the same seed gave other
    copies (a null silhouette of 0.1596 with numpy 2.4.6's LAPACK, 0.1573 with 2.5.5's, 150 x
    100 average/correlation). Fixing the signs, as scikit-learn's ``svd_flip`` does, makes a
    seed's copies the same everywhere. The first entry of largest size decides a tie.
    """
    if not rows.size:
        return rows
    largest = rows[np.arange(len(rows)), np.argmax(np.abs(rows), axis=1)]
    return rows * np.where(largest < 0, -1.0, 1.0)[:, None]


def _pca_uniform(box, n: int, rng: np.random.Generator) -> np.ndarray:
    """Uniform draws in the box spanned by the data along its principal components."""
    mean, axes, low, high = box
    return rng.uniform(low, high, size=(n, len(low))) @ axes.T + mean


def silhouette(square: np.ndarray, groups: np.ndarray) -> float:
    """Mean silhouette width from a square distance matrix and 0-based group labels."""
    n_groups = int(groups.max()) + 1
    if n_groups < 2:
        return np.nan
    return _silhouette_of(square @ _onehot(groups, n_groups), groups)


def _silhouette_of(sums: np.ndarray, groups: np.ndarray) -> float:
    """Mean silhouette width from each observation's summed distances to each group."""
    if sums.shape[1] < 2:
        return np.nan
    sizes = np.bincount(groups, minlength=sums.shape[1]).astype(float)
    own = sizes[groups]
    a = sums[np.arange(len(groups)), groups] / np.maximum(own - 1, 1)
    other = sums / sizes
    other[np.arange(len(groups)), groups] = np.inf
    b = other.min(axis=1)
    width = np.where(own > 1, (b - a) / np.maximum(np.maximum(a, b), np.finfo(float).tiny), 0.0)
    return float(width.mean())


def calinski_harabasz(data: np.ndarray, groups: np.ndarray, *, mean=None) -> float:
    """Calinski-Harabasz index (variance ratio criterion) of 0-based group labels.

    ``mean``: the data's mean per column, when the caller scores several cuts.
    """
    n, k = len(groups), int(groups.max()) + 1
    if not 1 < k < n:
        return np.nan
    onehot = _onehot(groups, k)
    sizes = onehot.sum(axis=0)
    centres = (onehot.T @ data) / sizes[:, None]
    # in float64: numpy sums float32 down the rows in float32, one row after another, and
    # over 3,000 values near 1e6 the mean drifted by about 1, every k's CH x 8 (45,439 for
    # scikit-learn's 5,467)
    mean = data.mean(axis=0, dtype=np.float64) if mean is None else mean
    between = float((sizes * ((centres - mean) ** 2).sum(axis=1)).sum())
    # the deviations from the centres in one n x d array, their squares summed as they are
    # made: two n x d temporaries and passes fewer
    deviations = centres[groups]
    np.subtract(data, deviations, out=deviations)
    within = float(np.einsum("ij,ij->", deviations, deviations))
    if within == 0:
        return np.inf
    return between / (k - 1) / (within / (n - k))


def _log_w(spread: np.ndarray, groups: np.ndarray) -> float:
    """Log of Tibshirani's pooled within-cluster dispersion W_k."""
    return _log_w_of(spread @ _onehot(groups, int(groups.max()) + 1), groups)


def _log_w_of(sums: np.ndarray, groups: np.ndarray) -> float:
    """Log W_k from each observation's summed spread to each group."""
    onehot = _onehot(groups, sums.shape[1])
    within = (sums * onehot).sum(axis=0)  # D_r of each cluster
    total = float((within / (2 * onehot.sum(axis=0))).sum())
    return float(np.log(total)) if total > 0 else -np.inf


def _onehot(groups: np.ndarray, k: int) -> np.ndarray:
    onehot = np.zeros((len(groups), k))
    onehot[np.arange(len(groups)), groups] = 1.0
    return onehot


def _summarise(observed, rotated, gap_refs, ks, *, criterion, alpha, low_power=None) -> dict:
    index = pd.Index([1, *ks], name="k")
    null_sil = np.array([r["silhouette"][1:] for r in rotated])  # k = 1 has none
    ref_log_w = np.array([r["log_w"] for r in gap_refs])
    n_refs = len(gap_refs)
    # log W is -inf where every cluster is one point under the metric (two genes: each
    # correlation is +1 or -1) in the data and its references alike: that gap is undefined
    # (NaN), which numpy warned of as 'invalid value encountered in subtract'
    with np.errstate(invalid="ignore"):
        gap = ref_log_w.mean(axis=0) - observed["log_w"]
        gap_sd = ref_log_w.std(axis=0) * np.sqrt(1 + 1 / n_refs)
    scores = pd.DataFrame(
        {"silhouette": observed["silhouette"],
         "silhouette_null": np.concatenate([[np.nan], _copies_mean(null_sil)]),
         "calinski_harabasz": observed["calinski_harabasz"], "log_w": observed["log_w"],
         "log_w_ref": ref_log_w.mean(axis=0), "gap": gap, "gap_sd": gap_sd},
        index=index,
    )
    k_by = {
        "silhouette": int(ks[int(np.nanargmax(observed["silhouette"][1:]))]),
        "calinski_harabasz": int(ks[int(np.nanargmax(observed["calinski_harabasz"][1:]))]),
        "gap": _gap_k(index.to_numpy(), gap, gap_sd),
    }
    best = float(np.nanmax(observed["silhouette"]))
    scored = np.isfinite(null_sil)  # a copy's cut of tied top merges may be one cluster
    null_best = np.where(scored.any(axis=1), np.where(scored, null_sil, -np.inf).max(axis=1),
                         np.nan)
    z = _standardised(observed["silhouette"][1:], null_sil)
    statistic, null_statistic = float(z[0].max()), z[1:].max(axis=1)
    p_value = float((1 + (null_statistic >= statistic).sum()) / (1 + len(null_statistic)))
    strong = bool(p_value <= alpha)
    k = k_by[criterion] if k_by[criterion] >= 2 else k_by["silhouette"]
    # the test is of the largest standardised silhouette over k: say at which k that is, and
    # how the chosen k's own silhouette compares with the copies' at that k (on GSE781 the
    # test's k was 9 while the chosen k = 2 was reached by 12 of 99 copies)
    with np.errstate(invalid="ignore"):
        reached = (null_sil >= observed["silhouette"][1:]).sum(axis=0)
    p_by_k = (1 + reached) / (1 + len(null_sil))
    scores["silhouette_p"] = np.concatenate([[np.nan], p_by_k])
    k_test = int(ks[int(np.argmax(z[0]))])
    return {
        "scores": scores,
        "k": int(k),
        "k_by": k_by,
        "criterion": criterion,
        "strong": strong,
        "p_value": p_value,
        "best_silhouette": best,
        "null_best_silhouette": null_best,
        "statistic": statistic,
        "null_statistic": null_statistic,
        "k_test": k_test,
        "p_value_k": float(scores.loc[k, "silhouette_p"]),
        "message": _message(k, criterion, k_by, scores, k_test, p_value, strong,
                            n_copies=len(null_sil), largest_k=int(max(ks)),
                            gap_rule=_gap_rule_k(index.to_numpy(), gap, gap_sd) is not None,
                            low_power=low_power),
    }


def low_power_note(n: int, *, items: str = "samples") -> str | None:
    """Why a weak verdict on ``n`` observations is weak evidence, or None from 40 on."""
    if n >= LOW_POWER_BELOW:
        return None
    return (f"with {n} {items} this test has little power: two clear groups of 10 in 20 "
            "samples, each cut exactly by the tree, were called weak in 8 of 10 simulated "
            "sets, so this verdict is no evidence against groups either")


def _copies_mean(null_sil: np.ndarray) -> np.ndarray:
    """Mean silhouette at each k over the copies whose cut there has two clusters or more.

    A copy's cut is one cluster when its top merges are tied (rank distances such as
    spearman): it has no silhouette (NaN), and no mean is NaN.
    """
    scored = np.isfinite(null_sil)
    count = scored.sum(axis=0)
    total = np.where(scored, null_sil, 0.0).sum(axis=0)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _standardised(observed: np.ndarray, null: np.ndarray) -> np.ndarray:
    """Silhouette at each k in SDs above its mean, for the data (row 0) and each copy.

    Mean and SD at each k are taken over the data and all copies together, which treats them
    alike (so they stay exchangeable under the null). A k where a cut could not be scored
    (NaN) does not count (-inf).
    """
    pooled = np.vstack([observed, null])
    finite = np.isfinite(pooled)
    count = finite.sum(axis=0)
    centre = np.where(finite, pooled, 0.0).sum(axis=0) / np.maximum(count, 1)
    deviation = np.where(finite, pooled - centre, 0.0)
    spread = np.sqrt((deviation**2).sum(axis=0) / np.maximum(count - 1, 1))
    z = deviation / np.where(spread > 0, spread, 1.0)
    return np.where(finite, z, -np.inf)


def _gap_k(ks: np.ndarray, gap: np.ndarray, gap_sd: np.ndarray) -> int:
    """Tibshirani's rule (:func:`_gap_rule_k`), else the k of the largest gap."""
    k = _gap_rule_k(ks, gap, gap_sd)
    return k if k is not None else int(ks[int(np.argmax(gap))])


def _gap_rule_k(ks: np.ndarray, gap: np.ndarray, gap_sd: np.ndarray) -> int | None:
    """The smallest k with gap(k) >= gap(k+1) - s(k+1), over consecutive k only; else None."""
    for i in range(len(ks) - 1):
        if ks[i + 1] != ks[i] + 1:
            break
        if gap[i] >= gap[i + 1] - gap_sd[i + 1]:
            return int(ks[i])
    return None


def _message(k, criterion, k_by, scores, k_test, p_value, strong, *, n_copies: int,
             largest_k: int, gap_rule: bool = True, low_power: str | None = None) -> str:
    # Tibshirani's rule compares consecutive k: with k_range=[2, 4, 6], or a gap still rising
    # at its end, the largest gap answered, and the message said 'gap rule' all the same
    by_gap = ("Tibshirani's gap rule" if gap_rule else
              "largest gap statistic; Tibshirani's rule, which compares consecutive k, was met "
              "at no k")
    why = {"silhouette": "highest mean silhouette", "calinski_harabasz": "highest "
           "Calinski-Harabasz index", "gap": by_gap}[criterion]
    if criterion == "gap" and k_by["gap"] == 1:
        why = "highest mean silhouette; the gap rule answered k=1"
    row = scores.loc[k_test]
    test = (f"the silhouette stands out most from {n_copies} rotated copies of the data (the "
            f"same gene covariance in one cloud, without groups) at k={k_test}: "
            f"{row['silhouette']:.2g} against a mean of {row['silhouette_null']:.2g}, "
            f"p={p_value:.2g} (the largest such excess over k, against each copy's)")
    if strong and k != k_test:  # a caution only: k was chosen as the best, so p is low
        own = scores.loc[k]
        reached = int(np.rint(own["silhouette_p"] * (n_copies + 1))) - 1
        copies = "no copy reaches" if reached == 0 else (
            f"{reached} of the {n_copies} copies reach")
        test += (f"; at the chosen k={k} itself {copies} its silhouette "
                 f"{own['silhouette']:.2g} (p={own['silhouette_p']:.2g})")
    gap = "no structure (k=1)" if k_by["gap"] == 1 else f"k={k_by['gap']}"
    if k_by["gap"] == largest_k > 2:  # the gap still rises at the end of k_range: no optimum
        gap += ", the largest k tried (no optimum within the range)"
    verdict = ("the groups are stronger than chance" if strong else
               "the groups are WEAK, no stronger than in one cloud without groups; "
               "treat these clusters with caution"
               + (f" ({low_power})" if low_power else ""))
    return f"k={k} ({why}); {verdict}: {test}; gap statistic: {gap}"
