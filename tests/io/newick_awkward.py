"""The tree with awkward sample names whose Newick R's ape read (tests/io/data/).

Rewrite the fixture after a deliberate change of the writer, then rerun the R script:
``python -m tests.io.newick_awkward && cd tests/io/data && Rscript make_ape_newick.R``.
"""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np

import gexclust as gx

DATA = Path(__file__).parent / "data"

#: Names that Newick writers must quote or escape, numbers, a blank one, unicode.
NAMES = [
    "plain", "a b", "tab\there", " lead", "trail ", "p(1)", "c:2", "s;3", "x,y", "[br]",
    "{c}", "x=y", 'q"d', "a\\b", "O'Brien sample", "a'b'c", "123", "1e5", "0.5", "-", "",
    "日本", "é", "under_score", "#h",
]


def awkward_tree() -> ad.AnnData:
    """Samples named :data:`NAMES`, at fixed points (no ties), clustered by average linkage."""
    i = np.arange(len(NAMES), dtype=float)
    X = np.column_stack([(i * i) % 7 + 0.1 * i, (3 * i) % 5 + 0.01 * i * i, np.sqrt(i)])
    adata = ad.AnnData(X)
    adata.obs_names = NAMES
    gx.tl.hclust(adata, method="average", metric="euclidean")
    n_merges = adata.n_obs - 1
    # support values as a bootstrap stores them, so the node labels are read back too
    au = np.round(np.linspace(0.4, 1.0, n_merges), 2)
    adata.uns["hclust"]["support"] = {"au": au, "bp": au / 2}
    return adata


if __name__ == "__main__":
    gx.io.write_newick(awkward_tree(), DATA / "newick_awkward.nwk")
