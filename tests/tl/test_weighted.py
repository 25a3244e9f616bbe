"""Weighted (resampled-feature) distances against the distances of the resampled matrix."""

from __future__ import annotations

import logging

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import gexclust as gx
from gexclust.tl._hclust import pairwise_distances
from gexclust.tl._parallel import replicate_rng
from gexclust.tl._weighted import prepare, weighted_distances
from tests.conftest import shared_file

METRICS = ("euclidean", "correlation", "cosine", "spearman", "cityblock")


def _lung() -> np.ndarray:
    frame = pd.read_csv(shared_file("real/lung_pvclust.csv.gz"), index_col=0)
    genes = frame.drop(columns="type")
    return genes.loc[:, genes.notna().all()].to_numpy(dtype=float)  # 73 x 250


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("size", [50, 250, 500])
def test_weighted_distances_equal_those_of_the_resampled_matrix(metric, size):
    """A bootstrap draw as weights gives pdist's distances on the drawn columns, repeats kept
    (spearman: ranks over the drawn multiset, ties averaged; cityblock: undrawn columns
    dropped), for every metric tl.hclust offers."""
    data = _lung()
    drawn = np.random.default_rng(size).integers(0, data.shape[1], size=size)
    weights = np.bincount(drawn, minlength=data.shape[1]).astype(float)
    expected = pairwise_distances(data[:, np.sort(drawn)], metric=metric)
    got = weighted_distances(prepare(data, metric), weights, metric)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12)
    # a 0/1 subset (consensus clustering's feature draw) too
    subset = np.zeros(data.shape[1])
    subset[np.unique(drawn)] = 1.0
    expected = pairwise_distances(data[:, np.unique(drawn)], metric=metric)
    np.testing.assert_allclose(weighted_distances(prepare(data, metric), subset, metric),
                               expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("metric", "row"), [
    ("correlation", [3.0, 3.0, 3.0, 5.0, 1.0]),  # constant over columns 0-2
    ("spearman", [3.0, 3.0, 3.0, 5.0, 1.0]),
    ("cosine", [0.0, 0.0, 0.0, 5.0, 1.0]),       # all zero over columns 0-2
])
def test_undefined_distance_over_the_drawn_columns_gives_none(metric, row):
    data = np.array([row, [1.0, 2.0, 4.0, 3.0, 0.5], [2.0, 1.0, 0.0, 4.0, 3.0]])
    drawn = np.array([2.0, 1.0, 1.0, 0.0, 0.0])  # columns 0, 0, 1, 2
    assert weighted_distances(prepare(data, metric), drawn, metric) is None
    defined = np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    np.testing.assert_allclose(
        weighted_distances(prepare(data, metric), defined, metric),
        pairwise_distances(data[:, [0, 2, 3]], metric=metric), atol=1e-12)


def test_bootstrap_counts_replicates_with_a_constant_sample_as_failed(caplog):
    """A sample whose values are equal on most genes (zeros of a sparse profile) is constant in
    some draws: those replicates support no node, are counted in n_failed and announced."""
    rng = np.random.default_rng(7)
    X = rng.normal(size=(8, 12))
    X[0, 2:] = 0.0  # only genes 0 and 1 vary
    adata = ad.AnnData(X)
    gx.tl.hclust(adata, method="average", metric="correlation")
    n_boot, scales = 40, (0.5, 0.75, 1.0)
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        gx.tl.bootstrap(adata, n_boot=n_boot, scales=scales, random_state=3, progress=False)
    support = adata.uns["hclust"]["support"]
    # replicate i at scale j draws replicate_rng(seed, j, i); sample 0 varies on genes 0, 1 only
    failed = [sum(not np.isin(replicate_rng(3, j, i).integers(0, 12, size=size), [0, 1]).any()
                  for i in range(n_boot)) for j, size in enumerate((6, 9, 12))]
    assert failed == [16, 9, 4]
    assert support["params"]["n_failed"] == 29
    # a failed replicate supports no node, not even the root, which every other one holds
    np.testing.assert_array_equal(support["counts"][-1], [n_boot - f for f in failed])
    assert "bootstrap: 29 replicates had undefined distances" in caplog.text
