"""Numbers the report's sentences are written from, computed from the clustered AnnData."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd
from anndata import AnnData
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

#: Above this many samples, pairwise summaries use a seeded subsample (memory is n^2).
MAX_PAIRWISE = 3000
#: ``.obs`` columns that are names or results, never candidate batches.
NOT_BATCH = {"type", "cluster", "title", "samples", "geo_accession", "description",
             "consensus", "consensus_stability"}


@dataclass
class ClusterFacts:
    """One cluster: its size and how the known types fill it."""

    name: str
    size: int
    counts: pd.Series  # type -> number of samples, largest first, zeros dropped
    purity: float  # share of the largest type (1.0 without types; NaN if none of it typed)


def tree(adata: AnnData, key: str = "hclust"):
    """The sample tree, its leaves matched to the rows of ``adata``."""
    from ..tl._tree_access import get_tree

    return get_tree(adata, key, axis="obs", caller="report")


def choice_of_k(adata: AnnData, key: str = "choose_k"):
    """``.uns[key]`` of ``tl.choose_k`` (``None`` if absent), refused if of an earlier tree."""
    from ..tl._tree_access import result_of_tree

    if not hasattr(adata.uns.get(key), "get"):
        return None
    return result_of_tree(adata, key, producer="choose_k", caller="report")


def consensus_result(adata: AnnData, key: str = "consensus"):
    """``.uns[key]`` of ``tl.consensus`` (``None`` if absent), refused if of other data."""
    if not hasattr(adata.uns.get(key), "get"):
        return None
    from ..tl._consensus import checked_consensus  # only then: it imports scipy.stats (0.3 s)

    return checked_consensus(adata, key, caller="report")


def within_cluster_consensus(adata: AnnData, k: int, *, key: str = "consensus",
                             cluster_key: str = "cluster") -> dict[str, float] | None:
    """For each cluster, how often pairs of its samples were clustered together at ``k``.

    The mean consensus (``.obsp[f'{key}_k{k}']``: the share of the resamples drawing both
    samples that put them in one cluster) over the pairs inside each of the run's clusters;
    NaN for a cluster of one sample. ``None`` when the consensus did not try this ``k``.
    """
    name = f"{key}_k{k}"
    if name not in adata.obsp:
        return None
    matrix = adata.obsp[name]
    matrix = np.asarray(matrix.toarray() if hasattr(matrix, "toarray") else matrix, dtype=float)
    labels = type_labels(adata, cluster_key).to_numpy(dtype=object)
    out = {}
    for cluster in adata.obs[cluster_key].astype("category").cat.categories:
        members = np.flatnonzero(labels == str(cluster))
        block = matrix[np.ix_(members, members)][~np.eye(len(members), dtype=bool)]
        out[str(cluster)] = float(np.nanmean(block)) if np.isfinite(block).any() else np.nan
    return out


def markers_read_as_log2(adata: AnnData) -> bool:
    """Whether the report's markers take their values for log2 by their look alone.

    The markers rank the run's expression layer (else ``.X``), as
    :func:`._markers.cluster_markers` reads it. Without a record of
    :func:`~gexclust.pp.log2`, values that do not look linear are taken as log2 values, so
    their differences of means are log2 fold changes only if the input was log2.
    """
    from ..tl._markers import marker_values, scale_is_judged

    layer = "expression" if "expression" in adata.layers else None
    values = marker_values(adata, layer=layer, use_raw=None, caller="report")
    return scale_is_judged(adata, values, layer)


def linkage(adata: AnnData, key: str = "hclust") -> np.ndarray:
    """The sample tree's linkage matrix."""
    return tree(adata, key).linkage


def type_labels(adata: AnnData, type_key: str = "type") -> pd.Series:
    """``.obs[type_key]`` (or any label column) as strings, ``None`` for samples without one.

    NaN, None, blank strings (an empty CSV field) and missing-value texts are no type, as in
    :func:`gexclust.tl.compare`, so counts and tables leave them out instead of showing a
    type called ``'nan'`` or ``''``.
    """
    from .._labels import has_label

    values = adata.obs[type_key].astype(object)
    labels = np.array([str(v) for v in values], dtype=object)
    labels[~has_label(values)] = None
    # object dtype kept explicitly: pandas 3 would infer its string dtype, whose missing
    # value is NaN, not None
    return pd.Series(labels, index=values.index, dtype=object)


