from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("n_obs", [1, 2, 7, 8])
def test_mad_equals_numpy_median_definition(n_obs):
    from gexclust.pp._select import _variability

    X = np.random.default_rng(n_obs).normal(size=(n_obs, 50))
    expected = np.median(np.abs(X - np.median(X, axis=0)), axis=0)
    np.testing.assert_array_equal(_variability(X, "mad"), expected)
