"""The large-n engines give scipy's tree; impossible requests are refused before allocating."""

from __future__ import annotations

import time
import tracemalloc

import anndata as ad
import numpy as np
import pytest
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist, squareform
from scipy.stats import rankdata

import gexclust as gx
from gexclust.tl import _distances as distances_module
from gexclust.tl import _vector_linkage as vector_linkage
from gexclust.tl._distances import blocked_pdist, standardise
from gexclust.tl._linkage import (
    SMALL_N,
    build_tree,
    check_memory,
    induced_linkage,
    sampled_cophenetic,
)
from gexclust.tl._vector_linkage import label_merges, vector_merges

VECTOR = [("ward", "euclidean"), ("average", "correlation"), ("average", "cosine"),
          ("weighted", "correlation")]


def clustered(n, d=6, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=2.0, size=(5, d))
    return centres[rng.integers(0, 5, n)] + rng.normal(size=(n, d))


@pytest.mark.parametrize(("method", "metric"), VECTOR)
@pytest.mark.parametrize("search_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [2, 3, 40, 400])
def test_vector_engine_is_scipy(method, metric, search_dtype, n):
    X = clustered(n)
    rows = X if method == "ward" else standardise(X, metric)
    Z = label_merges(vector_merges(rows, method, search_dtype=search_dtype), n)
    expected = hierarchy.linkage(pdist(X, metric), method)
    # float32 only speeds the search: candidates are re-checked exactly in float64
    np.testing.assert_allclose(Z, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("method", "metric"), VECTOR[:2])
def test_vector_engine_is_scipy_when_searches_span_many_blocks(method, metric, monkeypatch):
    from gexclust.tl import _vector_linkage

    monkeypatch.setattr(_vector_linkage, "BLOCK_ENTRIES", 997)  # ~2-3 query rows per block
    X = clustered(400, seed=3)
    rows = X if method == "ward" else standardise(X, metric)
    Z = label_merges(vector_merges(rows, method), len(X))
    expected = hierarchy.linkage(pdist(X, metric), method)
    np.testing.assert_allclose(Z, expected, rtol=1e-10, atol=1e-12)


def test_vector_engine_with_ties_keeps_cophenetic_distances():
    X = np.repeat(clustered(60, seed=1), 3, axis=0)  # every point three times: tied merges
    Z = label_merges(vector_merges(X, "ward"), len(X))
    expected = hierarchy.linkage(X, "ward")
    np.testing.assert_allclose(np.sort(Z[:, 2]), np.sort(expected[:, 2]), atol=1e-12)
    np.testing.assert_allclose(hierarchy.cophenet(Z), hierarchy.cophenet(expected), atol=1e-12)


@pytest.mark.parametrize("metric", ["euclidean", "correlation", "cosine"])
def test_blocked_distances_are_pdist(metric):
    X = clustered(300, d=9)
    np.testing.assert_allclose(blocked_pdist(X, metric), pdist(X, metric), rtol=1e-12,
                               atol=1e-13)
    # documented float32 tolerance: about 1e-7 relative to the norms
    np.testing.assert_allclose(blocked_pdist(X, metric, dtype=np.float32), pdist(X, metric),
                               atol=2e-5 if metric == "euclidean" else 2e-6)


def test_blocked_euclidean_is_exact_for_near_duplicates():
    X = clustered(50)
    X[1] = X[0] + 1e-9
    np.testing.assert_allclose(blocked_pdist(X, "euclidean")[0], pdist(X[:2])[0], rtol=1e-6)


def test_blocked_distances_over_several_blocks_are_pdist_near_duplicates_included():
    # each block of BLOCK_ROWS rows is multiplied only by the rows from its own first on
    # (2,000 x 1,000: 0.15 s before, 0.08 s after): near-duplicate pairs within a block,
    # across two and next to a block's first row are still computed from their differences
    from gexclust.tl._distances import BLOCK_ROWS

    X = clustered(2 * BLOCK_ROWS + 40, d=70) * 100.0
    pairs = [(0, 1), (3, BLOCK_ROWS + 5), (BLOCK_ROWS - 1, BLOCK_ROWS),
             (BLOCK_ROWS, 2 * BLOCK_ROWS)]
    for i, j in pairs:
        X[j] = X[i] + 1e-7
    expected = pdist(X)
    for metric in ("euclidean", "correlation"):
        np.testing.assert_allclose(blocked_pdist(X, metric), pdist(X, metric), rtol=1e-12,
                                   atol=1e-13)
    distances = squareform(blocked_pdist(X, "euclidean"))
    for i, j in pairs:
        np.testing.assert_allclose(distances[i, j], squareform(expected)[i, j], rtol=1e-6)
        assert distances[i, j] > 0



def test_blocked_euclidean_keeps_no_block_sized_temporary_beyond_the_products():
    # before (choosek33): each block's euclidean distances were computed as block-sized
    # arrays (sums of norms, comparison, square roots, then copied row by row): passes over
    # memory, 2.95 blocks of working memory here. tl.hclust's distances of 22,283 x 64 (a
    # tree of GSE9476's genes) took 2.0 s of CPU on one thread (1.4 s before choosek33),
    # 20,000 x 50 1.45 s. Row by row the temporaries stay in cache: 1.5 s and 1.0 s, the same
    # distances to the bit, the products of the block and of the one before (1.92 blocks)
    from gexclust.tl._distances import BLOCK_ROWS

    X = clustered(3000, d=20)
    block = BLOCK_ROWS * len(X) * 8
    tracemalloc.start()
    try:
        distances = blocked_pdist(X, "euclidean")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (peak - distances.nbytes) / block < 2.5
    np.testing.assert_allclose(distances, pdist(X), rtol=1e-12, atol=1e-13)


LARGE = [("ward", "euclidean"), ("average", "correlation"), ("weighted", "cosine"),
         ("single", "euclidean"), ("single", "correlation"), ("centroid", "euclidean"),
         ("complete", "euclidean"), ("average", "cityblock")]


@pytest.fixture(scope="module")
def large():
    X = clustered(SMALL_N + 150, d=5, seed=2)
    return ad.AnnData(X)


@pytest.mark.parametrize(("method", "metric"), LARGE)
def test_hclust_beyond_scipy_size_gives_scipy_tree(large, method, metric):
    gx.tl.hclust(large, method=method, metric=metric)
    tree = large.uns["hclust"]
    distances = pdist(large.X, metric)
    expected = hierarchy.linkage(distances, method)
    np.testing.assert_allclose(tree["linkage"], expected, rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(tree["leaves"], hierarchy.leaves_list(expected))
    # estimated on 2,000 sampled leaves: close to the exact value
    exact, _ = hierarchy.cophenet(expected, distances)
    assert tree["cophenetic_correlation"] == pytest.approx(exact, abs=0.02)


def test_spearman_beyond_scipy_size_is_pearson_on_ranks():
    # Rank correlations take few distinct values, so scipy's tree and ours differ by how tied
    # merges are ordered; the correlation path itself is checked against scipy above.
    adata = ad.AnnData(clustered(SMALL_N + 50, d=40, seed=5))
    gx.tl.hclust(adata, method="average", metric="spearman")
    ranks = ad.AnnData(rankdata(adata.X, axis=1))
    gx.tl.hclust(ranks, method="average", metric="correlation")
    np.testing.assert_array_equal(adata.uns["hclust"]["linkage"], ranks.uns["hclust"]["linkage"])
    expected = hierarchy.linkage(pdist(ranks.X, "correlation"), "average")
    agreement, _ = hierarchy.cophenet(adata.uns["hclust"]["linkage"], hierarchy.cophenet(expected))
    assert agreement > 0.95


def _merged_leaves(Z):
    """The clusters of ``Z``'s merges as sets of leaves: the tree, whatever the merge ids."""
    n = len(Z) + 1
    members = [frozenset([i]) for i in range(n)]
    for a, b, _, _ in Z:
        members.append(members[int(a)] | members[int(b)])
    return set(members[n:])


@pytest.mark.parametrize("method", ["average", "weighted"])
def test_spearman_beyond_scipy_size_without_deciding_ties_is_scipy_tree(method):
    # On 100 genes no merge is decided by a tie, so the tree is scipy's on the row ranks:
    # the same merges (as sets of samples) at the same heights. Rows of equal heights may come
    # in another order, which changes the ids of the linkage but not the tree.
    X = clustered(SMALL_N + 50, d=100, seed=5)
    adata = ad.AnnData(X)
    gx.tl.hclust(adata, method=method, metric="spearman")
    Z = adata.uns["hclust"]["linkage"]
    expected = hierarchy.linkage(pdist(rankdata(X, axis=1), "correlation"), method)
    np.testing.assert_allclose(Z[:, 2], expected[:, 2], rtol=0, atol=1e-12)
    assert _merged_leaves(Z) == _merged_leaves(expected)


def test_gene_axis_beyond_scipy_size():
    rng = np.random.default_rng(3)
    adata = ad.AnnData(rng.normal(size=(12, SMALL_N + 50)))
    gx.tl.hclust(adata, axis="var", method="average", metric="correlation")
    expected = hierarchy.linkage(pdist(adata.X.T, "correlation"), "average")
    np.testing.assert_allclose(adata.uns["hclust"]["linkage"], expected, rtol=1e-9, atol=1e-12)
    gx.tl.cut(adata, n_clusters=4)
    assert adata.var["cluster"].nunique() == 4


def test_constant_gene_is_refused_on_the_large_path():
    rng = np.random.default_rng(4)
    adata = ad.AnnData(rng.normal(size=(8, SMALL_N + 10)))
    adata.X[:, 7] = 1.0
    with pytest.raises(ValueError, match="constant"):
        gx.tl.hclust(adata, axis="var", method="average", metric="correlation")


def test_nan_is_refused_on_the_large_path(large):
    bad = large.copy()
    bad.X[5, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        gx.tl.hclust(bad, method="ward")


def test_optimal_ordering_is_refused_beyond_scipy_size(large):
    with pytest.raises(ValueError, match="optimal_ordering"):
        gx.tl.hclust(large, optimal_ordering=True)


def test_average_on_500k_fails_fast_without_allocating():
    adata = ad.AnnData(np.zeros((500_000, 2), dtype=np.float32))
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(MemoryError, match=r"500,000 observations needs the full distance matrix"
                       r" in float64, about 931.3 GiB") as info:
        gx.tl.hclust(adata, method="average", metric="euclidean")
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert elapsed < 1.0
    assert peak < 5e6  # nothing of the data's size was copied
    assert "method='ward'" in str(info.value)
    assert "use_rep='X_pca'" in str(info.value)


def test_memory_limit_is_the_available_memory():
    check_memory(70_000, "complete", "euclidean", available=40e9)  # 19.6 GB of 30 GB: fine
    with pytest.raises(MemoryError, match="about 43,301 observations"):
        check_memory(70_000, "complete", "euclidean", available=10e9)
    check_memory(10**6, "ward", "euclidean", available=1e9)  # O(n d): never refused


def test_induced_tree_keeps_cophenetic_distances():
    X = clustered(80)
    Z = hierarchy.linkage(X, "average")
    leaves = np.sort(np.random.default_rng(0).choice(80, 25, replace=False))
    full = squareform(hierarchy.cophenet(Z))
    sub = squareform(hierarchy.cophenet(induced_linkage(Z, leaves)))
    np.testing.assert_allclose(sub, full[np.ix_(leaves, leaves)])
    exact, _ = hierarchy.cophenet(Z, pdist(X))
    assert sampled_cophenetic(Z, X, metric="euclidean") == pytest.approx(exact)


def test_smallest_is_the_count_th_order_statistic():
    from gexclust.tl._vector_linkage import _smallest

    rng = np.random.default_rng(3)
    for n in (1, 5, 33, 200):
        values = rng.integers(0, 20, n).astype(float)  # ties included
        for count in (1, 2, 33):
            expected = np.sort(values)[count - 1] if count <= n else np.inf
            assert _smallest(values, count) == expected


def test_a_tree_estimated_to_take_long_is_announced_with_what_is_faster(caplog, monkeypatch):
    from gexclust.tl import _linkage

    rng = np.random.default_rng(0)
    adata = ad.AnnData(rng.normal(size=(SMALL_N + 100, 60)).astype(np.float32))
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.tl.hclust(adata, method="single")
    assert not caplog.records  # small enough: no word
    monkeypatch.setattr(_linkage, "SLOW_SECONDS", 1e-3)
    with caplog.at_level("WARNING", logger="gexclust"):
        gx.tl.hclust(adata, method="single")
    (record,) = caplog.records
    assert "single linkage of 2,100 observations on 60 features" in record.getMessage()
    assert "use_rep='X_pca'" in record.getMessage()
    assert "method='ward'" in record.getMessage()


def test_estimates_of_100k_cells_warn_only_beyond_ward_on_pcs():
    from gexclust.tl._linkage import SLOW_SECONDS, estimated_seconds

    assert estimated_seconds(100_000, 50, "ward", "euclidean") < SLOW_SECONDS  # 71 s here
    assert estimated_seconds(100_000, 50, "average", "correlation") < SLOW_SECONDS
    for method in ("single", "centroid", "median"):  # single: 13 min here
        assert estimated_seconds(100_000, 50, method, "euclidean") > SLOW_SECONDS
    assert estimated_seconds(100_000, 2_000, "ward", "euclidean") > 10 * SLOW_SECONDS
    assert estimated_seconds(100_000, 50, "complete", "euclidean") is None  # refused instead


def _counting(monkeypatch, name):
    """Count the calls of a step of the vector engine, and the query rows it is given."""
    from gexclust.tl import _vector_linkage

    calls = {"calls": 0, "rows": 0}
    step = getattr(_vector_linkage, name)

    def counted(*args, **kwargs):
        calls["calls"] += 1
        calls["rows"] += len(args[3]) if name == "_search" else 0
        if calls["calls"] > 10_000:  # a stalled engine loops forever: stop it here
            msg = f"{name} called 10,000 times"
            raise AssertionError(msg)
        return step(*args, **kwargs)

    monkeypatch.setattr(_vector_linkage, name, counted)
    return calls


@pytest.mark.parametrize(("method", "n", "seed"), [("weighted", 12, 13), ("average", 13, 25)])
def test_vector_engine_finishes_when_rounding_breaks_ties(monkeypatch, method, n, seed):
    # Correlation on two features leaves two directions, so distances are 0 or 2 up to
    # rounding; a merged cluster's mean then rounded nearer (by 1e-16) to a cluster that kept
    # its neighbour, no pair was reciprocal, and the engine looped without merging, forever.
    rounds = _counting(monkeypatch, "_merge")
    X = np.random.default_rng(seed).normal(size=(n, 2))
    Z = label_merges(vector_merges(standardise(X, "correlation"), method), n)
    assert rounds["calls"] < n
    expected = hierarchy.linkage(pdist(X, "correlation"), method)
    np.testing.assert_allclose(np.sort(Z[:, 2]), np.sort(expected[:, 2]), atol=1e-12)
    np.testing.assert_allclose(hierarchy.cophenet(Z), hierarchy.cophenet(expected), atol=1e-12)


@pytest.mark.parametrize(("method", "metric"), VECTOR)
def test_duplicated_rows_are_searched_once(monkeypatch, method, metric):
    # Identical rows are all nearest to the same one, so one pair merged per round and every
    # row was searched again each round: 2,100 identical rows took 222 s (scipy: 0.1 s), and
    # the genes of a single-cell matrix include thousands of identical all-zero ones.
    searched = _counting(monkeypatch, "_search")
    rng = np.random.default_rng(6)
    X = np.vstack([np.repeat(clustered(3, seed=6), 100, axis=0), clustered(20, seed=7)])
    X = X[rng.permutation(len(X))]
    rows = X if method == "ward" else standardise(X, metric)
    Z = label_merges(vector_merges(rows, method), len(X))
    assert searched["rows"] <= 2 * 23  # each distinct row about once, not 320 x 320
    expected = hierarchy.linkage(pdist(X, metric), method)
    np.testing.assert_allclose(np.sort(Z[:, 2]), np.sort(expected[:, 2]), atol=1e-12)
    np.testing.assert_allclose(hierarchy.cophenet(Z), hierarchy.cophenet(expected), atol=1e-12)


@pytest.mark.parametrize("scale", [1e-30, 1e-20, 1e20, 1e150])
def test_ward_engine_is_scipy_at_any_magnitude(scale):
    # The search runs in float32, whose products underflow below ~1e-19 (a silently wrong
    # tree: cophenetic distances off by 100%) and overflow above ~1e19 (the engine never
    # finished); scipy's float64 handles both.
    X = clustered(200, seed=8) * scale
    Z = label_merges(vector_merges(X, "ward"), len(X))
    expected = hierarchy.linkage(pdist(X), "ward")
    np.testing.assert_allclose(Z, expected, rtol=1e-10, atol=0)


@pytest.mark.parametrize("power", [-1, 0, 1, 5, 16, 17])
def test_ward_engine_scales_only_data_out_of_range(monkeypatch, power):
    # Data with its largest value from 0.5 to 65,536 is searched as it is (no copy of a
    # 20,000 x 500 matrix); outside, scaled. Scaling by 2**power changes no rounding, so both
    # give the tree of the unit-scale data, heights times 2**power, to the last bit.
    X = clustered(150, seed=11)
    X *= 0.75 / np.abs(X).max()  # largest value 0.75 = 0.75 * 2**0
    searched = []
    real = vector_linkage._distinct_merges
    monkeypatch.setattr(vector_linkage, "_distinct_merges",
                        lambda data, *args, **kwargs: searched.append(data) or real(
                            data, *args, **kwargs))
    scaled = X * 2.0**power
    merges = vector_merges(scaled, "ward")
    assert (searched[-1] is scaled) == (0 <= power <= 16)
    reference = vector_merges(X, "ward")
    np.testing.assert_array_equal(merges[:, :2], reference[:, :2])
    np.testing.assert_array_equal(merges[:, 2], reference[:, 2] * 2.0**power)


@pytest.mark.parametrize("metric", ["correlation", "cosine"])
@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_correlation_and_cosine_of_tiny_or_huge_rows(metric, scale):
    # scale does not change correlation or cosine distances, but the rows' squared norms
    # underflowed (0/0: NaN distances) or overflowed; scipy's pdist gives NaN there too
    X = clustered(120, seed=9)
    expected = hierarchy.linkage(pdist(X, metric), "average")
    np.testing.assert_allclose(blocked_pdist(X * scale, metric), pdist(X, metric), atol=1e-12)
    Z = label_merges(vector_merges(standardise(X * scale, metric), "average"), len(X))
    np.testing.assert_allclose(Z, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("scale", [1e-170, 1e160])
def test_blocked_euclidean_of_tiny_or_huge_values(scale):
    X = clustered(120, seed=10)
    np.testing.assert_allclose(blocked_pdist(X * scale, "euclidean"), pdist(X) * scale,
                               rtol=1e-12)


@pytest.mark.parametrize("metric", ["correlation", "cosine"])
def test_single_linkage_of_repeated_rows_has_no_negative_heights(metric):
    # fastcluster's 1 - r of two identical rows rounds to -2e-16: the stored tree had
    # negative heights and hclust failed in scipy's cophenet ("contains negative distances")
    rng = np.random.default_rng(5)
    X = rng.normal(size=(2, 6))[rng.integers(0, 2, SMALL_N + 50)]
    adata = ad.AnnData(X)
    gx.tl.hclust(adata, method="single", metric=metric)
    Z = adata.uns["hclust"]["linkage"]
    expected = hierarchy.linkage(pdist(X, metric), "single")
    assert Z[:, 2].min() >= 0.0
    np.testing.assert_allclose(np.sort(Z[:, 2]), np.sort(expected[:, 2]), atol=1e-12)
    gx.tl.cut(adata, n_clusters=2)  # the two distinct rows
    clusters = adata.obs["cluster"].to_numpy()
    same_row = np.all(np.equal(X, X[0]), axis=1)
    np.testing.assert_array_equal(clusters == clusters[0], same_row)


@pytest.mark.parametrize("method", ["average", "weighted"])
def test_rows_equal_up_to_rounding_are_searched_once(monkeypatch, method):
    # Rows that are affine copies of one profile (in a single-cell gene tree: every gene seen
    # in the same one cell) standardise to one vector up to the last bits; their distances,
    # 1 - x.y, take a few values around 0, tied again: 3,000 such genes took 256 s.
    searched = _counting(monkeypatch, "_search")
    rng = np.random.default_rng(12)
    profile = rng.normal(size=30)
    copies = rng.uniform(0.5, 3, (300, 1)) * profile + rng.normal(size=(300, 1))
    X = np.vstack([copies, clustered(20, d=30, seed=12)])
    Z = label_merges(vector_merges(standardise(X, "correlation"), method), len(X))
    assert searched["rows"] <= 2 * 21
    expected = hierarchy.linkage(pdist(X, "correlation"), method)
    np.testing.assert_allclose(np.sort(Z[:, 2]), np.sort(expected[:, 2]), atol=1e-12)
    np.testing.assert_allclose(hierarchy.cophenet(Z), hierarchy.cophenet(expected), atol=1e-12)


@pytest.mark.parametrize("method", ["average", "complete"])
def test_matrix_linkage_holds_one_distance_matrix(method, monkeypatch):
    # check_memory counts one condensed float64 matrix (4 bytes per pair); fastcluster 1.3's
    # linkage() copies its input even with preserve_input=False, so the peak was twice that
    # (15,000 x 50 average/euclidean: 1.8 GB for a 0.86 GB matrix; an allowed 60,000 would OOM)
    n = SMALL_N + 1000
    X = clustered(n, d=4)
    # blocks as small beside the matrix as at 100,000 cells (64 MB would dwarf 3,000 cells')
    monkeypatch.setattr(distances_module, "BLOCK_ENTRIES", 1 << 16)
    build_tree(X[:SMALL_N + 10], method=method, metric="euclidean")  # imports, not counted
    tracemalloc.start()
    Z, _ = build_tree(X, method=method, metric="euclidean", cophenetic=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1.2 * (n * (n - 1) // 2 * 8)
    np.testing.assert_allclose(Z, hierarchy.linkage(pdist(X), method), rtol=1e-10)


def test_a_tree_of_hours_says_hours_and_every_faster_way(caplog):
    """100,000 cells, 2,000 genes, centroid: 2e-9 s x n^2 x d = 40,000 s, told as 11.1 h, with
    the three ways out (PCs, ward, fewer items)."""
    from gexclust.tl._linkage import warn_if_slow

    with caplog.at_level("WARNING", logger="gexclust"):
        warn_if_slow(100_000, 2_000, "centroid", "euclidean", what="cells")
        warn_if_slow(30_000, 60, "single", "euclidean", what="cells")  # 21.6 s: no word
    (record,) = caplog.records
    assert record.getMessage() == (
        "tl.hclust: centroid linkage of 100,000 cells on 2,000 features takes time in n^2 x d, "
        "roughly 11.1 h or more (an estimate from runs on 2 cores); faster: clustering 50 "
        "principal components (use_rep='X_pca') instead of 2,000 features; method='ward' "
        "(about 13x faster); a subsample or cluster means")



def test_a_search_holds_one_block_of_products_at_a_time(monkeypatch):
    # before: `G = a @ b` in the loop kept the previous block alive while the next was
    # computed (11.4 MB here; 105 MB of a 22,283-gene ward tree, twice its products)
    monkeypatch.setattr(vector_linkage, "BLOCK_ENTRIES", 1 << 20)
    X = clustered(4000, d=16, seed=5)
    vector_merges(X[:100], "ward")  # compiled before measuring
    block_bytes = ((1 << 20) // len(X)) * len(X) * 4  # one float32 block of the product
    tracemalloc.start()
    try:
        Z = label_merges(vector_merges(X, "ward"), len(X))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * block_bytes  # 6.7 MB after, 11.4 MB before, for a 4.2 MB block
    np.testing.assert_allclose(Z, hierarchy.linkage(X, "ward"), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("method", ["average", "ward", "single"])
def test_cophenetic_correlation_is_scipys_in_a_third_of_its_memory(method):
    from gexclust.tl._hclust import cophenetic_correlation

    distances = pdist(clustered(1500, seed=2))
    Z = hierarchy.linkage(distances, method)
    tracemalloc.start()
    try:
        r = cophenetic_correlation(Z, distances)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert r == pytest.approx(hierarchy.cophenet(Z, distances)[0], rel=1e-12)
    # scipy's cophenet(Z, Y) holds 6 vectors as long as Y (the peak of a 22,283-gene tree,
    # whose 2,000 sampled leaves give 16 MB each); the tree's distances and a chunk here
    assert peak < 3 * distances.nbytes
