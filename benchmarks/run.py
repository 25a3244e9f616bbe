"""Every comparison with a peer, side by side, into one table: ``benchmarks/RESULTS.md``.

Each measurement is a fresh child process (``run.py --child KIND ...``) that reports its wall
time and its peak resident memory (VmHWM, imports included) as one JSON line; peer and gexclust
children alternate, so both see the same load on this shared machine. Every child runs BLAS on
one thread (OPENBLAS_NUM_THREADS=1 and friends): the peers are single-threaded, and on a busy
2-core machine a second BLAS thread slows products down instead of speeding them up.

Comparisons (agreement checked for each):

- the original script vs ``gexclust run`` (64 x 22,283 CuMiDa CSV);
- seaborn.clustermap vs gexclust two-way (``tl.hclust(axis='var')`` + ``pl.clustermap``) on
  all 22,283 probes, average/correlation and ward/euclidean, z-scored genes, PNG written;
- scipy and fastcluster vs ``tl.hclust(use_rep='X_pca')`` ward at 5k, 20k, 50k and 100k
  observations x 50 dimensions (scipy only where its n^2 matrix fits), with ``tl.cut`` and
  ``pl.dendrogram`` on the 100k tree;
- GEOparse vs ``io.read_soft`` (GSE9476-sized family SOFT);
- pvclust vs ``tl.bootstrap`` on pvclust's ``lung``, when R with pvclust is installed;
- ``import gexclust`` and ``gexclust --help``.

Usage: python benchmarks/run.py [--sizes 5000 20000 50000 100000] [--fastcluster-max 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SECTIONS = ["run", "twoway", "dtype", "large", "geo", "pvclust", "startup"]
ONE_THREAD = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                               "NUMBA_NUM_THREADS")}
#: fastcluster linkage_vector ward at 100k x 50 on this machine, from REFERENCE.md (not rerun:
#: ~10 minutes idle, far longer under load).
FASTCLUSTER_100K_REFERENCE_S = 622.0


# ---------------------------------------------------------------------------------------------
# children


def _status_mb(field: str) -> float:
    lines = Path("/proc/self/status").read_text().splitlines()
    status = dict(line.split(":", 1) for line in lines)
    return int(status[field].split()[0]) / 1024


def _peak_mb() -> float:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork+exec
    return _status_mb("VmHWM")


def child(kind: str, args: list[str]) -> dict:
    """Run one measurement in this (fresh) process."""
    import numpy as np

    out: dict = {}
    if kind.startswith("seaborn"):
        method, metric, x_path, png, z_path = args
        if kind == "seaborn-scipy":
            sys.modules["fastcluster"] = None  # seaborn falls back to scipy, as without it
        import warnings

        import matplotlib

        matplotlib.use("Agg")
        import pandas as pd
        import seaborn as sns

        sys.setrecursionlimit(200_000)  # scipy's dendrogram recurses once per tree level
        X = np.load(x_path)
        out["start_mb"] = _status_mb("VmRSS")
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            grid = sns.clustermap(pd.DataFrame(X), method=method, metric=metric, z_score=1,
                                  xticklabels=False, yticklabels=False, cmap="RdBu_r")
            grid.savefig(png, dpi=120)
        out["seconds"] = time.perf_counter() - start
        np.save(z_path, grid.dendrogram_col.linkage)
    elif kind == "gexclust-twoway":
        method, metric, x_path, png, z_path = args
        import anndata as ad
        import matplotlib.figure  # imported before the clock, as seaborn's is

        import gexclust as gx
        from gexclust.tl._vector_linkage import vector_merges

        # gexclust's compiled kernels loaded (from numba's cache), as fastcluster's C++ is at
        # its import: the memory a call adds is then measured on equal terms
        vector_merges(np.random.default_rng(0).normal(size=(50, 3)), method)
        X = np.load(x_path)
        out["start_mb"] = _status_mb("VmRSS")
        start = time.perf_counter()
        adata = ad.AnnData(X)
        gx.pp.scale(adata)  # z-scored genes, as seaborn's z_score=1
        gx.tl.hclust(adata, method=method, metric=metric)
        gx.tl.hclust(adata, axis="var", method=method, metric=metric, key_added="genes")
        gx.pl.clustermap(adata, gene_key="genes", show=False, save=png)
        out["seconds"] = time.perf_counter() - start
        np.save(z_path, adata.uns["genes"]["linkage"])
    elif kind in ("scipy", "fastcluster", "gexclust"):
        method, x_path, z_path = args
        X = np.load(x_path)
        if kind == "gexclust":
            import anndata as ad
            import pandas as pd

            import gexclust as gx

            adata = ad.AnnData(obs=pd.DataFrame(index=[f"c{i}" for i in range(len(X))]),
                               obsm={"X_pca": X})
            start = time.perf_counter()
            gx.tl.hclust(adata, method=method, use_rep="X_pca")
            out["seconds"] = time.perf_counter() - start
            Z = adata.uns["hclust"]["linkage"]
            if len(X) >= 100_000:
                start = time.perf_counter()
                gx.tl.cut(adata, n_clusters=10)
                out["cut_seconds"] = time.perf_counter() - start
                start = time.perf_counter()
                gx.pl.dendrogram(adata, show=False, save=str(Path(z_path).with_suffix(".png")))
                out["dendrogram_seconds"] = time.perf_counter() - start
        else:
            if kind == "scipy":
                from scipy.cluster.hierarchy import linkage
            else:
                from fastcluster import linkage_vector as linkage
            start = time.perf_counter()
            Z = linkage(X, method=method)
            out["seconds"] = time.perf_counter() - start
        np.save(z_path, Z)
    elif kind == "gene-tree":
        dtype, x_path, z_path = args
        from gexclust.tl._distances import standardise
        from gexclust.tl._vector_linkage import label_merges, vector_merges

        genes = standardise(np.load(x_path).T, "correlation")
        start = time.perf_counter()
        Z = label_merges(vector_merges(genes, "average", search_dtype=np.dtype(dtype).type),
                         len(genes))
        out["seconds"] = time.perf_counter() - start
        np.save(z_path, Z)
    elif kind == "bootstrap":
        n_boot, support_path = args
        sys.path.insert(0, str(HERE))
        from bench_support import lung

        import gexclust as gx

        adata = lung()
        start = time.perf_counter()
        gx.tl.hclust(adata, method="average", metric="correlation")
        gx.tl.bootstrap(adata, n_boot=int(n_boot), random_state=1, progress=False)
        out["seconds"] = time.perf_counter() - start
        support = adata.uns["hclust"]["support"]
        np.savez(support_path, linkage=adata.uns["hclust"]["linkage"], au=support["au"],
                 se_au=support["se_au"], names=np.asarray(adata.obs_names))
    elif kind == "pvclust":
        import resource

        (n_boot,) = args
        sys.path.insert(0, str(HERE))
        from bench_support import PVCLUST_R, run_r

        out["seconds"] = run_r(PVCLUST_R.format(n_boot=n_boot))
        # Rscript's own peak, not this launcher's
        out["peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        return out
    elif kind == "warm":
        import anndata as ad

        import gexclust as gx
        from gexclust.tl._distances import standardise
        from gexclust.tl._vector_linkage import vector_merges

        rng = np.random.default_rng(0)
        for method, metric in (("ward", "euclidean"), ("average", "correlation")):
            gx.tl.hclust(ad.AnnData(rng.normal(size=(2500, 5))), method=method, metric=metric)
        # the float64 search is compiled separately (numba specialises on the dtype)
        vector_merges(standardise(rng.normal(size=(500, 5)), "correlation"), "average",
                      search_dtype=np.float64)
        out["seconds"] = 0.0
    out["peak_mb"] = _peak_mb()
    return out


def measure(kind: str, *args) -> dict:
    env = {**os.environ, **ONE_THREAD, "MPLBACKEND": "Agg"}
    done = subprocess.run([sys.executable, __file__, "--child", kind, *map(str, args)],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        print(f"  {kind} failed: {tail}", flush=True)
        return {"seconds": float("nan"), "peak_mb": float("nan"), "error": tail}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  {kind} {' '.join(map(str, args[:2]))}: {result['seconds']:.2f} s, "
          f"{result['peak_mb']:.0f} MB", flush=True)
    return result


# ---------------------------------------------------------------------------------------------
# agreement


def tree_agreement(Z, Z_ref, k: int = 10) -> str:
    """Same merges and heights, else cophenetic correlation and ARI of k-cluster cuts."""
    import numpy as np
    from scipy.cluster.hierarchy import fcluster
    from sklearn.metrics import adjusted_rand_score

    Z, Z_ref = np.asarray(Z), np.asarray(Z_ref)
    gap = float(np.max(np.abs(Z[:, 2] - Z_ref[:, 2]) / np.maximum(Z_ref[:, 2], 1e-300)))
    same = np.array_equal(Z[:, :2], Z_ref[:, :2]) and gap < 1e-8
    ari = adjusted_rand_score(fcluster(Z, k, "maxclust"), fcluster(Z_ref, k, "maxclust"))
    if same:
        return f"same tree (all merges; heights within {gap:.0e} rel.)"
    merges = float(np.mean(np.all(Z[:, :2] == Z_ref[:, :2], axis=1)))
    return (f"{merges:.1%} identical merges, heights within {gap:.0e} rel., "
            f"ARI of {k}-cluster cuts {ari:.4f}")


# ---------------------------------------------------------------------------------------------
# sections


def ratio_row(name, peer_name, peer, ours, agreement, ours_name="gexclust") -> dict:
    return {"name": name, "peer": peer_name, "ours": ours_name, "peer_s": peer["seconds"],
            "ours_s": ours["seconds"], "peer_mb": peer["peak_mb"], "ours_mb": ours["peak_mb"],
            "agreement": agreement}


def bench_twoway(tmp: Path, rows: list, notes: list) -> None:
    import numpy as np

    import gexclust as gx

    x_path = tmp / "gse9476.npy"
    np.save(x_path, np.asarray(gx.datasets.gse9476_example().X))
    print("two-way clustering, 64 x 22,283", flush=True)
    for method, metric, peers in (("average", "correlation", ("seaborn-scipy", "seaborn")),
                                  ("ward", "euclidean", ("seaborn",))):
        for peer_kind in peers:
            files = [tmp / f"{peer_kind}-{method}.png", tmp / f"{peer_kind}-{method}.npy"]
            peer = measure(peer_kind, method, metric, x_path, *files)
            ours_files = [tmp / f"gx-{method}.png", tmp / f"gx-{method}.npy"]
            ours = measure("gexclust-twoway", method, metric, x_path, *ours_files)
            agree = "peer failed" if "error" in peer else tree_agreement(
                np.load(ours_files[1]), np.load(files[1]))
            label = "seaborn.clustermap" + (" (scipy linkage)" if peer_kind == "seaborn-scipy"
                                            else " (+fastcluster)")
            rows.append(ratio_row(f"two-way {method}/{metric}, all 22,283 genes", label, peer,
                                  ours, "gene tree: " + agree))
            notes.append(twoway_note(f"{method}/{metric}", label, peer, ours))
    notes.append("Two-way: seaborn.clustermap(z_score=1) vs gx.pp.scale + tl.hclust on samples "
                 "and genes + pl.clustermap(gene_key=...), both writing a 120-dpi PNG; each "
                 "side's libraries (matplotlib included) are imported before the clock "
                 "starts, and gexclust's numba kernels loaded from their cache (one "
                 "call on 50 rows), as fastcluster's compiled code is at its import. seaborn "
                 "uses fastcluster when it is installed (as it is with gexclust) and scipy "
                 "otherwise; its dendrogram needs sys.setrecursionlimit raised for 22,283 "
                 "leaves (it fails with RecursionError otherwise).")


def twoway_note(what: str, label: str, peer: dict, ours: dict) -> str:
    """The note of a two-way row: the memory each call adds, and why process peaks are close."""
    added = [r["peak_mb"] - r.get("start_mb", float("nan")) for r in (peer, ours)]
    note = (f"two-way {what} against {label}, memory the call adds "
            f"(peak above the resident set when its clock starts): peer "
            f"{added[0]:.0f} MB, gexclust {added[1]:.0f} MB, {fmt_ratio(*added)} less")
    if ours["peak_mb"] > peer["peak_mb"] / 2:
        note += (f". Process peaks {peer['peak_mb']:.0f} / {ours['peak_mb']:.0f} MB "
                 f"({fmt_ratio(peer['peak_mb'], ours['peak_mb'])}): before the clock "
                 f"seaborn's process holds {peer['start_mb']:.0f} MB (its libraries "
                 f"and the data), gexclust's {ours['start_mb']:.0f} MB (anndata, numba "
                 f"and its loaded kernels besides)")
        if ours["start_mb"] > peer["peak_mb"] / 2:  # what the clause says, not the peak
            note += ", more than half of seaborn's peak before either has done anything"
    return note


def bench_search_dtype(tmp: Path, rows: list, notes: list) -> None:
    import numpy as np

    import gexclust as gx

    x_path = tmp / "gse9476.npy"
    np.save(x_path, np.asarray(gx.datasets.gse9476_example().X))
    print("gene tree, float64 vs float32 search", flush=True)
    measure("warm")
    f64 = measure("gene-tree", "float64", x_path, tmp / "f64.npy")
    f32 = measure("gene-tree", "float32", x_path, tmp / "f32.npy")
    rows.append(ratio_row("gene tree average/correlation, 22,283 genes: float32 search",
                          "same engine, float64 search", f64, f32,
                          tree_agreement(np.load(tmp / "f32.npy"), np.load(tmp / "f64.npy")),
                          ours_name="float32 search"))
    notes.append("float32 search: the blocked products run in float32 and every candidate "
                 "within their rounding bound is recomputed in float64, so the tree is the "
                 "same; the row shows what float32 buys in time.")


def bench_large_n(tmp: Path, rows: list, notes: list, sizes, fastcluster_max: int) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    centres = rng.normal(scale=3.0, size=(30, 50))
    measure("warm")  # numba compiles once per install; not part of any timing
    for n in sizes:
        print(f"ward, {n:,} x 50", flush=True)
        x_path = tmp / f"blobs{n}.npy"
        np.save(x_path, centres[rng.integers(0, 30, n)] + rng.normal(size=(n, 50)))
        ours = measure("gexclust", "ward", x_path, tmp / f"gx{n}.npy")
        Z_ours = np.load(tmp / f"gx{n}.npy") if "error" not in ours else None
        if n <= fastcluster_max:
            fc = measure("fastcluster", "ward", x_path, tmp / f"fc{n}.npy")
            rows.append(ratio_row(f"ward {n:,} x 50", "fastcluster.linkage_vector", fc, ours,
                                  tree_agreement(Z_ours, np.load(tmp / f"fc{n}.npy"))))
        else:
            ref = {"seconds": FASTCLUSTER_100K_REFERENCE_S, "peak_mb": float("nan")}
            rows.append(ratio_row(f"ward {n:,} x 50", "fastcluster.linkage_vector "
                                  "(REFERENCE.md, not rerun)", ref, ours, "not compared"))
        if n * (n - 1) * 8 < 6e9:  # scipy holds the n^2/2 matrix (and a copy)
            sp = measure("scipy", "ward", x_path, tmp / f"sp{n}.npy")
            rows.append(ratio_row(f"ward {n:,} x 50", "scipy linkage", sp, ours,
                                  tree_agreement(Z_ours, np.load(tmp / f"sp{n}.npy"))))
        else:
            notes.append(f"scipy at {n:,}: not run, its distance matrix alone is "
                         f"{n * (n - 1) / 2 * 8 / 1e9:,.0f} GB.")
        if "cut_seconds" in ours:
            notes.append(f"On the {n:,}-leaf tree: tl.cut(n_clusters=10) "
                         f"{ours['cut_seconds']:.2f} s, pl.dendrogram (truncated to the top 50 "
                         f"clusters, PNG) {ours['dendrogram_seconds']:.2f} s.")


def bench_run(tmp: Path, rows: list) -> None:
    import numpy as np
    import pandas as pd
    from scipy.cluster.hierarchy import fcluster, linkage
    from sklearn.metrics import adjusted_rand_score

    import gexclust as gx
    from gexclust.io import write_cumida

    example = gx.datasets.gse9476_example()
    csv = tmp / "Leukemia_GSE9476.csv"
    write_cumida(example, csv)
    print("original script vs gexclust run", flush=True)
    times = {"orig": [], "gx": []}
    for i in range(3):
        for kind, cmd in (("orig", [HERE / "original_script.py", csv, tmp / f"o{i}"]),
                          ("gx", ["-m", "gexclust.cli", "run", csv, "-o", tmp / f"g{i}",
                                  "--quiet"])):
            (tmp / f"o{i}").mkdir(exist_ok=True)
            times[kind].append(timed_process([sys.executable, *map(str, cmd)]))
    peer = {"seconds": statistics.median(t for t, _ in times["orig"]),
            "peak_mb": max(m for _, m in times["orig"])}
    ours = {"seconds": statistics.median(t for t, _ in times["gx"]),
            "peak_mb": max(m for _, m in times["gx"])}
    # agreement: the script's own clustering (ward on standardised genes, 4 clusters) vs ours
    X = example.X
    scaled = (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1)
    script = fcluster(linkage(scaled, "ward"), 4, "maxclust")
    ours_clusters = pd.read_csv(tmp / "g0" / "clusters.csv")["cluster"]
    truth = example.obs["type"].to_numpy()
    agreement = (f"ARI vs the 5 known types: script {adjusted_rand_score(truth, script):.2f}, "
                 f"gexclust {adjusted_rand_score(truth, ours_clusters):.2f}")
    rows.append(ratio_row("end to end, 64 x 22,283 CSV", "original script (3 runs)", peer,
                          ours, agreement, ours_name="gexclust run"))


#: Runs a command and reports its wall time and peak memory. A small process of its own, so
#: the command's ru_maxrss starts from this launcher's few MB, not from the big parent's RSS
#: (Linux carries the pre-exec high-water mark of a forked child into ru_maxrss).
LAUNCHER = r"""
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(json.dumps({"seconds": time.perf_counter() - start, "status": status,
                  "peak_mb": usage.ru_maxrss / 1024}))
