"""One chunk of consensus resamples: subsample, recluster, count co-clustering per k.

Kept apart from :mod:`._consensus` and light (numpy, scipy) because worker processes import it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import linkage
from threadpoolctl import threadpool_limits

from ._flat_cuts import cuts_by_merge_order
from ._parallel import replicate_rng
from ._weighted import weighted_distances


@dataclass(frozen=True)
class ConsensusTask:
    """What every chunk shares: the data, how to cluster, which k, how much to subsample."""

    data: np.ndarray  # objects x features
    method: str
    metric: str
    ks: tuple[int, ...]
    n_items: int  # objects drawn per resample (without replacement)
    n_features: int  # features drawn per resample (without replacement)
    seed: int


def run_chunk(resamples: range, task: ConsensusTask) -> tuple[np.ndarray, np.ndarray]:
    """Co-clustering counts (len(ks) x n x n) and co-sampling counts (n x n) of ``resamples``."""
    n, p = task.data.shape
    together = np.zeros((len(task.ks), n, n), dtype=np.int32)
    sampled = np.zeros((n, n), dtype=np.int32)
    with threadpool_limits(1, user_api="blas"):
        for resample in resamples:
            rng = replicate_rng(task.seed, resample)
            items = np.sort(rng.choice(n, size=task.n_items, replace=False))
            weights = np.ones(p)
            if task.n_features < p:
                weights = np.zeros(p)
                weights[rng.choice(p, size=task.n_features, replace=False)] = 1.0
            distances = weighted_distances(task.data[items], weights, task.metric)
            if distances is None or not np.isfinite(distances).all():
                continue  # a constant object on the drawn features: no distances, no vote
            labels = cuts_by_merge_order(linkage(distances, method=task.method), task.ks)
            block = np.ix_(items, items)
            sampled[block] += 1
            for j, row in enumerate(labels):
                together[j][block] += row[:, None] == row[None, :]
    return together, sampled
