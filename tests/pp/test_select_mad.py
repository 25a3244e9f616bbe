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