"""


def timed_process(cmd: list[str]) -> tuple[float, float]:
    """Wall time and peak memory (ru_maxrss, via a small launcher) of one command."""
    done = subprocess.run([sys.executable, "-c", LAUNCHER, *map(str, cmd)], check=True,
                          capture_output=True, text=True, env={**os.environ, **ONE_THREAD})
    result = json.loads(done.stdout)
    if result["status"] != 0:
        msg = f"{cmd} failed ({result['status']})"
        raise RuntimeError(msg)
    return result["seconds"], result["peak_mb"]


def bench_geo(rows: list) -> None:
    sys.path.insert(0, str(HERE))
    import gzip

    import bench_geo

    import gexclust as gx

    print("GEOparse vs read_soft", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        soft = Path(tmp) / "GSE9476_family.soft.gz"
        text = bench_geo.family_soft_with_real_platform(gx.datasets.gse9476_example())
        soft.write_bytes(gzip.compress(text.encode(), 6))
        peer, ours = [], []
        for _ in range(3):
            peer.append(bench_geo.run("geoparse", soft))
            ours.append(bench_geo.run("soft", soft))
    med = [{"seconds": statistics.median(r["seconds"] for r in runs),
            "peak_mb": max(r["peak_mb"] for r in runs), "shape": runs[0]["shape"]}
           for runs in (peer, ours)]
    same = med[0]["shape"] == med[1]["shape"]
    rows.append(ratio_row("GSE9476-sized family SOFT (parse only, memory above imports)",
                          "GEOparse get_GEO + pivot_samples", med[0], med[1],
                          f"same shape {med[1]['shape']}" if same else
                          f"shapes differ: {med[0]['shape']} vs {med[1]['shape']}",
                          ours_name="io.read_soft"))


PVCLUST_FIXTURE = HERE.parent / "tests" / "tl" / "data" / "pvclust_lung.csv"


def bench_pvclust(tmp: Path, rows: list, notes: list, n_boot: int) -> None:
    sys.path.insert(0, str(HERE))
    from bench_support import LUNG, r_available

    if not LUNG.exists() or not r_available("pvclust"):
        why = f"{LUNG} is missing" if not LUNG.exists() else "R with pvclust is not installed"
        notes.append(f"pvclust vs gexclust bootstrap: not run ({why}).")
        return
    print(f"pvclust vs tl.bootstrap, {n_boot} replicates x 10 scales", flush=True)
    support_path = tmp / "support.npz"
    ours = measure("bootstrap", n_boot, support_path)
    peer = measure("pvclust", n_boot)
    rows.append(ratio_row(f"bootstrap AU/BP, pvclust's lung (73 x 250), {n_boot:,} replicates "
                          "x 10 scales, one core", "pvclust(parallel=FALSE)", peer, ours,
                          au_agreement(support_path), ours_name="tl.bootstrap"))
    notes.append("Bootstrap agreement is with the AU values pvclust gave on the same data "
                 "(1,000 replicates, tests/tl/data/pvclust_lung.csv, made by the R script "
                 "beside it): both are Monte Carlo estimates, so they agree up to their "
                 "standard errors (z = difference / combined SE).")


def au_agreement(support_path: Path) -> str:
    """Each pvclust node's AU against ours, matched by its members, in standard errors."""
    import numpy as np
    import pandas as pd

    from gexclust.tl._bootstrap_kernel import leaf_hashes, node_hashes

    fixture = pd.read_csv(PVCLUST_FIXTURE)
    ours = np.load(support_path, allow_pickle=True)
    leaf = dict(zip(ours["names"], leaf_hashes(len(ours["names"])), strict=True))
    row_of = {code: i for i, code in enumerate(node_hashes(ours["linkage"], tuple(leaf.values())))}
    # a node's code is the sum of its members' codes (mod 2^64), as tl.bootstrap matches nodes
    rows = np.array([row_of.get(sum(leaf[name] for name in text.split(";")) % 2**64, -1)
                     for text in fixture["members"]])
    if (rows < 0).any():
        return f"{int((rows < 0).sum())} pvclust nodes are not in our tree"
    se = np.hypot(ours["se_au"][rows], fixture["se.au"].to_numpy())
    diff = ours["au"][rows] - fixture["au"].to_numpy()
    z = np.abs(diff[se > 0] / se[se > 0])
    return (f"same tree ({len(rows)} nodes); AU within {np.abs(diff).max():.3f}, "
            f"|z| <= 2 at {int((z <= 2).sum())} of {len(z)} fitted nodes, max {z.max():.1f}")


