"""Other statistics for ``tl.choose_k``'s test of structure, on the same rotated copies.

Not used by the package: the measurements behind the README's "Power on small sets". Any
statistic computed alike on the data and on its rotated copies keeps the test exact; this
compares three, each the largest over k = 2..10 of a score standardised at each k over the
data and 99 copies (as ``tl.choose_k`` does):

- ``silhouette``: the mean silhouette of the ward tree's cut (``tl.choose_k``'s statistic; the
  p-values differ slightly from its own, which draws the copies over the sorted names);
- ``merge``: the height of the ward merge that joins k clusters into k - 1;
- ``both``: the largest of the two.

Data as in ``structure.py`` (top 1,000 genes by MAD, centred, ward/euclidean): its rows of
power and level on small sets, the co-expressed multivariate t cloud, and the five panel sets
of ``recipes.py`` (with the data in ``../shared/data``). Prints how many seeds each statistic
calls strong (p <= 0.05), and each panel set's p-values.
Usage: ``python benchmarks/structure_statistics.py`` (about 25 s).
"""

from __future__ import annotations

import logging

import numpy as np
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist, squareform

import gexclust as gx
from gexclust.tl._choose_k import _rotations, _standardised, silhouette
from gexclust.tl._flat_cuts import tree_cuts

import recipes  # isort: skip  (this folder's scripts)
import structure  # isort: skip

KS = range(2, 11)
STATISTICS = ("silhouette", "merge", "both")


def scores(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Silhouette of the ward tree's cut at each k, and the height of the merge k -> k - 1."""
    distances = pdist(X)
    Z = hierarchy.linkage(distances, method="ward")
    ks = [k for k in KS if k <= len(X) - 1]
    square = squareform(distances)
    sil = np.array([silhouette(square, groups) for groups in tree_cuts(Z, ks, check=False)])
    heights = Z[::-1, 2]  # heights[0]: the top merge, 2 clusters into 1
    return sil, np.array([heights[k - 2] for k in ks])


def p_values(X: np.ndarray, *, n_rotations: int = 99, seed: int = 0) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    draw = _rotations(X, euclidean=True)
    observed = scores(X)
    copies = [scores(draw(rng)) for _ in range(n_rotations)]
    z = [_standardised(observed[i], np.array([c[i] for c in copies])) for i in (0, 1)]
    out = {}
    for name, table in zip(STATISTICS, (z[0], z[1], np.hstack(z)), strict=True):
        largest = table.max(axis=1)
        out[name] = float((1 + (largest[1:] >= largest[0]).sum()) / (1 + n_rotations))
    return out


def prepared(adata) -> np.ndarray:
    gx.pp.select_variable(adata, n_top=1000, flavor="mad", subset=True)
    gx.pp.center(adata)
    return np.asarray(adata.X, dtype=float)


def row(name: str, make, seeds: range) -> str:
    results = [p_values(prepared(make(seed))) for seed in seeds]
    called = ", ".join(f"{s} {sum(r[s] <= 0.05 for r in results)}/{len(results)}"
                       for s in STATISTICS)
    return f"| {name} | {called} |"


def main() -> None:
    logging.getLogger("gexclust").setLevel(logging.ERROR)
    print("| data | strong by statistic |")
    print("|---|---|")
    for name, planted in structure.power_rows():
        print(row(name, lambda seed, p=planted: structure.two_groups(seed, **p)[0], range(10)),
              flush=True)
    for co_expressed in (False, True):
        name = "one cloud, 3 hidden factors" if co_expressed else "Gaussian noise"
        print(row(f"{name}, 20 x 500",
                  lambda seed, c=co_expressed: structure.small_noise(seed, co_expressed=c),
                  range(20)), flush=True)
    print(row("Gaussian noise, 64 x 2,000", structure.noise, range(20)), flush=True)
    print(row("one cloud, 3 hidden factors, 64 x 2,000", structure.correlated, range(20)),
          flush=True)
    print(row("multivariate t (3 df), 3 hidden factors, 64 x 2,000",
              lambda seed: structure.t_cloud(seed, co_expressed=True), range(10)), flush=True)
    for s in recipes.load_panel():
        X = np.asarray(recipes.features(s, recipes.default_recipe()), dtype=float)
        print(f"{s.name}: p {p_values(X)}", flush=True)


if __name__ == "__main__":
    main()
