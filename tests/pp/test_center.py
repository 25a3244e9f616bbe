from __future__ import annotations

import re

import anndata as ad
import numpy as np
import pytest
from scipy.spatial.distance import pdist

import gexclust as gx


def test_center_subtracts_gene_means_and_keeps_spread(planted):
    before = planted.X.copy()
    gx.pp.center(planted)
    np.testing.assert_allclose(planted.X, before - before.mean(axis=0))
    np.testing.assert_allclose(planted.X.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(planted.X.std(axis=0), before.std(axis=0))
    np.testing.assert_allclose(planted.var["mean"], before.mean(axis=0))
    # euclidean distances, hence ward trees, do not change
    np.testing.assert_allclose(pdist(planted.X), pdist(before))


def test_center_layer_copy_and_nan(planted):
    planted.layers["raw"] = planted.X.copy()
    out = gx.pp.center(planted, layer="raw", copy=True)
    np.testing.assert_array_equal(planted.layers["raw"], planted.X)  # original untouched
    np.testing.assert_allclose(out.layers["raw"].mean(axis=0), 0.0, atol=1e-12)
    planted.X[0, 0] = np.nan
    with pytest.raises(ValueError, match="missing or infinite value"):
        gx.pp.center(planted)



def test_center_refuses_infinite_values_naming_gene_and_sample(planted):
    # before: only NaN was refused; one inf made its whole gene -inf/NaN
    planted.X[2, 4] = np.inf
    with pytest.raises(ValueError, match=rf"gene '{planted.var_names[4]}'.*sample "
                                         rf"'{planted.obs_names[2]}'"):
        gx.pp.center(planted)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("step", ["center", "scale"])
def test_values_too_large_to_centre_are_named_not_called_missing(planted, step, dtype):
    # before: centring gave -inf (then "handle missing values first" from tl.hclust), and
    # pp.scale made the gene silently 0 (its mean overflowed to inf)
    big = np.finfo(dtype).max * 0.8
    planted.X = planted.X.astype(dtype)
    planted.X[[4, 5], 7] = big
    if dtype == np.float32:
        # float32 statistics are summed in float64, where these fit: centred and scaled
        centred = getattr(gx.pp, step)(planted, copy=True)
        assert np.isfinite(centred.X).all()
        assert abs(centred.X[:, 7].astype(np.float64).mean()) < 1e-6 * big
        # but a value minus a mean of the other sign can exceed the largest float32
        planted.X[4:13, 7], planted.X[13, 7] = big, -big
        with pytest.raises(ValueError, match=(
                rf"pp\.{step}: gene 'g7' has values too large to centre or scale in float32 "
                r"\(-?[0-9.e+]+ in sample 's\d+'; the largest float32 is .*the result "
                r"overflows.*These are not missing values")):
            getattr(gx.pp, step)(planted)
        return
    with pytest.raises(ValueError, match=(
            rf"pp\.{step}: gene 'g7' has values too large to average or square in "
            rf"{np.dtype(dtype).name} \({re.escape(f'{big:.3g}')} in sample 's4'; the largest "
            rf"{np.dtype(dtype).name} is .*These are not missing values")):
        getattr(gx.pp, step)(planted)
    planted.X[[4, 5], 7] = np.sqrt(big) / 100  # large, but squares fit: centred and scaled
    getattr(gx.pp, step)(planted)
    assert np.isfinite(planted.X).all()


@pytest.mark.parametrize("step", ["center", "scale"])
def test_float32_statistics_are_accumulated_in_float64(step):
    # numpy sums a float32 matrix down its rows in float32, one row after another: over
    # 200,000 samples of values near 5,000 (SD 1) pp.center left a column mean of 5.8
    # instead of 0, and pp.scale z-scores 4.7 SD off (scanpy's sc.pp.scale: 0.003)
    rng = np.random.default_rng(0)
    values = 5000.0 + rng.normal(0.0, 1.0, size=(200_000, 2))
    adata = ad.AnnData(values.astype(np.float32))
    exact = values.astype(np.float32).astype(np.float64)
    getattr(gx.pp, step)(adata)
    assert adata.X.dtype == np.float32
    expected = exact - exact.mean(axis=0)
    if step == "scale":
        expected /= exact.std(axis=0, ddof=1)
    np.testing.assert_allclose(adata.X, expected, atol=1e-3)
    np.testing.assert_allclose(adata.var["mean"], exact.mean(axis=0), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("step", ["center", "scale"])
def test_centring_and_scaling_hold_one_result_matrix(step, dtype):
    # before: pp.scale held (X - mean) and its quotient by the SD at once (2x the matrix:
    # 1.6 GB more for 100,000 x 2,000 float32), float32 statistics took float64 blocks of
    # 8,192 rows, and the overflow check a boolean matrix (pp.center: 1.25x in float32)
    import tracemalloc

    values = np.random.default_rng(0).normal(5.0, 1.0, size=(4_000, 500)).astype(dtype)
    adata = ad.AnnData(values.copy())
    tracemalloc.start()
    try:
        getattr(gx.pp, step)(adata, **({"max_value": 3.0} if step == "scale" else {}))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.05 * values.nbytes
    expected = values.astype(np.float64) - values.mean(axis=0, dtype=np.float64)
    if step == "scale":
        expected = np.clip(expected / values.std(axis=0, ddof=1, dtype=np.float64), -3, 3)
    np.testing.assert_allclose(adata.X, expected, atol=1e-5)