def _per_leaf(adata: AnnData, column: str, key: str = "hclust") -> np.ndarray:
    """``.obs[column]`` as strings, indexed by leaf id of the tree."""
    return tree(adata, key).per_leaf(adata.obs[column].astype(str).to_numpy())


def _types_per_leaf(adata: AnnData, labels: pd.Series, key: str = "hclust") -> np.ndarray:
    """``labels`` (of :func:`type_labels`) indexed by leaf id of the tree (``None``: no type)."""
    return tree(adata, key).per_leaf(labels.to_numpy(dtype=object))


def clusters(adata: AnnData, *, cluster_key="cluster", type_key="type") -> list[ClusterFacts]:
    """Size and type composition of every cluster, in cluster order."""
    labels = adata.obs[cluster_key].astype("category")
    types = type_labels(adata, type_key) if type_key in adata.obs else None
    out = []
    for name in labels.cat.categories:
        inside = (labels == name).to_numpy()
        if types is not None:
            counts = types[inside].value_counts()
            counts = counts[counts > 0].sort_values(ascending=False, kind="stable")
            # among the samples with a type, as tl.compare's purity
            # NaN when no sample of the cluster has a type: it is not "one type only"
            purity = float(counts.iloc[0] / counts.sum()) if len(counts) else float("nan")
        else:
            counts, purity = pd.Series(dtype=int), 1.0
        out.append(ClusterFacts(str(name), int(inside.sum()), counts, purity))
    return out


def type_spread(adata: AnnData, *, cluster_key="cluster", type_key="type") -> dict[str, pd.Series]:
    """For each type, the clusters holding its samples (cluster -> count, largest first).

    Samples without a type or without a cluster (unassigned by a dynamic or supported cut)
    are left out: missing is no cluster called 'nan'.
    """
    table = pd.crosstab(type_labels(adata, type_key), type_labels(adata, cluster_key))
    return {t: row[row > 0].sort_values(ascending=False, kind="stable")
            for t, row in table.iterrows()}


def _subsample(n: int) -> np.ndarray:
    if n <= MAX_PAIRWISE:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, MAX_PAIRWISE, replace=False))


def type_distances(adata: AnnData, *, key="hclust", type_key="type") -> pd.DataFrame:
    """Median tree (cophenetic) distance between samples of two types, / the root height.

    0 means the tree joins the two types' samples at the bottom, 1 only at the root. The
    diagonal is the spread of a type within itself.
    """
    from ..tl._linkage import induced_linkage

    Z = linkage(adata, key)
    keep = _subsample(adata.n_obs)
    # the tree restricted to the subsample keeps its merge heights, so its cophenetic
    # distances are the full tree's, without the n x n matrix (80 GB at 100,000 cells)
    sub = Z if len(keep) == adata.n_obs else induced_linkage(Z, keep)
    coph = squareform(hierarchy.cophenet(sub)) / Z[-1, 2]
    labels = type_labels(adata, type_key)
    types = _types_per_leaf(adata, labels, key)[keep]
    order = list(pd.unique(labels.dropna()))
    names = sorted(set(types) - {None}, key=order.index)
    out = pd.DataFrame(np.nan, index=names, columns=names)
    for a in names:
        rows = types == a
        for b in names:
            block = coph[np.ix_(rows, types == b)]
            if a == b:
                block = block[~np.eye(len(block), dtype=bool)]
            if block.size:
                out.loc[a, b] = float(np.median(block))
    return out


def root_split(adata: AnnData, *, key="hclust", type_key="type") -> tuple[pd.Series, pd.Series]:
    """Type counts on each side of the tree's first split (left, right)."""
    Z = linkage(adata, key)
    n = adata.n_obs
    types = _types_per_leaf(adata, type_labels(adata, type_key), key)
    sides = []
    for child in Z[-1, :2].astype(int):
        members = _members(Z, child, n)
        sides.append(pd.Series(types[members]).value_counts())
    return sides[0], sides[1]


def _members(Z: np.ndarray, node: int, n: int) -> np.ndarray:
    out, stack = [], [node]
    while stack:
        c = stack.pop()
        if c < n:
            out.append(c)
        else:
            stack += [int(Z[c - n, 0]), int(Z[c - n, 1])]
    return np.asarray(out, dtype=int)


