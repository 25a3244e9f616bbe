from __future__ import annotations

import anndata as ad
import numpy as np
import pytest

import gexclust as gx


@pytest.mark.parametrize("n_obs", [1, 2, 7, 8])
def test_mad_equals_numpy_median_definition(n_obs):
    from gexclust.pp._select import _variability

    X = np.random.default_rng(n_obs).normal(size=(n_obs, 50))
    expected = np.median(np.abs(X - np.median(X, axis=0)), axis=0)
    np.testing.assert_array_equal(_variability(X, "mad"), expected)


def test_variance_of_float32_values_is_summed_in_float64():
    # numpy's float32 variance down 200,000 rows of values near 5,000: 34.4 for a gene of
    # variance 0.25, which was selected as the second most variable, ahead of one of 4.0
    rng = np.random.default_rng(0)
    sd = np.array([1.0, 1.5, 2.0, 0.5])
    values = np.array([5000.0, 10.0, 10.0, 5000.0]) + rng.normal(0, 1, (200_000, 4)) * sd
    adata = ad.AnnData(values.astype(np.float32))
    gx.pp.select_variable(adata, n_top=2)
    exact = values.astype(np.float32).astype(np.float64).var(axis=0, ddof=1)
    np.testing.assert_allclose(adata.var["variability"], exact, rtol=1e-9)
    assert adata.var["highly_variable"].tolist() == [False, True, True, False]


def test_mad_takes_one_matrix_of_temporary_memory():
    # before: X - median, its absolute value and a sorted copy of that at once, twice the
    # matrix beyond it (1.07 GB more than the 356 MB matrix of 2,000 x 22,283 samples x
    # probes); now the deviations are made absolute and sorted in place
    import tracemalloc

    rng = np.random.default_rng(1)
    X = rng.normal(7.0, 1.0, size=(301, 20_000)) * rng.uniform(0.1, 2.0, size=20_000)
    adata = ad.AnnData(X)
    expected = np.median(np.abs(X - np.median(X, axis=0)), axis=0)
    tracemalloc.start()
    try:
        gx.pp.select_variable(adata, n_top=500, flavor="mad")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(adata.var["variability"], expected)
    # numpy's variance (checked first) takes one matrix for X - mean too
    assert peak < 1.5 * X.nbytes, (peak, X.nbytes)


def _adversarial_genes(dtype) -> np.ndarray:
    """Genes whose mean dwarfs their spread, beside ordinary sparse ones (50 samples)."""
    rng = np.random.default_rng(3)
    n = 50
    X = np.zeros((n, 7))
    X[:, 0] = 1e6 + rng.normal(0, 0.01, n)  # no zero: every value stored
    X[:, 1] = 1e6 + rng.normal(0, 0.01, n)
    X[:5, 1] = 0.0  # a few zeros beside large values
    X[:, 2] = 1e6  # constant: variance exactly 0
    X[:, 3] = 1e7 + rng.integers(0, 4, n)  # exact in float32 (below 2**24)
    X[:, 4] = rng.normal(0, 1, n) * (rng.random(n) < 0.3)  # an ordinary sparse gene
    X[:, 5] = 5.0 + rng.normal(0, 1e-3, n)
    X[:, 6] = 0.0  # all zero
    return X.astype(dtype)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_variance_is_taken_from_deviations(fmt, dtype):
    # before: the mean of the squares minus the squared mean, which cancels when the mean
    # dwarfs the spread: the gene of 1e6 +- 0.01 scored 5.0e-4 for its 1.2e-4 (float64), and
    # 1e7 + {0..3} 1.32 for 1.19 (float32 as float64 too)
    from scipy import sparse

    X = _adversarial_genes(dtype)
    exact = X.astype(np.float64).var(axis=0, ddof=1)
    matrix = sparse.csr_matrix(X) if fmt == "csr" else sparse.csc_matrix(X)
    adata = ad.AnnData(matrix)
    gx.pp.select_variable(adata, n_top=3)
    np.testing.assert_allclose(adata.var["variability"], exact, rtol=1e-7, atol=0)
    dense = ad.AnnData(X)
    gx.pp.select_variable(dense, n_top=3)
    np.testing.assert_allclose(adata.var["variability"], dense.var["variability"], rtol=1e-7,
                               atol=0)
    assert adata.var["highly_variable"].tolist() == dense.var["highly_variable"].tolist()


