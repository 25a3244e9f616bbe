"""One chunk of bootstrap replicates: resample features, recluster, count the original nodes.

Kept apart from :mod:`._bootstrap` and light (numpy, scipy) because worker processes import it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.cluster.hierarchy import linkage
from threadpoolctl import threadpool_limits

from ._parallel import replicate_rng
from ._weighted import weighted_distances

_MASK = (1 << 64) - 1


@dataclass(frozen=True)
class BootstrapTask:
    """What every chunk shares: the data, the tree's method and metric, the nodes to count."""

    data: np.ndarray  # objects x features (features are resampled)
    method: str
    metric: str
    seed: int
    leaf_hashes: tuple[int, ...]
    node_of_hash: dict[int, int]  # member-set hash of each original node -> linkage row


@dataclass(frozen=True)
class Chunk:
    """Replicates ``start:stop`` at scale number ``scale`` (``size`` features drawn)."""

    scale: int
    size: int
    start: int
    stop: int


def leaf_hashes(n_leaves: int) -> tuple[int, ...]:
    """Fixed random 64-bit codes for the leaves; a node's code is the sum over its members.

    Equal member sets give equal codes; two different sets collide with probability 2^-64.
    """
    codes = np.random.default_rng(0x9E3779B97F4A7C15).integers(
        0, np.iinfo(np.uint64).max, size=n_leaves, dtype=np.uint64, endpoint=True
    )
    return tuple(int(c) for c in codes)


def node_hashes(Z: np.ndarray, leaves: tuple[int, ...]) -> list[int]:
    """Member-set code of every merge (row) of the linkage ``Z``."""
    codes = list(leaves)
    for left, right in Z[:, :2].astype(np.intp).tolist():
        codes.append((codes[left] + codes[right]) & _MASK)
    return codes[len(leaves) :]


def run_chunk(chunk: Chunk, task: BootstrapTask) -> tuple[np.ndarray, int]:
    """How often each original node reappears in replicates ``chunk``, and failed replicates."""
    counts = np.zeros(len(task.node_of_hash), dtype=np.int64)
    failed = 0
    # one replicate is a small matrix product: BLAS threads would only spin against each other
    with threadpool_limits(1, user_api="blas"):
        for replicate in range(chunk.start, chunk.stop):
            failed += _one_replicate(task, chunk, replicate, counts)
    return counts, failed


def _one_replicate(task: BootstrapTask, chunk: Chunk, replicate: int, counts: np.ndarray) -> int:
    """Add the original nodes found in one replicate to ``counts``; 1 if it failed, else 0."""
    n_features = task.data.shape[1]
    rng = replicate_rng(task.seed, chunk.scale, replicate)
    drawn = rng.integers(0, n_features, size=chunk.size)
    weights = np.bincount(drawn, minlength=n_features).astype(np.float64)
    distances = weighted_distances(task.data, weights, task.metric)
    if distances is None or not np.isfinite(distances).all():
        return 1  # as in pvclust: the replicate counts, but supports no node
    Z = linkage(distances, method=task.method)
    for code in node_hashes(Z, task.leaf_hashes):
        row = task.node_of_hash.get(code)
        if row is not None:
            counts[row] += 1
    return 0
