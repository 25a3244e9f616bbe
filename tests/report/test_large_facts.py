"""Report facts of a tree of many samples: subsampled, never n x n."""

from __future__ import annotations

import tracemalloc

import anndata as ad
import numpy as np
import pandas as pd
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

import gexclust as gx
from gexclust._report import _facts


def test_type_distances_of_many_samples_match_the_full_matrix_without_building_it():
    n = 6000  # above the 3,000 samples compared pairwise
    rng = np.random.default_rng(0)
    types = rng.integers(0, 3, n)
    X = rng.normal(size=(n, 4)) + 3.0 * types[:, None]
    adata = ad.AnnData(X, obs=pd.DataFrame({"type": [f"t{t}" for t in types]},
                                           index=[f"c{i}" for i in range(n)]))
    gx.tl.hclust(adata)
    tracemalloc.start()
    ours = _facts.type_distances(adata)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < n * n * 4  # the full square matrix alone is n^2 x 8 bytes (288 MB)
    Z = adata.uns["hclust"]["linkage"]
    keep = np.sort(np.random.default_rng(0).choice(n, _facts.MAX_PAIRWISE, replace=False))
    full = squareform(hierarchy.cophenet(Z))[np.ix_(keep, keep)] / Z[-1, 2]
    kept = np.array([f"t{t}" for t in types])[keep]
    for a in ours.index:
        for b in ours.columns:
            block = full[np.ix_(kept == a, kept == b)]
            if a == b:
                block = block[~np.eye(len(block), dtype=bool)]
            assert ours.loc[a, b] == np.median(block)
