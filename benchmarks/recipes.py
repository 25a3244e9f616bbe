"""Which recipe finds the known classes of real, labelled expression sets?

Scores a grid of clustering recipes on the labelled panel in ../shared/data (see its README):

- Golub 1999 leukaemia (ALL/AML, k=2), ``real/golub_multtest.csv.gz``;
- Dyrskjot 2004 bladder (Normal/Biopsy/Cancer, k=3), ``real/bladder_cancer.csv.gz``; the ARI
  against the processing ``batch`` of ``real/bladder_truth.tsv`` is printed as well, so that a
  recipe that clusters by batch shows up as such;
- Garber 2001 lung (k=4), ``real/lung_pvclust.csv.gz``, read with ``missing='impute'`` (the
  same path as ``gexclust run --missing impute``). Only the 61 samples of the four main classes
  (Adeno, SCC, SCLC, normal) are clustered and scored; the other 12 (node, LCLC, fetal,
  combined) are left out because they have no class of their own at k=4;
- GSE781 kidney, normal vs clear-cell RCC (k=2), on GPL96 and on GPL97, from
  ``GSE781_family.soft.gz``, labels from ``source_name`` (not from the titles: the titles of N2,
  N3 and N4 wrongly say "Renal Clear Cell Carcinoma").

Every set goes through gexclust's own readers and ``pp.log2(auto=True)`` (the MAS 5.0 GSE781
values are logged; the others are already on a log or ratio scale). The grid:

- gene selection: variance or MAD, top 500, 1000, 2000, 5000 or all genes;
- scaling: z-score per gene or centring only;
- linkage: ward on euclidean distance, average or complete on correlation (1 - Pearson);
- space: the selected genes, or their top 10 principal components.

For each recipe it prints ARI and NMI at the true number of classes, per set, with the mean and
the worst set, sorted by mean ARI; then, for the candidate recipes, the ARI at the k chosen by
``gexclust.tl.choose_k``. Usage: ``python benchmarks/recipes.py [--top 25] [--auto 8]``
(``--auto 0`` skips the auto k).
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SIZES = (500, 1000, 2000, 5000, None)
LINKAGES = {"ward": ("ward", "euclidean"), "average": ("average", "correlation"),
            "complete": ("complete", "correlation")}
N_PCS = 10



@dataclass
class PanelSet:
    name: str
    adata: object  # AnnData, log2 applied, values before selection/scaling
    truth: np.ndarray  # known class of each sample
    k: int
    extra: dict = field(default_factory=dict)  # other labellings to report (bladder batch)
    ranks: dict = field(default_factory=dict)  # flavor -> gene order, most variable first


@dataclass(frozen=True)
class Recipe:
    flavor: str = "variance"
    n_top: int | None = 2000
    scaling: str = "zscore"
    linkage: str = "ward"
    space: str = "genes"

    def label(self) -> str:
        genes = "all" if self.n_top is None else f"{self.flavor} {self.n_top}"
        if self.n_top is None:
            genes = "all genes"
        space = f", {N_PCS} PCs" if self.space == "pcs" else ""
        method, metric = LINKAGES[self.linkage]
        return f"{genes}, {self.scaling}, {method}/{metric}{space}"


TODAY = Recipe("variance", 2000, "zscore", "ward", "genes")


def default_recipe() -> Recipe:
    """gexclust's default recipe (``RunConfig()``) as a point of the grid."""
    from gexclust._pipeline import RunConfig

    c = RunConfig()
    linkage = next(name for name, pair in LINKAGES.items() if pair == (c.method, c.metric))
    return Recipe(c.flavor, c.n_top_genes, c.scaling, linkage, "genes")


def load_panel(data: Path = DATA) -> list[PanelSet]:
    """The labelled panel, read with gexclust's readers (each file parsed once)."""
    import gexclust as gx

    sets = []
    golub = gx.io.read_cumida(data / "real" / "golub_multtest.csv.gz")
    sets.append(PanelSet("Golub", golub, golub.obs["type"].to_numpy(str), 2))
    bladder = gx.io.read_cumida(data / "real" / "bladder_cancer.csv.gz")
    truth = _read_tsv(data / "real" / "bladder_truth.tsv")
    batch = np.array([truth[s]["batch"] for s in bladder.obs_names])
    sets.append(PanelSet("bladder", bladder, bladder.obs["type"].to_numpy(str), 3,
                         extra={"batch": batch}))
    lung = gx.io.read_cumida(data / "real" / "lung_pvclust.csv.gz", missing="impute")
    lung = lung[lung.obs["type"].isin(["Adeno", "SCC", "SCLC", "normal"])].copy()
    sets.append(PanelSet("lung", lung, lung.obs["type"].to_numpy(str), 4))
    gse781 = gx.io.read_soft(data / "GSE781_family.soft.gz", platform="all",
                             type_from="source_name")
    for gpl in ("GPL96", "GPL97"):
        adata = gse781[gpl]
        sets.append(PanelSet(f"GSE781 {gpl}", adata, adata.obs["type"].to_numpy(str), 2))
    for s in sets:
        gx.pp.log2(s.adata, auto=True)
        s.adata.X = np.asarray(s.adata.X, dtype=np.float64)
    return sets


