"""Cutting a tree into k = 2..10 clusters: scipy's fcluster, once per k, against gexclust's cuts.

``tl.cut``, ``tl.choose_k`` (the data's tree and each of its rotated copies) and
``tl.consensus`` (every resample) cut through ``gexclust.tl._flat_cuts``: the leaf order and
each merge's split point are found once, then every cut is a running count along the leaves.
The peer is ``scipy.cluster.hierarchy.fcluster(Z, k, 'maxclust')`` called for each k, on

1. a 64-leaf ward tree (choose_k's size on a GEO series: 99 rotated copies are cut each run),
2. a 2,000-leaf ward tree (choose_k's default sample of a large data set),
3. a 100,000-leaf single-linkage tree of points on a line (a tree of 100,000 cells).

Runs alternate (scipy, gexclust, ...) in one process; CPU time, median over rounds. Every cut
is checked to be fcluster's partition.

    python benchmarks/bench_cuts.py [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from gexclust.tl._flat_cuts import cuts_by_height

KS = range(2, 11)


def line_tree(n: int, seed: int = 0) -> np.ndarray:
    """Single-linkage tree of n random points on a line: merge neighbours by their gap."""
    x = np.sort(np.random.default_rng(seed).random(n))
    gaps = np.diff(x)
    parent = list(range(n))
    node = list(range(n))
    size = [1] * n

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    Z = np.empty((n - 1, 4))
    for row, gap in enumerate(np.argsort(gaps, kind="stable").tolist()):
        a, b = find(gap), find(gap + 1)
        Z[row] = (node[a], node[b], gaps[gap], size[a] + size[b])
        parent[b], size[a], node[a] = a, size[a] + size[b], n + row
    return Z


def seconds(work, repeat: int) -> float:
    start = time.process_time()
    for _ in range(repeat):
        work()
    return (time.process_time() - start) / repeat


def same_partitions(Z: np.ndarray) -> bool:
    ours = cuts_by_height(Z, KS)
    for k, labels in zip(KS, ours, strict=True):
        theirs = fcluster(Z, k, "maxclust")
        pairs = set(zip(labels.tolist(), theirs.tolist(), strict=True))
        if not len(pairs) == len(set(labels.tolist())) == len(set(theirs.tolist())):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    rng = np.random.default_rng(0)
    trees = {
        "64-leaf ward tree": (linkage(rng.normal(size=(64, 50)), "ward"), 200),
        "2,000-leaf ward tree": (linkage(rng.normal(size=(2000, 50)), "ward"), 20),
        "100,000-leaf single tree": (line_tree(100_000), 2),
    }
    print("| tree, k = 2..10 | fcluster per k | gexclust, all k | speed-up | same partitions |")
    print("|---|---:|---:|---:|---|")
    for name, (Z, repeat) in trees.items():
        peer, ours = [], []
        for _ in range(rounds):
            peer.append(seconds(lambda Z=Z: [fcluster(Z, k, "maxclust") for k in KS], repeat))
            ours.append(seconds(lambda Z=Z: cuts_by_height(Z, KS), repeat))
        p, o = statistics.median(peer), statistics.median(ours)
        print(f"| {name} | {p * 1e3:.2f} ms | {o * 1e3:.2f} ms | {p / o:.1f}x | "
              f"{'yes' if same_partitions(Z) else 'NO'} |")


if __name__ == "__main__":
    main()
