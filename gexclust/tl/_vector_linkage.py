"""Linkage in O(n * d) memory: rounds of reciprocal nearest neighbours over cluster centroids.

Some linkages need only one vector per cluster, never the n x n distance matrix:

- **ward** (scipy's and R's ``ward.D2`` height): ``sqrt(2 n_a n_b / (n_a + n_b)) ||c_a - c_b||``
  with centroids c and sizes n;
- **average** (UPGMA) with correlation or cosine distance: after standardising each row (centred
  for correlation, unit length), the distance of two rows is ``1 - x.y``, which is linear, so the
  mean of all distances between two clusters is ``1 - m_a.m_b`` with m the clusters' mean rows;
- **weighted** (WPGMA) likewise, with each merge's vector the plain mean of its two parts.

All three are *reducible* (a merged cluster is never nearer to a third than the nearer of its
parts was), which gives two savings:

- every pair of reciprocal nearest neighbours merges in the same round (same tree up to ties);
- a cluster whose nearest neighbour was not merged keeps it, so only new clusters and those
  whose neighbour merged are searched again.

A search is a blocked matrix product through BLAS (float32 by default, for speed); every
candidate whose approximate distance is within the product's rounding bound of the best is then
recomputed exactly in float64, so the float32 product changes the speed, not the tree.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._distances import max_exponent

WARD, AVERAGE, WEIGHTED = 0, 1, 2
_KIND = {"ward": WARD, "average": AVERAGE, "weighted": WEIGHTED}

#: Target size (entries) of one block of the product: 32 MB in float32. With d of 50-64 the
#: product is thin, so BLAS runs well only on a few hundred query rows at a time (at 22,283
#: genes, 1 << 21 entries gave 94 rows and a 15% slower gene tree).
BLOCK_ENTRIES = 1 << 23

#: Decimals to which unit rows (average, weighted) must agree to merge first at height 0.
SAME_UNIT_ROW = 8

#: Exponents (largest value 2**e, from 0.5 to 65,536) of data ward searches unscaled: their
#: squares and sums stay far inside float32's range (2**-126 to 2**128).
SEARCH_EXPONENTS = (0, 16)

#: Nearest neighbours remembered per cluster (candidates after merges, see :func:`_refresh`).
N_LISTED = 32


@njit(cache=True)
def _exact(kind, C, a, b, n_a, n_b):
    """Exact float64 distance key between clusters a and b (ward: half the squared height)."""
    s = 0.0
    if kind == WARD:
        for t in range(C.shape[1]):
            diff = C[a, t] - C[b, t]
            s += diff * diff
        return (n_a * n_b) / (n_a + n_b) * s
    for t in range(C.shape[1]):
        s += C[a, t] * C[b, t]
    return 1.0 - s


@njit(cache=True)
def _margin(kind, norm_q, norm_k, n_q, n_k):
    """Rounding margin of the approximate key, per unit of ``slack``."""
    if kind == WARD:
        return (n_q * n_k) / (n_q + n_k) * (norm_q + norm_k)
    return 1.0  # rows and their means have norm <= 1


@njit(cache=True)
def _lower_bounds(kind, g, q_pos, norm_q, n_q, norms, size, slack, low, chunk_min):
    """Lower bounds of one query's exact keys, and their minimum per chunk of 64.

    From the row ``g`` of products (ward: -2 q.k, else q.k) against every active cluster;
    ``norms``/``size`` are aligned with ``g``; the query's own entry is +inf.
    """
    m = g.shape[0]
    for h in range(chunk_min.shape[0]):
        lowest = np.inf
        for c in range(64 * h, min(64 * h + 64, m)):
            if kind == WARD:
                f = (n_q * size[c]) / (n_q + size[c])
                scale = norm_q + norms[c]
                value = f * (scale + g[c]) - slack * f * scale
            else:
                value = 1.0 - g[c] - slack
            low[c] = value
            lowest = min(lowest, value)
        chunk_min[h] = lowest
    low[q_pos] = np.inf
    h = q_pos // 64
    chunk_min[h] = np.min(low[64 * h : 64 * h + 64])


@njit(cache=True)
def _smallest(values, count):
    """The ``count``-th smallest of ``values`` (inf if there are fewer).

    An insertion into the ``count`` smallest so far; not ``np.partition``, which alone took
    numba 13 s to compile (a first call after install), for no gain on these short arrays.
    """
    kept = np.full(count, np.inf)
    for v in values:
        if v < kept[count - 1]:
            j = count - 1
            while j > 0 and kept[j - 1] > v:
                kept[j] = kept[j - 1]
                j -= 1
            kept[j] = v
    return kept[count - 1]


@njit(cache=True)
def _pick(kind, G, queries, q_pos, active, C, norms, size, slack, nn, nn_dist, listed,
          n_listed, bound):
    """Exact nearest active neighbour of each query from one block of approximate products.

    Keeps the ``N_LISTED`` clusters with the smallest lower bounds and ``bound``, the smallest
    lower bound of all others. The exact float64 minimum over the listed ones is the nearest
    neighbour when it is below ``bound``; otherwise every candidate whose lower bound is below
    the best upper bound is recomputed exactly. Ties go to the smallest slot.
    ``norms`` and ``size`` are aligned with ``active`` here.
    """
    m = active.shape[0]
    L = listed.shape[1]
    kept = min(L, m - 1)
    low = np.empty(m)
    chunk_min = np.empty((m + 63) // 64)
    cand = np.empty(m, np.int64)
    for r in range(queries.shape[0]):
        q = queries[r]
        p = q_pos[r]
        _lower_bounds(kind, G[r], p, norms[p], size[p], norms, size, slack, low, chunk_min)
        # The (kept+1)-th smallest of the minima of kept+1 or more chunks bounds the
        # (kept+1)-th smallest value from above, so one compare per entry finds them all.
        threshold = _smallest(chunk_min, kept + 1)
        count = 0
        for c in range(m):
            if low[c] <= threshold:
                cand[count] = c
                count += 1
        order = np.argsort(low[cand[:count]], kind="mergesort")
        top = cand[order]
        bound[q] = low[top[kept]] if m - 1 > kept else np.inf
        best = np.inf
        arg = -1
        for t in range(kept):
            k = active[top[t]]
            e = _exact(kind, C, q, k, size[p], size[top[t]])
            listed[q, t] = k
            if e < best or (e == best and k < arg):
                best = e
                arg = k
        n_listed[q] = kept
        if not best < bound[q]:
            upper = np.inf
            for c in range(m):
                if c != p:
                    margin = _margin(kind, norms[p], norms[c], size[p], size[c])
                    upper = min(upper, low[c] + 2.0 * slack * margin)
            best = np.inf
            for c in range(m):
                if low[c] <= upper:
                    e = _exact(kind, C, q, active[c], size[p], size[c])
                    if e < best:  # slots ascend, so ties keep the smallest
                        best = e
                        arg = active[c]
        nn[q] = arg
        nn_dist[q] = best


@njit(cache=True)
def _merge(kind, C, size, norms, nn, nn_dist, alive, leaf, forward, partner, merges,
           n_merges):
    """Merge all reciprocal-nearest pairs (into the smaller slot); return slots to update."""
    n = C.shape[0]
    merged = np.zeros(n, np.bool_)
    for i in range(n):
        j = nn[i]
        partner[i] = -1
        if not alive[i] or i > j or nn[j] != i:
            continue
        merges[n_merges, 0] = leaf[i]
        merges[n_merges, 1] = leaf[j]
        # 1 - x.y of identical directions can round to -1e-16; distances are >= 0
        merges[n_merges, 2] = np.sqrt(2.0 * nn_dist[i]) if kind == WARD else max(nn_dist[i], 0.0)
        n_merges += 1
        total = size[i] + size[j]
        w_i = size[i] / total if kind != WEIGHTED else 0.5
        s = 0.0
        for t in range(C.shape[1]):
            x = w_i * C[i, t] + (1.0 - w_i) * C[j, t]
            C[i, t] = x
            s += x * x
        norms[i] = s
        size[i] = total
        alive[j] = False
        forward[j] = i
        partner[i] = j
        merged[i] = True
        merged[j] = True
    count = 0
    dirty = np.empty(n, np.int64)
    for i in range(n):
        if alive[i] and (merged[i] or merged[nn[i]]):
            dirty[count] = i
            count += 1
    return dirty[:count], n_merges


@njit(cache=True)
def _refresh(kind, C, size, alive, forward, partner, listed, n_listed, bound, nn, nn_dist,
             dirty):
    """Update the nearest neighbours of ``dirty`` from their lists; return those that fail.

    By reducibility a cluster made only of parts that were not listed is at least ``bound``
    away. So the listed clusters (followed through merges, and for a new cluster the lists of
    both parts, with the smaller bound) decide the nearest neighbour exactly whenever their
    minimum is below the bound.
    """
    L = listed.shape[1]
    failed = np.empty(dirty.shape[0], np.int64)
    n_failed = 0
    cand = np.empty(2 * L, np.int64)
    dist = np.empty(2 * L)
    seen = np.zeros(C.shape[0], np.bool_)
    for r in range(dirty.shape[0]):
        q = dirty[r]
        j = partner[q]
        b = bound[q] if j < 0 else min(bound[q], bound[j])
        count = 0
        for src in (q, j):
            if src < 0:
                continue
            for t in range(n_listed[src]):
                k = listed[src, t]
                while not alive[k]:
                    k = forward[k]
                if k == q or seen[k]:
                    continue
                seen[k] = True
                cand[count] = k
                dist[count] = _exact(kind, C, q, k, size[q], size[k])
                count += 1
        for t in range(count):
            seen[cand[t]] = False
        order = np.argsort(dist[:count], kind="mergesort")
        kept = min(count, L)
        for t in range(kept, count):
            b = min(b, dist[order[t]])  # dropped clusters are at least this far
        best = np.inf
        arg = -1
        for t in range(kept):
            k = cand[order[t]]
            listed[q, t] = k
            if dist[order[t]] < best or (dist[order[t]] == best and k < arg):
                best = dist[order[t]]
                arg = k
        n_listed[q] = kept
        bound[q] = b
        if best < b:
            nn[q] = arg
            nn_dist[q] = best
        else:
            failed[n_failed] = q
            n_failed += 1
    return failed[:n_failed]


def vector_merges(X: np.ndarray, method: str, *, search_dtype=np.float32) -> np.ndarray:
    """All n - 1 merges (leaf, leaf, height) of the rows of ``X`` (n x d).

    ``X`` must already be standardised for ``average``/``weighted`` (unit rows, see
    :func:`standardise`); for ``ward`` it is taken as is. Identical rows are merged first, at
    height 0 (where any linkage merges them), and each distinct row enters the engine once,
    weighted by its count: a tie of many rows with one another would otherwise merge one
    pair per round and search every row again each round (2,100 identical rows: 222 s).
    Unit rows count as identical when they agree to :data:`SAME_UNIT_ROW` in every entry:
    their distance, 1 - x.y, is then below the rounding of that formula (d x 1e-16), so
    copies of one profile up to scale, which differ in the last bits, tie the same way.
    """
    X = np.asarray(X, dtype=np.float64)
    if method == "ward":
        exponent = search_exponent(X)
        if exponent:
            merges = _distinct_merges(np.ldexp(X, -exponent), method, search_dtype)
            merges[:, 2] = np.ldexp(merges[:, 2], exponent)
            return merges
        return _distinct_merges(X, method, search_dtype)
    return _distinct_merges(X, method, search_dtype, same=np.round(X, SAME_UNIT_ROW))


def search_exponent(X: np.ndarray) -> int:
    """Power of two to divide ward's ``X`` by before its float32 search; 0 when in range.

    float32 products underflow below ~1e-19 and overflow above ~1e19 (a silently wrong tree,
    or none): such data is searched scaled by a power of two (exact) to values up to 1. Data
    whose largest value lies in :data:`SEARCH_EXPONENTS` is searched as it is, which gives the
    same tree (scaling by a power of two changes no rounding inside float32's range) without
    a copy of the data.
    """
    exponent = int(max_exponent(X))
    low, high = SEARCH_EXPONENTS
    return 0 if low <= exponent <= high else exponent


def _distinct_merges(X: np.ndarray, method: str, search_dtype, same=None) -> np.ndarray:
    """Rows identical in ``same`` (default ``X``) merged at height 0, then one row of each."""
    n = X.shape[0]
    first, inverse = np.unique(X if same is None else same, axis=0, return_index=True,
                               return_inverse=True)[1:]  # not the unique rows: a copy of X
    inverse = inverse.reshape(-1)
    if len(first) == n:
        return _rnn_merges(X, method, np.ones(n), search_dtype)
    kept = np.sort(first)  # one row per distinct value, in the order of the data
    representative = first[inverse]  # first row of each row's value
    copies = np.flatnonzero(representative != np.arange(n))
    duplicates = np.column_stack([representative[copies], copies, np.zeros(len(copies))])
    counts = np.bincount(representative, minlength=n)[kept].astype(np.float64)
    merges = _rnn_merges(X[kept], method, counts, search_dtype)
    merges[:, :2] = kept[merges[:, :2].astype(np.int64)]
    return np.vstack([duplicates, merges])


def _rnn_merges(X: np.ndarray, method: str, size: np.ndarray, search_dtype) -> np.ndarray:
    """Merges of the rows of ``X``, row i standing for ``size[i]`` identical items."""
    kind = _KIND[method]
    C = np.array(X, dtype=np.float64, order="C")
    n, d = C.shape
    if kind == WARD:
        C -= C.mean(axis=0)  # smaller norms: smaller rounding in the expanded product
    state = {
        "size": np.array(size, dtype=np.float64),
        "norms": np.einsum("ij,ij->i", C, C),
        "nn": np.full(n, -1, np.int64),
        "nn_dist": np.full(n, np.inf),
        "listed": np.zeros((n, N_LISTED), np.int64),
        "n_listed": np.zeros(n, np.int64),
        "bound": np.full(n, np.inf),
    }
    alive = np.ones(n, np.bool_)
    leaf = np.arange(n, dtype=np.int64)
    forward = np.arange(n, dtype=np.int64)
    partner = np.full(n, -1, np.int64)
    merges = np.empty((max(n - 1, 0), 3))
    n_merges = 0
    # |fl(product) - product| <= d u (|a|^2 + |b|^2) (ward) or d u (dot); doubled with margin
    slack = 4.0 * (d + 8) * np.finfo(search_dtype).eps
    search = np.arange(n)
    while n_merges < n - 1:
        if len(search):
            _search(kind, C, np.flatnonzero(alive), search, slack, search_dtype, **state)
        before = n_merges
        dirty, n_merges = _merge(kind, C, state["size"], state["norms"], state["nn"],
                                 state["nn_dist"], alive, leaf, forward, partner, merges,
                                 n_merges)
        search = _refresh(kind, C, state["size"], alive, forward, partner, state["listed"],
                          state["n_listed"], state["bound"], state["nn"], state["nn_dist"],
                          dirty)
        if n_merges == before:
            # Reducibility says a merged cluster is never nearer to a third than the nearer
            # of its parts, so clusters whose neighbour did not merge keep it. Rounding can
            # break that at ties by 1e-16, leaving no reciprocal pair; neighbours found
            # afresh for every cluster always include one (ties go to the smallest slot).
            search = np.flatnonzero(alive)
    return merges


def _search(kind, C, active, queries, slack, dtype, *, size, norms, nn, nn_dist, listed,
            n_listed, bound):
    """Nearest active neighbour of every query slot, in blocks of queries."""
    targets = np.asarray(C[active], dtype=dtype)
    if kind == WARD:
        targets *= -2
    active_norms, active_size = norms[active], size[active]
    positions = np.searchsorted(active, queries)
    rows = min(len(queries), max(1, BLOCK_ENTRIES // max(len(active), 1)))
    # One buffer for every block: `G = a @ b` in the loop held the previous block while the
    # next was computed, twice the memory (33 MB more at 22,283 genes).
    buffer = np.empty((rows, len(active)), dtype=dtype)
    for start in range(0, len(queries), rows):
        block = queries[start : start + rows]
        G = np.matmul(np.asarray(C[block], dtype=dtype), targets.T, out=buffer[: len(block)])
        _pick(kind, G, block, positions[start : start + rows], active, C, active_norms,
              active_size, slack, nn, nn_dist, listed, n_listed, bound)


@njit(cache=True)
def _root(parent, i):
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True)
def _label(merges, order, n):
    Z = np.empty((n - 1, 4))
    parent = np.arange(n)
    cluster = np.arange(n)  # scipy id of the cluster whose union-find root is this leaf
    size = np.ones(n)
    for t in range(n - 1):
        a = _root(parent, np.int64(merges[order[t], 0]))
        b = _root(parent, np.int64(merges[order[t], 1]))
        Z[t, 0] = min(cluster[a], cluster[b])
        Z[t, 1] = max(cluster[a], cluster[b])
        Z[t, 2] = merges[order[t], 2]
        Z[t, 3] = size[a] + size[b]
        parent[b] = a
        size[a] += size[b]
        cluster[a] = n + t
    return Z


def label_merges(merges: np.ndarray, n: int) -> np.ndarray:
    """The (n - 1) x 4 linkage (scipy's layout) from merges given by any leaf of each side.

    Merges are ordered by height, keeping the recorded order among equal heights (a cluster is
    always recorded after the merges that built it), as scipy's nearest-neighbour chain does.
    """
    order = np.argsort(merges[:, 2], kind="stable")
    return _label(merges, order, n)
