"""``tl.choose_k`` at two sizes, and its scoring of one tree's cuts against scikit-learn's.

1. 2,000 samples x 1,000 genes, four planted groups plus noise (seeded), ward/euclidean: the
   default ``sample_size`` of a large data set, where the 99 rotated copies dominate;
2. GSE9476-sized, 64 x 22,283 (``gx.datasets.gse9476_example()``), what ``gexclust run``
   scores by default.

For each: CPU and wall time of the whole ``tl.choose_k`` (99 rotated copies, k = 2..10) and
the process's peak memory so far. The peer is scikit-learn's ``silhouette_score`` (on the
precomputed distances) plus ``calinski_harabasz_score`` over the same cuts k = 2..10 of the
data's tree, against choose_k's own scoring of those cuts (silhouette, Calinski-Harabasz and
the gap statistic's W_k of the data, as each copy is scored); the two silhouettes and CH are
checked to agree. scikit-learn has no rotated copies or gap statistic; R's
``cluster::clusGap`` is timed only when ``Rscript`` and the package are installed (they are
not on the development machine).

Runs alternate (peer, gexclust, ...) in one process, both on one BLAS thread (as choose_k
scores); CPU time, median over rounds.

    python benchmarks/bench_choose_k.py [--rounds N] [--skip-large]

To compare with an earlier version, run it with ``PYTHONPATH`` pointing at that checkout.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
import warnings

import anndata as ad
import numpy as np
from scipy.spatial.distance import pdist, squareform
from sklearn.metrics import calinski_harabasz_score, silhouette_score
from threadpoolctl import threadpool_limits

import gexclust as gx
from gexclust.tl import _choose_k
from gexclust.tl._flat_cuts import tree_cuts

KS = list(range(2, 11))


def planted(n: int = 2000, d: int = 1000, seed: int = 0) -> ad.AnnData:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 2.0, (4, d))
    return ad.AnnData(centres[rng.integers(0, 4, n)] + rng.normal(size=(n, d)))


def cpu(fn):
    start, wall = time.process_time(), time.perf_counter()
    out = fn()
    return time.process_time() - start, time.perf_counter() - wall, out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def whole(adata: ad.AnnData, rounds: int) -> tuple[float, float, dict]:
    cpus, walls = [], []
    for _ in range(rounds):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            c, w, result = cpu(lambda: gx.tl.choose_k(adata, inplace=False, progress=False))
        cpus.append(c)
        walls.append(w)
    return statistics.median(cpus), statistics.median(walls), result


def scoring(adata: ad.AnnData, rounds: int) -> tuple[float, float]:
    """Peer and gexclust scoring the data tree's cuts k = 2..10 from its distances."""
    X = np.asarray(adata.X, dtype=float)
    Z = adata.uns["hclust"]["linkage"]
    cuts = list(tree_cuts(Z, KS))
    distances = pdist(X)

    def peer():
        square = squareform(distances)
        return ([silhouette_score(square, g, metric="precomputed") for g in cuts],
                [calinski_harabasz_score(X, g) for g in cuts])

    def ours():
        scores = _choose_k._cut_scores(X, distances, cuts, metric="euclidean", nested=True)
        return list(scores["silhouette"][1:]), list(scores["calinski_harabasz"][1:])

    peer_times, our_times = [], []
    with threadpool_limits(1, user_api="blas"):  # as choose_k scores; BLAS threads spin here
        for _ in range(rounds):
            t_peer, _, (sil_peer, ch_peer) = cpu(peer)
            t_ours, _, (sil_ours, ch_ours) = cpu(ours)
            peer_times.append(t_peer)
            our_times.append(t_ours)
    np.testing.assert_allclose(sil_ours, sil_peer, rtol=1e-10)
    np.testing.assert_allclose(ch_ours, ch_peer, rtol=1e-10)
    return statistics.median(peer_times), statistics.median(our_times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    cases = [("GSE9476-sized 64 x 22,283", gx.datasets.gse9476_example(), args.rounds)]
    if not args.skip_large:
        cases.append(("2,000 x 1,000 planted", planted(), 1))
    print(f"gexclust {gx.__version__} from {gx.__file__}")
    for name, adata, rounds in cases:
        gx.tl.hclust(adata)
        c, w, result = whole(adata, rounds)
        peer, ours = scoring(adata, args.rounds)
        print(f"{name}: tl.choose_k {c:.2f} s CPU ({w:.2f} s wall), k={result['k']}, "
              f"p={result['p_value']:.2g}, peak {peak_mb():.0f} MB so far")
        print(f"  scoring the data's cuts k=2..10: scikit-learn {peer * 1e3:.1f} ms, "
              f"gexclust {ours * 1e3:.1f} ms, ratio {peer / ours:.1f}x "
              f"(choose_k scores the data and {len(result['null_statistic'])} copies so)")


if __name__ == "__main__":
    main()