def test_sparse_variance_counts_duplicate_entries_once_summed():
    # a CSR matrix may store an entry twice (not canonical): scipy reads it as their sum,
    # and so must the deviations, taken entry by entry
    from scipy import sparse

    from gexclust.pp._select import _sparse_variance

    data = np.array([1e6, 1.0, 2.0, 1e6 + 0.01, 3.0, 1e6 - 0.02])
    cols = np.array([0, 1, 1, 0, 1, 0])  # row 0 holds (0, 1) twice: 1 + 2
    matrix = sparse.csr_matrix((data, cols, np.array([0, 3, 5, 6, 6])), shape=(4, 2))
    assert not matrix.has_canonical_format
    exact = matrix.toarray().var(axis=0, ddof=1)
    np.testing.assert_allclose(_sparse_variance(matrix), exact, rtol=1e-9, atol=0)


def test_a_key_added_naming_the_tree_is_refused_and_the_tree_kept():
    # before: pp.select_variable(adata, key_added='hclust') replaced the tree in
    # .uns['hclust'] by {'flavor': 'variance', 'n_top': 2} without a word; tl.cut then said
    # "no tree in .uns['hclust']" (tl.cut, tl.choose_k, tl.markers ... refuse such a key)
    rng = np.random.default_rng(0)
    adata = ad.AnnData(rng.normal(size=(6, 4)))
    gx.tl.hclust(adata)
    linkage = adata.uns["hclust"]["linkage"].copy()
    with pytest.raises(ValueError, match=r"^pp\.select_variable: \.uns\['hclust'\] holds a tree of "
                       r"tl\.hclust, which key_added='hclust' would overwrite; choose another "
                       r"key_added$"):
        gx.pp.select_variable(adata, n_top=2, key_added="hclust")
    np.testing.assert_array_equal(adata.uns["hclust"]["linkage"], linkage)
    assert list(adata.var.columns) == []  # nothing written


@pytest.mark.parametrize("key", ["variability", "variability_rank"])
def test_a_key_added_naming_the_scores_columns_is_refused(key):
    # before: key_added='variability_rank' wrote the selection (booleans) over the ranks, so
    # pl.clustermap's 'most variable genes' were the unselected ones first (rank False = 0);
    # key_added='variability' wrote it over the scores
    adata = ad.AnnData(np.outer(np.arange(6.0), [1, 2, 3, 4]))  # spread grows gene by gene
    with pytest.raises(ValueError, match=rf"^pp\.select_variable: key_added={key!r} is a \.var "
                       r"column pp\.select_variable writes itself \('variability', the scores, "
                       r"and 'variability_rank', their ranks\); choose another key_added$"):
        gx.pp.select_variable(adata, n_top=2, key_added=key)
    assert list(adata.var.columns) == []  # nothing written
    gx.pp.select_variable(adata, n_top=2)
    assert adata.var["variability_rank"].tolist() == [3, 2, 1, 0]


def test_genes_taken_in_order_among_tied_scores_are_said(caplog):
    # before: flavor='mad' on single-cell-like values (most genes zero in more than half the
    # cells, so their MAD is 0) marked the first 20 genes in var order as "the 20 most
    # variable", without a word: all 20 had MAD 0, tied with 80 genes left out
    rng = np.random.default_rng(0)
    values = np.log1p(rng.poisson(0.3, (60, 100)).astype(np.float64))
    adata = ad.AnnData(values)
    gx.pp.select_variable(adata, n_top=20, flavor="mad")
    assert adata.var["highly_variable"].to_numpy().nonzero()[0].tolist() == list(range(20))
    assert ("pp.select_variable: 20 of the 20 genes selected tie with 80 genes left out at "
            "mad 0 (a gene whose values are more than half equal, such as the zeros of "
            "counts, has mad 0), so those 20 are the first in gene order, not the most "
            "variable; flavor='variance' ranks such data") in caplog.text
    caplog.clear()
    gx.pp.select_variable(adata, n_top=20, flavor="variance")  # no ties: nothing to say
    gx.pp.select_variable(adata, n_top=100, flavor="mad")  # every gene: no choice made
    assert "tie with" not in caplog.text
    constant = ad.AnnData(np.hstack([values[:, :3], np.ones((60, 5))]))  # 3 genes vary
    gx.pp.select_variable(constant, n_top=4)
    assert ("1 of the 4 genes selected tie with 4 genes left out at variance 0 (constant "
            "genes), so those 1 are the first in gene order, not the most variable; pass a "
            "smaller n_top") in caplog.text