def _read_tsv(path: Path) -> dict[str, dict[str, str]]:
    lines = path.read_text().splitlines()
    header = lines[0].split("\t")
    rows = [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:] if line]
    key = header[0]
    return {row[key]: row for row in rows}


def features(s: PanelSet, recipe: Recipe) -> np.ndarray:
    """The matrix the recipe clusters (samples x features)."""
    X = s.adata.X
    if recipe.n_top is not None:
        if recipe.flavor not in s.ranks:
            s.ranks[recipe.flavor] = _rank(X, recipe.flavor)
        X = X[:, np.sort(s.ranks[recipe.flavor][: recipe.n_top])]
    X = X - X.mean(axis=0)
    if recipe.scaling == "zscore":
        std = X.std(axis=0, ddof=1)
        X = X / np.where(std > 0, std, 1.0)
    if recipe.space == "pcs":
        X = top_pcs(X, N_PCS)
    return X


def top_pcs(X: np.ndarray, n: int) -> np.ndarray:
    """Scores of the top ``n`` principal components of centred ``X`` (via the n x n Gram)."""
    values, vectors = np.linalg.eigh(X @ X.T)
    order = np.argsort(values)[::-1][:n]
    return vectors[:, order] * np.sqrt(np.maximum(values[order], 0.0))


def _rank(X: np.ndarray, flavor: str) -> np.ndarray:
    if flavor == "variance":
        score = X.var(axis=0, ddof=1)
    else:
        score = np.median(np.abs(X - np.median(X, axis=0)), axis=0)
    return np.argsort(-score, kind="stable")


def tree(X: np.ndarray, linkage: str) -> np.ndarray:
    method, metric = LINKAGES[linkage]
    return hierarchy.linkage(pdist(X, metric=metric), method=method)


def scores(truth: np.ndarray, clusters: np.ndarray) -> tuple[float, float]:
    import pandas as pd

    from gexclust.tl._compare import adjusted_rand_index, normalized_mutual_info

    counts = pd.crosstab(np.asarray(truth), np.asarray(clusters)).to_numpy()
    return adjusted_rand_index(counts), normalized_mutual_info(counts)


def grid() -> list[Recipe]:
    recipes = []
    for flavor, n_top, scaling, linkage, space in itertools.product(
        ("variance", "mad"), SIZES, ("zscore", "center"), LINKAGES, ("genes", "pcs")
    ):
        if n_top is None and flavor == "mad":
            continue  # "all genes" does not depend on the flavor
        recipes.append(Recipe(flavor, n_top, scaling, linkage, space))
    return recipes


def score_grid(panel: list[PanelSet], recipes: list[Recipe]) -> dict:
    results = {}
    for recipe in recipes:
        row = {}
        for s in panel:
            Z = tree(features(s, recipe), recipe.linkage)
            clusters = hierarchy.fcluster(Z, s.k, criterion="maxclust")
            ari, nmi = scores(s.truth, clusters)
            row[s.name] = (ari, nmi)
            for name, labels in s.extra.items():
                row[f"{s.name} vs {name}"] = (scores(labels, clusters)[0], np.nan)
        results[recipe] = row
    return results


def auto_k(panel: list[PanelSet], recipe: Recipe, *, n_refs: int = 20) -> dict:
    """k chosen by each ``choose_k`` criterion on each set, and the ARI at that k."""
    import anndata as ad

    import gexclust as gx

    method, metric = LINKAGES[recipe.linkage]
    out = {}
    for s in panel:
        adata = ad.AnnData(features(s, recipe))
        gx.tl.hclust(adata, method=method, metric=metric)
        result = gx.tl.choose_k(adata, n_refs=n_refs, inplace=False)
        Z = adata.uns["hclust"]["linkage"]
        row = {"strong": result["strong"], "p": result["p_value"]}
        for criterion, k in result["k_by"].items():
            clusters = hierarchy.fcluster(Z, k, criterion="maxclust")
            row[criterion] = (k, scores(s.truth, clusters)[0])
        out[s.name] = row
    return out


