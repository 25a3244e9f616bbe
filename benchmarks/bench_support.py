"""How sure is each cluster: gexclust against pvclust and ConsensusClusterPlus, side by side.

1. ``tl.bootstrap``: 1,000 replicates at each of pvclust's 10 scales on pvclust's ``lung``
   data (the 250 genes without missing values, 73 samples, average linkage, correlation),
   against ``pvclust(parallel=FALSE)``: one core each.
2. ``tl.consensus``: 100 resamples, k = 2..10, on a GSE9476-sized matrix (64 samples, the
   1,000 most variable genes of the built-in example), against ``ConsensusClusterPlus``
   (``clusterAlg='hc'``, average, pearson, ``pItem=0.8``): one core each.

Runs alternate (gexclust, R, gexclust, ...) so that load from other work hits both; the
ratio uses the median of each. R's side is skipped, with a note, when Rscript or the package
is missing. ``--quick`` uses 100 bootstrap replicates and one round.

    python benchmarks/bench_support.py [--quick] [--rounds N]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd

import gexclust as gx

LUNG = Path(__file__).resolve().parents[2] / "shared" / "data" / "real" / "lung_pvclust.csv.gz"

PVCLUST_R = """
suppressMessages(library(pvclust))
data(lung)
genes <- lung[complete.cases(lung), ]
t <- system.time(pvclust(genes, method.hclust = "average", method.dist = "correlation",
                         nboot = {n_boot}, parallel = FALSE, iseed = 1, quiet = TRUE))
cat(t[["elapsed"]], "\\n")
"""

CCP_R = """
suppressMessages(library(ConsensusClusterPlus))
d <- t(as.matrix(read.csv("{path}", row.names = 1)))   # genes x samples, as CCP wants
pdf(NULL)
t <- system.time(ConsensusClusterPlus(d, maxK = 10, reps = 100, pItem = 0.8, pFeature = 1,
                 clusterAlg = "hc", innerLinkage = "average", finalLinkage = "average",
                 distance = "pearson", seed = 1))
cat(t[["elapsed"]], "\\n")
"""


def r_available(package: str) -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(["Rscript", "-e", f"library({package})"], capture_output=True)
    return probe.returncode == 0


def run_r(script: str) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(script)
    out = subprocess.run(["Rscript", fh.name], capture_output=True, text=True, check=True)
    Path(fh.name).unlink()
    return float(out.stdout.split()[-1])


def lung() -> ad.AnnData:
    frame = pd.read_csv(LUNG, index_col=0)
    genes = frame.drop(columns="type")
    genes = genes.loc[:, genes.notna().all()]
    return ad.AnnData(genes.to_numpy(dtype=float), obs=pd.DataFrame(index=frame.index))


def time_bootstrap(adata: ad.AnnData, n_boot: int) -> float:
    start = time.perf_counter()
    gx.tl.bootstrap(adata, n_boot=n_boot, random_state=1, progress=False)
    return time.perf_counter() - start


def time_consensus(adata: ad.AnnData) -> float:
    start = time.perf_counter()
    gx.tl.consensus(adata, k_range=range(2, 11), n_resamples=100, progress=False, random_state=1)
    return time.perf_counter() - start


def report(name: str, ours: list[float], theirs: list[float], peer: str) -> None:
    mine = statistics.median(ours)
    print(f"{name}: gexclust {', '.join(f'{t:.1f}' for t in ours)} s (median {mine:.1f})")
    if theirs:
        peer_time = statistics.median(theirs)
        print(f"{name}: {peer} {', '.join(f'{t:.1f}' for t in theirs)} s "
              f"(median {peer_time:.1f})")
        print(f"{name}: ratio {peer_time / mine:.1f}x")
    else:
        print(f"{name}: {peer} not installed; no ratio")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args(argv)
    n_boot = 100 if args.quick else 1000
    rounds = args.rounds or (1 if args.quick else 2)

    if not LUNG.exists():
        sys.exit(f"{LUNG} not found")
    data = lung()
    gx.tl.hclust(data, method="average", metric="correlation")
    with_r = r_available("pvclust")
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(time_bootstrap(data, n_boot))
        if with_r:
            theirs.append(run_r(PVCLUST_R.format(n_boot=n_boot)))
    au = data.uns["hclust"]["support"]["au"]
    print(f"bootstrap: {n_boot} replicates x 10 scales, 73 samples x 250 genes; "
          f"{int((au[:-1] >= 0.95).sum())} of 71 non-root nodes with AU >= 0.95")
    report("bootstrap", ours, theirs, "pvclust(parallel=FALSE)")

    example = gx.datasets.gse9476_example()
    gx.pp.select_variable(example, n_top=1000, subset=True)
    with_r = r_available("ConsensusClusterPlus")
    ours, theirs = [], []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "matrix.csv"
        pd.DataFrame(np.asarray(example.X), index=example.obs_names,
                     columns=example.var_names).to_csv(path)
        for _ in range(rounds):
            ours.append(time_consensus(example))
            if with_r:
                theirs.append(run_r(CCP_R.format(path=path)))
    result = example.uns["consensus"]
    print(f"consensus: 100 resamples, k = 2..10, 64 samples x 1000 genes; recommended k = "
          f"{result['best_k']}, PAC " + ", ".join(f"{v:.3f}" for v in result["pac"]))
    report("consensus", ours, theirs, "ConsensusClusterPlus")


if __name__ == "__main__":
    main()
