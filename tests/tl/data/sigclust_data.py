"""Write the small data sets that make_sigclust.R tests with R's sigclust (not a test).

Each set is what ``tl.choose_k`` tests in the default recipe: the top 1,000 genes by MAD (all
of them here), centred; samples x genes, 4 decimals, with the ward/euclidean cut at k = 2 in
a ``cut`` column. Usage, from this folder: ``python sigclust_data.py DIR`` (writes
DIR/sigclust_<name>.csv), then ``Rscript make_sigclust.R DIR``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
from scipy.cluster import hierarchy

import gexclust as gx


def _benchmark_sets():
    """benchmarks/structure.py, whose generators make these sets: R tests the very data
    whose power the README quotes from there (a copy here could drift from it)."""
    path = Path(__file__).resolve().parents[3] / "benchmarks" / "structure.py"
    spec = importlib.util.spec_from_file_location("gexclust_benchmark_structure", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_structure = _benchmark_sets()
two_groups = _structure.two_groups


def co_expressed(seed: int) -> ad.AnnData:
    """One Gaussian cloud, 20 x 500, whose genes co-vary through 3 hidden factors: no groups."""
    return _structure.small_noise(seed, co_expressed=True)


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
