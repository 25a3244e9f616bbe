"""Write the small data sets that make_sigclust.R tests with R's sigclust (not a test).

Each set is what ``tl.choose_k`` tests in the default recipe: the top 1,000 genes by MAD (all
of them here), centred; samples x genes, 4 decimals, with the ward/euclidean cut at k = 2 in
a ``cut`` column. Usage, from this folder: ``python sigclust_data.py DIR`` (writes
DIR/sigclust_<name>.csv), then ``Rscript make_sigclust.R DIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
from scipy.cluster import hierarchy

import gexclust as gx


def two_groups(seed: int, *, n: int = 20, n_genes: int = 500, shifted: float = 0.10,
               shift: float = 3.0, minor: int | None = None) -> tuple[ad.AnnData, np.ndarray]:
    """Gaussian samples; ``minor`` of them (half by default) have ``shifted`` of genes +shift."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, n_genes))
    truth = np.zeros(n, dtype=int)
    truth[: n // 2 if minor is None else minor] = 1
    truth = rng.permutation(truth)
    X[np.ix_(truth == 1, np.arange(round(shifted * n_genes)))] += shift
    return ad.AnnData(7.0 + X, obs=pd.DataFrame(index=[f"s{i:02d}" for i in range(n)])), truth


def co_expressed(seed: int, *, n: int = 20, n_genes: int = 500) -> ad.AnnData:
    """One Gaussian cloud whose genes co-vary through 3 hidden factors: no groups."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) @ (2 * rng.normal(size=(3, n_genes))) + rng.normal(
        size=(n, n_genes))
    return ad.AnnData(7.0 + X, obs=pd.DataFrame(index=[f"s{i:02d}" for i in range(n)]))


def sets() -> dict[str, ad.AnnData]:
    out = {f"balanced_seed{s}": two_groups(s)[0] for s in range(3)}
    out.update({f"one_to_three_seed{s}": two_groups(s, minor=5)[0] for s in range(3)})
    out.update({f"co_expressed_seed{s}": co_expressed(s) for s in range(3)})
    return out


def prepared(adata: ad.AnnData) -> ad.AnnData:
    gx.pp.select_variable(adata, n_top=1000, flavor="mad", subset=True)
    gx.pp.center(adata)
    gx.tl.hclust(adata)
    return adata


def main(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, adata in sets().items():
        prepared(adata)
        frame = pd.DataFrame(np.round(np.asarray(adata.X), 4), index=adata.obs_names)
        linkage = np.asarray(adata.uns["hclust"]["linkage"], dtype=float)
        frame.insert(0, "cut", hierarchy.fcluster(linkage, 2, criterion="maxclust"))
        frame.to_csv(folder / f"sigclust_{name}.csv")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
