"""The README's table of ``tl.choose_k`` on data with and without groups, measured again.

Each data set goes through the default recipe's tree (top 1,000 genes by MAD, centred, ward)
and ``tl.choose_k`` with its defaults (99 rotated copies, seed 0):

- 4 planted groups, 64 x 1,000 (60 marker genes each, +1.5 SD), seeds 0-9;
- Gaussian noise of GSE9476's shape after selection, 64 x 2,000, seeds 0-19;
- one cloud with co-expression (3 hidden factors), 64 x 2,000, seeds 0-19, also with the
  permuted reference of the gap statistic;
- one heavy-tailed cloud, multivariate t with 3 degrees of freedom, 64 x 2,000, seeds 0-9,
  with independent genes and with the 3 hidden factors.

It prints, per data set, the k of the silhouette and of the gap rule, the median best
silhouette of the data and of the rotated copies, and how many seeds were called strong.

Then the power on small sets: two groups (balanced, or 1:3) of Gaussian samples, 500 genes
(all kept by the selection), a share of them shifted in the smaller group, seeds 0-9; and the
level at 20 samples (Gaussian noise and the co-expressed cloud, 20 x 500, seeds 0-19). For each:
how many seeds were called strong, the median p-value, and the ARI of the tree's cut at k = 2
to the planted groups (mean, and in how many seeds it is 1).
Usage: ``python benchmarks/structure.py`` (about 30 s).
"""

from __future__ import annotations

import logging
from collections import Counter

import anndata as ad
import numpy as np
import pandas as pd
from scipy.cluster import hierarchy
from sklearn.metrics import adjusted_rand_score

import gexclust as gx


def planted_groups(seed: int, n: int = 64, n_genes: int = 1000) -> ad.AnnData:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_genes))
    groups = rng.permutation(np.arange(n) % 4)
    for g in range(4):
        X[np.ix_(groups == g, np.arange(60 * g, 60 * g + 60))] += 1.5
    return ad.AnnData(X, obs=pd.DataFrame(index=[f"s{i}" for i in range(n)]))


def noise(seed: int) -> ad.AnnData:
    return ad.AnnData(np.random.default_rng(seed).normal(7.0, 1.0, size=(64, 2000)))


def factors(rng: np.random.Generator, n: int = 64, n_genes: int = 2000) -> np.ndarray:
    """One Gaussian cloud whose genes co-vary through 3 hidden factors."""
    return rng.normal(size=(n, 3)) @ (2 * rng.normal(size=(3, n_genes))) + rng.normal(
        size=(n, n_genes))


def correlated(seed: int) -> ad.AnnData:
    return ad.AnnData(7.0 + factors(np.random.default_rng(seed)))


def t_cloud(seed: int, *, co_expressed: bool) -> ad.AnnData:
    """Multivariate t, 3 degrees of freedom: a Gaussian cloud with a chi-square radius each."""
    rng = np.random.default_rng(seed)
    Z = factors(rng) if co_expressed else rng.normal(size=(64, 2000))
    return ad.AnnData(7.0 + Z / np.sqrt(rng.chisquare(3, size=(64, 1)) / 3))