def bench_startup(rows: list, notes: list) -> None:
    print("import gexclust, gexclust --help", flush=True)
    bare = [timed_process([sys.executable, "-c", "pass"]) for _ in range(5)]
    imports = [timed_process([sys.executable, "-c", "import gexclust"]) for _ in range(5)]
    helps = [timed_process([sys.executable, "-m", "gexclust.cli", "--help"]) for _ in range(5)]
    python = {"seconds": median_s(bare), "peak_mb": max(m for _, m in bare)}
    for name, runs in (("`import gexclust`", imports), ("`gexclust --help`", helps)):
        ours = {"seconds": median_s(runs), "peak_mb": max(m for _, m in runs)}
        rows.append(ratio_row(f"start-up: {name} (median of 5 fresh processes)",
                              "python alone (`python -c pass`)", python, ours,
                              "n/a (slowdown shown as a ratio < 1)", ours_name=name))
    notes.append("Start-up rows compare with a bare Python start: the ratio is how many times "
                 "slower than doing nothing, the absolute times are what matter (targets: "
                 "well under 0.5 s).")


def median_s(runs) -> float:
    return statistics.median(t for t, _ in runs)


# ---------------------------------------------------------------------------------------------
# report


def machine() -> list[str]:
    import numpy as np
    import scipy

    cpu = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpu
                  if line.startswith("model name")), platform.processor())
    meminfo = Path("/proc/meminfo").read_text().splitlines()
    mem = int(next(line.split()[1] for line in meminfo if line.startswith("MemTotal"))) / 2**20
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "scipy": scipy.__version__}
    for name in ("fastcluster", "seaborn", "numba", "GEOparse"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:  # a missing peer is reported, not fatal
            versions[name] = "missing"
    return [f"{model}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.platform()}",
            ", ".join(f"{k} {v}" for k, v in versions.items()),
            "BLAS on one thread in every child (OPENBLAS_NUM_THREADS=1)"]


def fmt_ratio(a: float, b: float) -> str:
    if a != a or b != b or b == 0:
        return "-"
    # two decimals near the targets (2x, half the memory): 1.95 is not "2.0x"
    return f"{a / b:.2f}x" if a / b < 3 else f"{a / b:.1f}x"


def write_results(rows, notes, loads, path: Path) -> None:
    lines = ["# Benchmark results", "",
             f"Written by `python benchmarks/run.py` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",  # noqa: E501
             "", "## Machine", ""]
    lines += [f"- {line}" for line in machine()]
    lines += [f"- load average (1 min) at start {loads[0]:.1f}, at end {loads[1]:.1f}: the "
              "machine is shared, so times are noisy; peer and gexclust ran alternately and "
              "the ratios are what counts", "",
              "## Comparisons", "",
              "| comparison | peer | gexclust | peer time | gexclust time | speed-up | "
              "peer peak | gexclust peak | memory peer/ours | agreement |",
              "|---|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['peer']} | {r['ours']} | {r['peer_s']:.2f} s | "
            f"{r['ours_s']:.2f} s | {fmt_ratio(r['peer_s'], r['ours_s'])} | "
            f"{r['peer_mb']:.0f} MB | {r['ours_mb']:.0f} MB | "
            f"{fmt_ratio(r['peer_mb'], r['ours_mb'])} | {r['agreement']} |")
    lines += ["", "Peak memory is the process's peak resident set (VmHWM / ru_maxrss), imports "
              "included, unless the row says otherwise.", "", "## Notes", ""]
    lines += [f"- {note}" for note in notes]
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")
    update_readme(lines)


README_START = "<!-- benchmarks/RESULTS.md: start -->"
README_END = "<!-- benchmarks/RESULTS.md: end -->"


def update_readme(lines: list[str]) -> None:
    """Copy the machine and the table into the README, between its two marker comments."""
    readme = HERE.parent / "README.md"
    text = readme.read_text()
    if README_START not in text or README_END not in text:
        return
    body = lines[lines.index("## Machine") + 2 :]
    body = [line.replace("## ", "#### ", 1) if line.startswith("## ") else line
            for line in body]
    head, rest = text.split(README_START, 1)
    tail = rest.split(README_END, 1)[1]
    new = head + README_START + "\n" + "\n".join(body) + "\n" + README_END + tail
    tmp = readme.with_suffix(".md.tmp")
    tmp.write_text(new)
    tmp.replace(readme)
    print(f"updated {readme}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5000, 20000, 50000, 100000])
    parser.add_argument("--fastcluster-max", type=int, default=50000,
                        help="largest n at which fastcluster is rerun (default 50,000)")
    parser.add_argument("--n-boot", type=int, default=1000,
                        help="bootstrap replicates per scale for pvclust (default 1,000)")
    parser.add_argument("--only", nargs="+", default=None,
                        choices=SECTIONS)
    parser.add_argument("--merge", action="store_true",
                        help="keep the other rows of the last results (RESULTS.json)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1:])))
        return
    todo = args.only or SECTIONS
    rows: list = []
    notes: list = []
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if "run" in todo:
            bench_run(tmp, rows)
        if "twoway" in todo:
            bench_twoway(tmp, rows, notes)
        if "dtype" in todo:
            bench_search_dtype(tmp, rows, notes)
        if "large" in todo:
            bench_large_n(tmp, rows, notes, args.sizes, args.fastcluster_max)
    if "geo" in todo:
        bench_geo(rows)
    if "pvclust" in todo:
        with tempfile.TemporaryDirectory() as tmp:
            bench_pvclust(Path(tmp), rows, notes, args.n_boot)
    if "startup" in todo:
        bench_startup(rows, notes)
    loads.append(os.getloadavg()[0])
    stored = args.out.with_suffix(".json")
    if args.merge and stored.exists():
        rows, notes, loads = merged(json.loads(stored.read_text()), rows, notes, loads)
    stored.write_text(json.dumps({"rows": rows, "notes": notes, "loads": loads}, indent=1))
    write_results(rows, notes, loads, args.out)


def merged(old: dict, rows: list, notes: list, loads: list):
    """The last results with the rows (same comparison and peer) and notes measured now."""
    fresh = {(r["name"], r["peer"]) for r in rows}
    kept = [r for r in old["rows"] if (r["name"], r["peer"]) not in fresh]
    # a note's text up to its first ', ' or ': ' names what it measured ('scipy at 50,000',
    # 'On the 100,000-leaf tree'): new ones replace the old, in their place. Up to the first
    # comma alone cut numbers at their digit groups ('On the 100' for 100,000 and 100,500)
    by_key: dict[str, list[str]] = {}
    for note in notes:
        by_key.setdefault(_note_key(note), []).append(note)
    kept_notes, placed = [], set()
    for note in old["notes"]:
        key = _note_key(note)
        if key not in by_key:
            kept_notes.append(note)
        elif key not in placed:
            kept_notes += by_key[key]
            placed.add(key)
    kept_notes += [note for note in notes if _note_key(note) not in placed]
    old_loads = old.get("loads", loads)
    return kept + rows, kept_notes, \
        [min(old_loads[0], loads[0]), max(old_loads[1], loads[1])]


def _note_key(note: str) -> str:
    """What a note is about: its text up to the first ', ' or ': ' (see :func:`merged`)."""
    import re

    return re.split(r"[,:] ", note, maxsplit=1)[0]


if __name__ == "__main__":
    main()