def auto_markdown(panel, rows: dict[Recipe, dict]) -> str:
    names = [s.name for s in panel]
    head = ["recipe", "criterion", *[f"{n} k (ARI)" for n in names], "mean ARI", "worst ARI"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for recipe, row in rows.items():
        for criterion in ("gap", "silhouette", "calinski_harabasz"):
            cells = [f"{row[n][criterion][0]} ({row[n][criterion][1]:.2f})" for n in names]
            aris = [row[n][criterion][1] for n in names]
            lines.append("| " + " | ".join([recipe.label(), criterion, *cells,
                                             f"{np.mean(aris):.2f}", f"{min(aris):.2f}"]) + " |")
    first, row = next(iter(rows.items()))
    strong = ", ".join(f"{n} {'strong' if row[n]['strong'] else 'weak'} (p={row[n]['p']:.2g})"
                       for n in names)
    lines.append(f"\nTest of structure against one cloud of the same covariance "
                 f"({first.label()}): {strong}")
    return "\n".join(lines)


def through_pipeline(panel: list[PanelSet]) -> dict:
    """ARI of gexclust's own default recipe (``cluster_samples``), at the true and the auto k."""
    from gexclust._pipeline import RunConfig, cluster_samples

    out = {}
    for s in panel:
        row = {}
        for k in (s.k, None):
            adata = cluster_samples(s.adata.copy(), RunConfig(n_clusters=k))
            row["true" if k else "auto"] = (adata.uns["run"]["n_clusters_cut"],
                                            scores(s.truth, adata.obs["cluster"].to_numpy())[0])
        out[s.name] = row
    return out


def markdown(panel, results, top: int) -> str:
    names = [s.name for s in panel]
    head = ["recipe", *[f"{n} ARI (NMI)" for n in names], "bladder vs batch", "mean ARI",
            "worst ARI"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    ranked = sorted(results.items(), key=lambda item: -_mean(item[1], names))
    for recipe, row in ranked[:top]:
        cells = [recipe.label(), *[f"{row[n][0]:.2f} ({row[n][1]:.2f})" for n in names],
                 f"{row['bladder vs batch'][0]:.2f}", f"{_mean(row, names):.2f}",
                 f"{min(row[n][0] for n in names):.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _mean(row, names) -> float:
    return float(np.mean([row[n][0] for n in names]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=25, help="rows of the table (best mean)")
    parser.add_argument("--auto", type=int, default=8,
                        help="score the auto k of this many best recipes (0: skip)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    panel = load_panel()
    print(f"panel read in {time.perf_counter() - t0:.1f} s: "
          + ", ".join(f"{s.name} {s.adata.n_obs}x{s.adata.n_vars}" for s in panel))
    recipes = grid()
    results = score_grid(panel, recipes)
    print(f"{len(recipes)} recipes scored in {time.perf_counter() - t0:.1f} s\n")
    print(markdown(panel, results, args.top))
    if args.auto:
        names = [s.name for s in panel]
        ranked = sorted(results, key=lambda r: -_mean(results[r], names))
        good = [r for r in ranked if min(results[r][n][0] for n in names) >= 0.3]
        chosen = default_recipe()
        candidates = list(dict.fromkeys([chosen, *good[: args.auto], TODAY]))
        rows = {r: auto_k(panel, r) for r in candidates}
        print(f"\nARI at the k chosen by choose_k ({time.perf_counter() - t0:.1f} s)\n")
        print(auto_markdown(panel, rows))
    from gexclust._pipeline import RunConfig

    config = RunConfig()
    piped = through_pipeline(panel)
    print(f"\ngexclust's default recipe through cluster_samples ({config.flavor} "
          f"{config.n_top_genes}, {config.scaling}, {config.method}/{config.metric}):")
    for when in ("true", "auto"):
        cells = ", ".join(f"{n} k={piped[n][when][0]} ARI {piped[n][when][1]:.2f}"
                          for n in piped)
        aris = [piped[n][when][1] for n in piped]
        print(f"- at the {when} k: {cells}; mean {np.mean(aris):.2f}, worst {min(aris):.2f}")


if __name__ == "__main__":
    main()