def clade_rows(adata: AnnData, *, key="hclust", cluster_key="cluster") -> dict[str, int | None]:
    """For each cluster, the linkage row whose leaves are exactly its samples (None if none)."""
    from ..tl._supported import branch_rows

    row_of = branch_rows(linkage(adata, key))
    labels = _per_leaf(adata, cluster_key, key)
    return {str(name): row_of.get(frozenset(np.flatnonzero(labels == str(name)).tolist()))
            for name in adata.obs[cluster_key].astype("category").cat.categories}


def height_jumps(Z: np.ndarray, max_k: int = 10) -> dict[int, float]:
    """For k = 2..max_k, the lowest merge a cut into k clusters undoes over the highest it keeps.

    The merges undone are those :func:`gexclust.tl.cut` undoes: the k - 1 highest, or on a
    tree with inversions (centroid, median), which no height cuts, the last k - 1 in merge
    order. The ratio is large where the tree has a clear gap; below 1 where the cut undoes a
    merge lower than one it keeps. Sorted heights described another cut than an inverted
    tree's: lung under median linkage, cut into 5, read 1.00x where its cut undoes a merge at
    49.2 and keeps one at 53.0 (0.93x).
    """
    from ..tl._flat_cuts import count_inversions

    heights = Z[:, 2] if count_inversions(Z) else np.sort(Z[:, 2])
    n = len(heights)
    jumps = {}
    for k in range(2, min(max_k, n) + 1):
        undone, kept = heights[n - k + 1:].min(), heights[:n - k + 1].max()
        jumps[k] = float(undone / kept) if kept > 0 else float("inf")
    return jumps