def two_groups(seed: int, *, n: int = 20, n_genes: int = 500, shifted: float = 0.10,
               shift: float = 3.0, minor: int | None = None) -> tuple[ad.AnnData, np.ndarray]:
    """``minor`` samples (half by default) with ``shifted`` of the genes +``shift`` SD."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_genes))
    truth = np.zeros(n, dtype=int)
    truth[: n // 2 if minor is None else minor] = 1
    truth = rng.permutation(truth)
    X[np.ix_(truth == 1, np.arange(round(shifted * n_genes)))] += shift
    # names that sort in row order (choose_k draws its copies over the sorted names)
    obs = pd.DataFrame(index=[f"s{i:02d}" for i in range(n)])
    return ad.AnnData(7.0 + X, obs=obs), truth


def small_noise(seed: int, *, co_expressed: bool) -> ad.AnnData:
    rng = np.random.default_rng(seed)
    X = factors(rng, n=20, n_genes=500) if co_expressed else rng.normal(size=(20, 500))
    return ad.AnnData(7.0 + X, obs=pd.DataFrame(index=[f"s{i:02d}" for i in range(20)]))


def scored(adata: ad.AnnData, **kwargs) -> dict:
    gx.pp.select_variable(adata, n_top=1000, flavor="mad", subset=True)
    gx.pp.center(adata)
    gx.tl.hclust(adata)
    return gx.tl.choose_k(adata, inplace=False, **kwargs)


def row(name: str, make, seeds: range, *, permuted_gap: bool = False) -> str:
    results = [scored(make(seed)) for seed in seeds]
    sil = Counter(r["k_by"]["silhouette"] for r in results)
    gap = Counter(r["k_by"]["gap"] for r in results)
    best = np.median([r["best_silhouette"] for r in results])
    copies = np.median([np.median(r["null_best_silhouette"]) for r in results])
    strong = sum(bool(r["strong"]) for r in results)
    p = min(r["p_value"] for r in results if not r["strong"]) if strong < len(results) else None
    text = (f"| {name} | {dict(sorted(sil.items()))} | {dict(sorted(gap.items()))} | "
            f"{best:.3f} vs {copies:.3f} | strong in {strong}/{len(results)}"
            + (f" (lowest p of the others {p:.2f})" if p is not None else "") + " |")
    if permuted_gap:
        permuted = Counter(scored(make(seed), reference="permute")["k_by"]["gap"]
                           for seed in seeds)
        text += f" permuted reference, gap k: {dict(sorted(permuted.items()))}"
    return text


def power_row(name: str, seeds: range, **planted) -> str:
    strong, p_values, ari = 0, [], []
    for seed in seeds:
        adata, truth = two_groups(seed, **planted)
        result = scored(adata)
        strong += bool(result["strong"])
        p_values.append(result["p_value"])
        cut = hierarchy.fcluster(np.asarray(adata.uns["hclust"]["linkage"], dtype=float), 2,
                                 criterion="maxclust")
        ari.append(adjusted_rand_score(truth, cut))
    exact = sum(a == 1.0 for a in ari)
    return (f"| {name} | strong in {strong}/{len(seeds)} | {np.median(p_values):.2f} | "
            f"{np.mean(ari):.2f} (1.0 in {exact}/{len(seeds)}) |")


def level_row(name: str, make, seeds: range) -> str:
    p_values = np.array([scored(make(seed))["p_value"] for seed in seeds])
    return (f"| {name} | strong in {(p_values <= 0.05).sum()}/{len(seeds)} | "
            f"{np.median(p_values):.2f} | - |")


def power_rows() -> list[tuple]:
    """(name, keyword arguments of two_groups) of the README's table of power."""
    rows = [(f"2 groups of {n // 2} ({n} x 500), 10% of genes +3 SD", {"n": n})
            for n in (12, 20, 40, 64)]
    rows += [("2 groups of 10 (20 x 500), 10% of genes +2 SD", {"shift": 2.0}),
             ("2 groups of 10 (20 x 500), 2% of genes +3 SD", {"shifted": 0.02}),
             ("2 groups, 5 and 15 (20 x 500), 10% of genes +3 SD", {"minor": 5}),
             ("2 groups, 10 and 30 (40 x 500), 10% of genes +3 SD", {"n": 40, "minor": 10})]
    return rows


def main() -> None:
    logging.getLogger("gexclust").setLevel(logging.ERROR)
    print("| data | silhouette k (seeds) | gap k (seeds) | best silhouette vs copies (median) "
          "| verdict |")
    print("|---|---|---|---|---|")
    print(row("4 planted groups, 64 x 1,000, 10 seeds", planted_groups, range(10)), flush=True)
    print(row("Gaussian noise, 64 x 2,000, 20 seeds", noise, range(20)), flush=True)
    print(row("one cloud, 3 hidden factors, 64 x 2,000, 20 seeds", correlated, range(20),
              permuted_gap=True), flush=True)
    for co_expressed in (False, True):
        genes = "3 hidden factors" if co_expressed else "independent genes"
        print(row(f"multivariate t (3 df), {genes}, 64 x 2,000, 10 seeds",
                  lambda seed, c=co_expressed: t_cloud(seed, co_expressed=c), range(10)),
              flush=True)
    print("\n| data (seeds 0-9; level: 0-19) | verdict | median p | tree's cut at k=2: ARI "
          "(mean) |")
    print("|---|---|---|---|")
    for name, planted in power_rows():
        print(power_row(name, range(10), **planted), flush=True)
    for co_expressed in (False, True):
        name = ("one cloud, 3 hidden factors, 20 x 500" if co_expressed else
                "Gaussian noise, 20 x 500")
        print(level_row(name, lambda seed, c=co_expressed: small_noise(seed, co_expressed=c),
                        range(20)), flush=True)


if __name__ == "__main__":
    main()
