"""Condensed distance matrices computed in blocks through BLAS.

For n rows the condensed vector holds n (n - 1) / 2 distances (scipy's ``pdist`` layout); it is
the only n^2-sized array made: each block of rows is one matrix product against the rows after
it, copied into place. Correlation and cosine distances come from products of standardised rows
(the same formulas as scipy's), euclidean from ``||a||^2 + ||b||^2 - 2 a.b`` with near-zero
distances recomputed from the differences, where the expansion loses digits.

``dtype=np.float32`` halves the memory and the product time; distances then carry about 1e-7
relative error, which can swap merges whose heights differ by less (measured in
``benchmarks/run.py``).
"""

from __future__ import annotations

import numpy as np

#: Metrics computed here by matrix products; others go to scipy's pdist.
BLAS_METRICS = ("euclidean", "correlation", "cosine")

#: Largest values squared, summed and differenced in float64 without scaling first.
SAFE_RANGE = (2.0**-100, 2.0**100)

#: Target number of entries of one block product.
BLOCK_ENTRIES = 1 << 23
#: Rows of one block at most: each block is multiplied by the rows from its own first on,
#: so smaller blocks skip more of the lower triangle (8 blocks of 2,000 rows do 56% of the
#: full product, one block all of it; 0.15 s a copy at 2,000 x 1,000 before, 0.07 s after)
BLOCK_ROWS = 256


def condensed_size(n: int) -> int:
    """Number of entries of the condensed distance matrix of n items."""
    return n * (n - 1) // 2


def blocked_pdist(data: np.ndarray, metric: str, *, dtype=np.float64) -> np.ndarray:
    """Condensed distances between the rows of ``data`` (scipy's ``pdist`` layout and values).

    ``metric`` is one of :data:`BLAS_METRICS`; ``data`` must be finite, with no constant rows
    for correlation and no zero rows for cosine (checked by the caller).
    """
    X = np.asarray(data, dtype=np.float64)
    n = X.shape[0]
    exponent = 0
    largest = np.abs(X).max(initial=0.0)
    if metric in ("correlation", "cosine"):
        X = standardise(X, metric)
    elif largest and not SAFE_RANGE[0] <= largest <= SAFE_RANGE[1]:
        # squares of values beyond ~1e154 overflow and below ~1e-154 underflow: compute the
        # distances of the data scaled by a power of two (exactly), and scale them back
        exponent = int(max_exponent(X))
        X = np.ldexp(X, -exponent)
    norms = np.einsum("ij,ij->i", X, X)
    Xd = X.astype(dtype, copy=False)
    out = np.empty(condensed_size(n), dtype=dtype)
    rows = max(1, min(BLOCK_ROWS, BLOCK_ENTRIES // max(n, 1)))
    pos = 0
    for start in range(0, n - 1, rows):
        stop = min(start + rows, n - 1)
        # the block's rows against themselves and every later row: the upper triangle only
        G = Xd[start:stop] @ Xd[start:].T
        if metric == "euclidean":
            pos += _euclidean_rows(X, start, norms, G, out[pos:])
        else:
            np.clip(np.subtract(1.0, G, out=G), 0.0, 2.0, out=G)
            pos += _upper_rows(G, n - start, out[pos:])
    if exponent:
        out *= 2.0**exponent
    return out


def tiny_exponent(values: np.ndarray) -> int:
    """The exponent e to scale ``values`` by (``values / 2**e``) when all are tiny, else 0.

    Tiny: the largest magnitude below :data:`SAFE_RANGE`'s smallest, where squares underflow.
    Scaling by a power of two is exact, so a tree or a correlation of the scaled values is
    theirs (heights scaled back by ``2**e``).
    """
    largest = float(np.abs(values).max(initial=0.0))
    return int(max_exponent(values)) if largest < SAFE_RANGE[0] else 0


def max_exponent(X: np.ndarray, axis: int | None = None):
    """Exponent e of a power of two with ``|X| / 2**e`` at most 1 (0 for zeros), per ``axis``."""
    return np.frexp(np.abs(X).max(axis=axis, keepdims=axis is not None, initial=0.0))[1]


def standardise(X: np.ndarray, metric: str) -> np.ndarray:
    """Rows as unit vectors (centred first for correlation): distance = 1 - dot product.

    Rows are scaled by powers of two (exactly) to values at most 1 before the sums, which
    scaling does not change: the squared norm of a row of 1e-300 underflowed to 0 (NaN
    distances, as in scipy's pdist) and of 1e300 overflowed.
    """
    X = np.ldexp(np.asarray(X, dtype=np.float64), -max_exponent(X, axis=1))
    if metric == "correlation":
        X -= X.mean(axis=1, keepdims=True)
        X = np.ldexp(X, -max_exponent(X, axis=1))
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X


def _upper_rows(values, width, out) -> int:
    """Each row's entries right of its own column (rows i+1.. of row i) into ``out``; how many."""
    pos = 0
    for r in range(len(values)):  # row i's distances to rows i+1.., in pdist's order
        out[pos : pos + width - r - 1] = values[r, r + 1 :]
        pos += width - r - 1
    return pos


def _euclidean_rows(X, start, norms, G, out) -> int:
    """Distances of rows start.. of a block to the rows after each, from their products ``G``.

    Row by row, into ``out`` in pdist's order: each row's temporaries (a few times n floats)
    stay in cache. Done on the whole block at once, the sums of norms, the comparison and the
    square roots were passes over block-sized arrays in memory, and the distances one more
    copy: 2.0 s instead of 1.5 s at 22,283 x 64, 1.45 s instead of 1.0 s at 20,000 x 50 (CPU,
    one BLAS thread; the same distances to the bit).
    Returns how many distances were written.
    """
    n = len(X)
    pos = 0
    for r in range(len(G)):
        i = start + r
        target = out[pos : pos + n - i - 1]
        _euclidean_row(X, i, norms, G[r, r + 1 :], target)
        pos += n - i - 1
    return pos


def _euclidean_row(X, i, norms, products, target) -> None:
    """Distances from row i to rows i+1.. from their products, exact where the expansion fails."""
    squared = norms[i + 1 :] + norms[i] - 2.0 * products  # float32 products: float64, as pdist
    # where the squared distance is tiny next to the norms, the expansion cancelled its digits
    unsure = np.flatnonzero(squared < 1e-6 * (norms[i + 1 :] + norms[i]))
    if len(unsure):
        diff = X[i + 1 + unsure] - X[i]
        squared[unsure] = np.einsum("ij,ij->i", diff, diff)
    np.sqrt(np.maximum(squared, 0.0), out=target)


def undefined_rows(data: np.ndarray, metric: str) -> np.ndarray:
    """Rows whose correlation (constant rows) or cosine (all-zero rows) distance is undefined.

    Judged on the values, not on a norm after centring or weighting, which for a constant
    row is rounding noise (1e-9 of the others) rather than zero.
    """
    if metric == "correlation":
        return np.ptp(data, axis=1) == 0
    return ~np.any(data != 0, axis=1)
