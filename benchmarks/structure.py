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
Usage: ``python benchmarks/structure.py`` (about 30 s).
"""

from __future__ import annotations

import logging
from collections import Counter

import anndata as ad
import numpy as np
import pandas as pd

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


if __name__ == "__main__":
    main()