def silhouette(adata: AnnData, *, key="hclust", cluster_key="cluster") -> float | None:
    """Mean silhouette width of the clusters on the distances the tree was built from.

    Samples without a cluster (unassigned by a dynamic or supported cut) are left out, not
    scored as a cluster of their own. ``None`` when undefined (fewer than 2 clusters, or every
    sample alone) or when the data are no longer those of the tree (changed since, or gone):
    a silhouette of other values would not describe this tree.
    """
    from ..tl._hclust import pairwise_distances
    from ..tl._tree_data import tree_and_data

    try:
        _, tree, data = tree_and_data(adata, key=key, caller="report")  # row i = leaf i
    except (KeyError, ValueError):
        return None
    labels = tree.per_leaf(type_labels(adata, cluster_key).to_numpy(dtype=object))
    assigned = np.flatnonzero([label is not None for label in labels])
    n_groups = len(set(labels[assigned]))
    if n_groups < 2 or n_groups >= len(assigned):
        return None
    keep = assigned[_subsample(len(assigned))]
    D = squareform(pairwise_distances(data[keep], metric=tree.params.get("metric", "euclidean")))
    labels = labels[keep].astype(str)
    groups, index = np.unique(labels, return_inverse=True)
    onehot = np.eye(len(groups))[index]
    counts = onehot.sum(axis=0)
    sums = D @ onehot
    own = counts[index]
    a = np.where(own > 1, sums[np.arange(len(index)), index] / np.maximum(own - 1, 1), 0.0)
    mean_other = sums / counts
    mean_other[np.arange(len(index)), index] = np.inf
    b = mean_other.min(axis=1)
    s = np.where(own > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
    return float(s.mean())


class BatchFacts(NamedTuple):
    """An ``.obs`` column that could be a batch, against the clusters."""

    column: str
    ari: float  # of the clusters against the column
    n_levels: int
    n_samples: int  # with a value in the column and a cluster
    p_value: float  # of that ARI under random relabelling (permutation test)
    relation: str  # to the types: 'identical' labels, 'same' grouping, 'within', 'groups', 'other'
    types_ari: float = float("nan")  # of the sample types against the column (NaN: no types)
    n_typed: int | None = None  # with a value and a type: those `relation` compares (None: all)


#: Permutations of the batch test: p-values resolve to 0.001.
N_PERMUTATIONS = 999


def batch_columns(adata: AnnData, *, cluster_key="cluster", type_key="type",
                  test_from: float = 0.3) -> list[BatchFacts]:
    """``.obs`` columns that could be batches, with the ARI of the clusters against each.

    A candidate has between 2 and n/2 distinct values (so not a sample name) and is not the
    type, the cluster, a title, an accession (unless a sample sheet added it: it is then an
    annotation) or a result of gexclust (``consensus``). Samples
    without a value in the column, or without a cluster, are left out (as
    :func:`gexclust.tl.compare` does): missing values are not a batch of their own. Each ARI
    comes with its permutation p-value (the column's values shuffled over the same samples,
    seeded), so that agreement on a handful of samples is not taken for a batch effect; and
    with how the column relates to the types: the ``'same'`` grouping (the type under another
    name, e.g. the ``source_name`` the types were read from, or a batch fully confounded with
    them), ``'within'`` them (each value inside one type: subtypes), ``'groups'`` them (each
    type inside one value: a disease status over its subtypes), or ``'other'``. Beyond
    ``MAX_PAIRWISE`` samples the permutations (a second each at 100,000) are run only for an
    ARI of at least ``test_from``, the only ones a p-value decides on; the others get NaN.
    A column whose compared samples all lie in one cluster is left out
    (:func:`one_cluster_columns`). Largest ARI first.
    """
    from ..tl._compare import adjusted_rand_index

    clusters = type_labels(adata, cluster_key).to_numpy()
    types = type_labels(adata, type_key) if type_key in adata.obs else None
    rng = np.random.default_rng(0)
    out = []
    for column, values, both in _groupings(adata, cluster_key=cluster_key, type_key=type_key):
        n_levels = values[both].nunique()
        level = pd.factorize(values.to_numpy()[both].astype(str))[0]
        group = pd.factorize(clusters[both].astype(str))[0]
        if group.max() < 1:
            continue  # all in one cluster: nothing to measure (one_cluster_columns says so)
        counts = pd.crosstab(level, group).to_numpy()
        ari = float(adjusted_rand_index(counts))
        tested = len(level) <= MAX_PAIRWISE or ari >= test_from
        p_value = _permutation_p(level, group, counts, rng) if tested else float("nan")
        n_typed = None if types is None else int((values.notna() & types.notna()).sum())
        out.append(BatchFacts(str(column), ari, int(n_levels), int(both.sum()), p_value,
                              _relation(values, types), _types_ari(values, types), n_typed))
    return sorted(out, key=lambda item: -item.ari)


def type_agreement_p(adata: AnnData, *, cluster_key="cluster", type_key="type") -> float:
    """Permutation p of the clusters' ARI with the sample types (samples with both; seeded).

    NaN without two types and two clusters among those samples. A test of structure that finds
    no groups is contradicted by clusters that match the known types beyond chance (GSE781
    GPL97 z-scored: silhouette p = 0.16, yet tumour and normal split exactly, ARI 1.0).
    """
    from ..tl._compare import adjusted_rand_index

    if type_key not in adata.obs:
        return float("nan")
    types, clusters = type_labels(adata, type_key), type_labels(adata, cluster_key)
    both = np.flatnonzero((types.notna() & clusters.notna()).to_numpy())
    both = both[_subsample(len(both))]  # permutations of 100,000 samples take minutes
    level = pd.factorize(types.to_numpy()[both].astype(str))[0]
    group = pd.factorize(clusters.to_numpy()[both].astype(str))[0]
    if len(level) < 3 or level.max(initial=0) < 1 or group.max(initial=0) < 1:
        return float("nan")
    counts = pd.crosstab(level, group).to_numpy()
    if float(adjusted_rand_index(counts)) <= 0:
        return 1.0  # no agreement to test
    return _permutation_p(level, group, counts, np.random.default_rng(0))


def _groupings(adata: AnnData, *, cluster_key: str, type_key: str):
    """``(column, labels, compared)`` of the candidate columns that group the samples.

    ``compared``: the samples with a value and a cluster. A grouping has 2 to
    :func:`max_levels` values among them (a second lot only on unassigned samples is no
    batch) and is no measurement (:func:`numeric_columns` tests those, as numbers).
    """
    clustered = type_labels(adata, cluster_key).notna()
    for column in candidate_columns(adata, cluster_key=cluster_key, type_key=type_key):
        values = type_labels(adata, column)
        both = (values.notna() & clustered).to_numpy()
        if not both.any() or not 2 <= values[both].nunique() <= max_levels(adata.n_obs):
            continue
        if measured_numbers(adata, column) is not None:
            continue
        yield column, values, both


def one_cluster_columns(adata: AnnData, *, cluster_key="cluster",
                        type_key="type") -> dict[str, tuple[str, int]]:
    """Groupings whose samples with a value all lie in one cluster: ``{column: (cluster, n)}``.

    No agreement with the clusters can be measured on them (GSE781: a tumour grade, known for
    the 9 tumours, all in one cluster, was a table row 'ARI 0.000, p = 1.000').
    """
    clusters = type_labels(adata, cluster_key).to_numpy()
    out = {}
    for column, _, both in _groupings(adata, cluster_key=cluster_key, type_key=type_key):
        held = set(clusters[both])
        if len(held) == 1:
            out[str(column)] = (str(held.pop()), int(both.sum()))
    return out


def _permutation_p(level: np.ndarray, group: np.ndarray, counts: np.ndarray,
                   rng: np.random.Generator) -> float:
    """P-value of the ARI of ``counts`` when ``level`` is shuffled over the same samples.

    Both margins stay fixed under shuffling, so the ARI rises with the pairs placed together
    in both labelings alone; that sum is compared, in blocks of permutations (memory n x block).
    """
    together = float((counts * (counts - 1)).sum())
    n_levels, n_groups, n = int(level.max()) + 1, int(group.max()) + 1, len(level)
    block = max(1, min(N_PERMUTATIONS, 2_000_000 // n))
    above, done = 0, 0
    while done < N_PERMUTATIONS:
        size = min(block, N_PERMUTATIONS - done)
        shuffled = rng.permuted(np.broadcast_to(level, (size, n)), axis=1)
        cells = shuffled * n_groups + group + (np.arange(size) * n_levels * n_groups)[:, None]
        table = np.bincount(cells.ravel(), minlength=size * n_levels * n_groups)
        table = table.reshape(size, -1).astype(float)
        above += int(((table * (table - 1)).sum(axis=1) >= together - 1e-9).sum())
        done += size
    return (1 + above) / (1 + N_PERMUTATIONS)


class NumericFacts(NamedTuple):
    """An ``.obs`` column of numbers measured on each sample (an age, a RIN), across clusters."""

    column: str
    n_samples: int  # with a value in the column and a cluster: those tested
    n_missing: int  # clustered samples without a value, left out
    n_groups: int  # clusters with at least one value
    h: float  # Kruskal-Wallis H (ties corrected); NaN with fewer than 2 such clusters
    epsilon2: float  # H / (n - 1): the share of the rank variance between clusters
    p_value: float  # permutation p (NaN when untested), or chi-squared beyond MAX_PAIRWISE
    p_method: str  # 'permutation', 'chi-squared' or 'none'
    medians: dict  # cluster -> median of its values (NaN: no value in it)
    numbering: bool  # distinct whole numbers, one per sample, few gaps: a running number
    types_epsilon2: float  # the same effect across the sample types (NaN: no types to test)
    types_p: float = np.nan  # its p-value, as p_value (NaN: untested)


def candidate_columns(adata: AnnData, *, cluster_key="cluster", type_key="type") -> list[str]:
    """``.obs`` columns compared with the clusters: all but names, types and results.

    A sample sheet's column is an annotation whatever its name (``'description'``: the lot).
    """
    sheet = set(adata.uns.get("annotations", {}).get("columns", []))
    return [column for column in adata.obs.columns
            if not ((column in NOT_BATCH and column not in sheet)
                    or column in (cluster_key, type_key))]


def max_levels(n_obs: int) -> int:
    """Most distinct values of a column that groups the samples (a batch, not a measurement)."""
    return max(2, n_obs // 2)


def numeric_columns(adata: AnnData, *, cluster_key="cluster",
                    type_key="type") -> list[NumericFacts]:
    """``.obs`` columns of numbers that group no samples, tested across the clusters.

    A column is numeric when every value that is not missing is a number (a float column,
    or texts written as numbers: ``007`` is a code, not 7; see
    :func:`gexclust._labels.parse_number`) and the numbers are measurements
    (:func:`gexclust._labels.is_quantity`): some value with a fraction, or more distinct
    values than half the samples that have one: an age, a RIN, a QC score, a scan order.
    Whole numbers with fewer values (batch 1-5) stay groupings, compared there.
    Samples without a value, or without a cluster, are left out and counted. Each column gets
    a Kruskal-Wallis H across the clusters (average ranks, corrected for ties), its
    epsilon-squared ``H / (n - 1)`` (0: the clusters' values interleave at random, 1: each
    cluster holds a range of values of its own) and a permutation p (the clusters shuffled
    over the same samples ``N_PERMUTATIONS`` times, seeded); beyond ``MAX_PAIRWISE`` samples
    the chi-squared approximation (k - 1 degrees of freedom), sound at that size. With fewer
    than 2 clusters holding a value nothing is tested (NaN). ``types_epsilon2`` is the same
    effect across the sample types (NaN without 2 typed groups holding a value): a
    measurement that differs between the types as well (AML patients older than donors) is
    confounded with them. Strongest first.
    """
    clusters = type_labels(adata, cluster_key)
    clustered = clusters.notna().to_numpy()
    types = (type_labels(adata, type_key).to_numpy() if type_key in adata.obs
             else np.full(adata.n_obs, None, dtype=object))
    typed = np.array([t is not None for t in types], dtype=bool)
    out = []
    for column in candidate_columns(adata, cluster_key=cluster_key, type_key=type_key):
        numbers = measured_numbers(adata, column)
        if numbers is None:
            continue  # a grouping (batch_columns), or one value: nothing to test
        both = clustered & np.isfinite(numbers)
        facts = _kruskal(str(column), numbers[both], clusters.to_numpy()[both],
                         n_missing=int((clustered & ~both).sum()),
                         order=list(adata.obs[cluster_key].astype("category").cat.categories))
        across_types = _types_effect(numbers, types, typed)
        out.append(facts._replace(types_epsilon2=across_types.epsilon2,
                                  types_p=across_types.p_value))
    return sorted(out, key=lambda f: -f.epsilon2 if np.isfinite(f.epsilon2) else 1.0)


def _types_effect(numbers: np.ndarray, types: np.ndarray, typed: np.ndarray) -> NumericFacts:
    """The Kruskal-Wallis test of ``numbers`` across the sample types, as across the clusters.

    With its permutation p: an epsilon² over few typed samples in many small types is large by
    chance alone (GSE781 typed by the digit after a title's N: 8 normals in 5 types, 4 of one
    sample, gave 0.881 for every QC column, which hid the caution on the clusters' 0.454,
    p = 0.003).
    """
    both = typed & np.isfinite(numbers)
    if both.sum() < 3:
        return NumericFacts("", int(both.sum()), 0, 0, np.nan, np.nan, np.nan, "none", {},
                            False, np.nan)
    return _kruskal("", numbers[both], types[both], n_missing=0,
                    order=sorted({str(t) for t in types[both]}))


def measured_numbers(adata: AnnData, column: str) -> np.ndarray | None:
    """``.obs[column]`` as float64 (NaN where missing) if it holds measurements, else ``None``.

    Measurements: every value a number, and some with a fraction or more distinct values than
    half the samples with a value (:func:`gexclust._labels.is_quantity`).
    """
    from .._labels import is_quantity, numeric_values

    numbers = numeric_values(adata.obs[column])
    if numbers is None or not is_quantity(numbers):
        return None
    return numbers


def _kruskal(column: str, values: np.ndarray, groups: np.ndarray, *, n_missing: int,
             order: list) -> NumericFacts:
    from scipy.stats import chi2, rankdata

    names = [str(c) for c in order]
    medians = {c: float(np.median(values[groups == c])) if (groups == c).any() else np.nan
               for c in names}
    n = len(values)
    # a running number (row, scan order): distinct whole numbers without more gaps than the
    # samples left out; distinct ages (20 to 80 over 17 samples) are no numbering
    numbering = bool(n and np.all(values == np.round(values)) and len(np.unique(values)) == n
                     and values.max() - values.min() + 1 <= n + n_missing)
    code = pd.factorize(groups.astype(str))[0]
    n_groups = int(code.max()) + 1 if n else 0
    if n_groups < 2 or len(np.unique(values)) < 2:  # nothing to rank apart
        return NumericFacts(column, n, n_missing, n_groups, np.nan, np.nan, np.nan, "none",
                            medians, numbering, np.nan)
    ranks = rankdata(values)
    sizes = np.bincount(code).astype(float)
    h, observed = _kruskal_h(values, code, ranks, sizes)
    if n <= MAX_PAIRWISE:
        p, method = _rank_permutation_p(code, ranks, sizes, observed), "permutation"
    else:
        p, method = float(chi2.sf(h, n_groups - 1)), "chi-squared"
    return NumericFacts(column, n, n_missing, n_groups, float(h), float(h / (n - 1)), p,
                        method, medians, numbering, np.nan)


def _kruskal_h(values, code, ranks, sizes) -> tuple[float, float]:
    """Kruskal-Wallis H (ties corrected) and the sum of R^2/n it grows with."""
    n = len(values)
    _, ties = np.unique(values, return_counts=True)
    # the tie correction and the sizes do not change under shuffling: only sum R^2/n does
    correction = 1 - float((ties ** 3 - ties).sum()) / (n ** 3 - n)
    observed = float((np.bincount(code, weights=ranks) ** 2 / sizes).sum())
    h = (12 / (n * (n + 1)) * observed - 3 * (n + 1)) / correction
    return max(h, 0.0), observed  # rounding: -1e-13 is 0


def _rank_permutation_p(code: np.ndarray, ranks: np.ndarray, sizes: np.ndarray,
                        observed: float) -> float:
    """P-value of sum R^2/n (so of H) when the clusters are shuffled over the same samples."""
    rng = np.random.default_rng(0)  # per column: a column's p does not depend on the others
    n, k = len(code), len(sizes)
    block = max(1, min(N_PERMUTATIONS, 2_000_000 // n))
    above, done = 0, 0
    while done < N_PERMUTATIONS:
        size = min(block, N_PERMUTATIONS - done)
        shuffled = rng.permuted(np.broadcast_to(code, (size, n)), axis=1)
        cells = shuffled + (np.arange(size) * k)[:, None]
        sums = np.bincount(cells.ravel(), weights=np.tile(ranks, size), minlength=size * k)
        stats = (sums.reshape(size, k) ** 2 / sizes).sum(axis=1)
        above += int((stats >= observed * (1 - 1e-12)).sum())
        done += size
    return (1 + above) / (1 + N_PERMUTATIONS)


def _types_ari(values: pd.Series, types: pd.Series | None) -> float:
    """ARI of the sample types against a column, over the samples having both (NaN: none)."""
    from ..tl._compare import adjusted_rand_index

    if types is None:
        return float("nan")
    both = (values.notna() & types.notna()).to_numpy()
    if both.sum() < 2 or types[both].nunique() < 2:  # one type: no grouping to agree with
        return float("nan")
    counts = pd.crosstab(values.to_numpy()[both].astype(str),
                         types.to_numpy()[both].astype(str)).to_numpy()
    return float(adjusted_rand_index(counts))


def _relation(values: pd.Series, types: pd.Series | None) -> str:
    """How a column's values relate to the types, over the samples having both.

    Fewer than two types among them relate to nothing: a 'type' of one label (GSE781 typed
    by the title's 'Normal', tumours unlabelled) made source_name group 'its 17 samples
    exactly as the sample types do', and every other column fall 'within the types'.
    """
    if types is None:
        return "other"
    both = (values.notna() & types.notna()).to_numpy()
    if types[both].nunique() < 2:
        return "other"
    pairs = pd.DataFrame({"value": values.to_numpy()[both].astype(str),
                          "type": types.to_numpy()[both].astype(str)})
    types_per_value = pairs.groupby("value")["type"].nunique()
    values_per_type = pairs.groupby("type")["value"].nunique()
    if (types_per_value == 1).all():
        if (values_per_type == 1).all():
            # the very labels (--type-from source_name): the column the types came from
            return "identical" if (pairs["value"] == pairs["type"]).all() else "same"
        return "within"
    if (values_per_type == 1).all():
        # each type inside one value, some value holding several types: the column groups the
        # types (GSE9476's Disease_status: AML vs Control over its five types)
        return "groups"
    return "other"
