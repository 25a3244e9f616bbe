"""``gexclust run``: read, cluster, write tables and figures into a fresh folder."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from .cli import Progress

VERSIONED = ("anndata", "numpy", "scipy", "pandas", "matplotlib", "h5py")


def run_command(args) -> int:
    """Execute ``gexclust run`` for parsed ``args``; returns the exit code."""
    from ._outdir import check_outdir
    from ._pipeline import RunConfig, cluster_samples  # light: heavy imports are deferred
    from ._render import Helper

    if args.recipe == "seed" and (args.n_top_genes is not None or args.all_genes):
        msg = "--recipe seed always uses all probes; drop --n-top-genes/--all-genes"
        raise ValueError(msg)
    if args.n_top_genes is not None and args.n_top_genes < 1:
        msg = f"--n-top-genes must be a positive integer, got {args.n_top_genes}"
        raise ValueError(msg)
    check_outdir(Path(args.outdir), force=args.force)  # fail before the expensive work
    from .tl._methods import check_method_metric

    check_method_metric(args.method, args.metric)
    config = RunConfig(recipe=args.recipe, n_clusters=args.n_clusters, method=args.method,
                       metric=args.metric, n_top_genes=_n_top(args))
    progress = Progress(4, quiet=args.quiet)
    progress(f"reading {args.input or 'built-in example (simulated GSE9476)'}")
    with Helper() as helper:
        # the helper parses a CSV and warms up matplotlib while this process imports AnnData
        parsed = helper.parse_cumida(args.input) if _input_kind(args.input) == "cumida" else None
        helper.warm_up()
        adata, source = _load(args, parsed)
        n_probes = adata.n_vars
        progress(f"clustering {adata.n_obs} samples x {n_probes} probes ({config.recipe} recipe)")
        cluster_samples(adata, config)
        progress(f"writing tables and figures to {args.outdir}")
        summary = _summary(adata, config, source, n_probes)
        _write_outputs(adata, summary, Path(args.outdir), helper, force=args.force)
    progress("done", final=True)  # the outputs are in place: the run has succeeded
    if not args.quiet:
        print(format_summary(adata, summary))
    return 0


def _input_kind(source: str | None) -> str:
    """How ``gexclust run`` reads INPUT: example, geo, series_matrix, soft or cumida."""
    if source is None:
        return "example"
    from .io._geo_layout import ACCESSION

    name = Path(source).name.lower()
    if ACCESSION.fullmatch(source):
        return "geo"
    if "series_matrix" in name:
        return "series_matrix"
    return "soft" if ".soft" in name else "cumida"


def _n_top(args) -> int | None:
    from ._pipeline import DEFAULT_N_TOP

    if args.recipe == "seed" or args.all_genes:
        return None
    return args.n_top_genes if args.n_top_genes is not None else DEFAULT_N_TOP


def _load(args, parsed=None):
    """The AnnData to cluster and a description of its source; ``parsed()`` gives a parsed CSV."""
    kind = _input_kind(args.input)
    if kind == "cumida":
        from .io._cumida import cumida_to_anndata

        adata = cumida_to_anndata(parsed(), missing=args.missing)
        return adata, {"path": str(args.input), "sha256": adata.uns["source"]["sha256"],
                       "sha256_of": "input file", "simulated": False}
    if kind == "example":
        from .datasets import gse9476_example

        adata = gse9476_example()
        digest = hashlib.sha256(adata.X.tobytes()).hexdigest()
        source = {"path": "built-in example (gexclust.datasets.gse9476_example)",
                  "sha256": digest, "sha256_of": "generated float64 matrix", "simulated": True,
                  "note": adata.uns["simulated"]["note"]}
        return adata, source
    from . import io
    from ._files import sha256_file

    if kind == "geo":
        adata = io.read_geo(args.input, platform=args.platform, source=args.source,
                            cache_dir=args.cache_dir, offline=args.offline,
                            type_from=args.type_from, missing=args.missing)
        path = adata.uns["geo"]["source"]
        return adata, {"path": path, "accession": args.input, "sha256": sha256_file(path),
                       "sha256_of": "cached GEO file", "simulated": False}
    if kind == "series_matrix":
        adata = io.read_series_matrix(args.input, type_from=args.type_from, missing=args.missing)
    else:
        adata = io.read_soft(args.input, platform=args.platform, type_from=args.type_from,
                             missing=args.missing)
    return adata, {"path": str(args.input), "sha256": sha256_file(args.input),
                   "sha256_of": "input file", "simulated": False}


def fetch_command(args) -> int:
    """Execute ``gexclust fetch``: download into the cache and list the cached files."""
    from ._files import sha256_file
    from .io import fetch_geo

    files = fetch_geo(args.accession, source=args.source, platform=args.platform,
                      annotate=not args.no_annotation, cache_dir=args.cache_dir,
                      offline=args.offline)
    print(f"{args.accession}: cached")
    for kind, paths in files.items():
        for path in paths:
            size = Path(path).stat().st_size
            print(f"  {kind:6s} {size / 1e6:8.2f} MB  sha256 {sha256_file(path)[:16]}  {path}")
    return 0


def _summary(adata, config, source, n_probes: int) -> dict:
    from importlib.metadata import version

    from . import __version__

    comparison = adata.uns.get("compare_type_cluster")
    sizes = adata.obs["cluster"].value_counts(sort=False)
    return {
        "gexclust_version": __version__,
        "command": " ".join(["gexclust", *sys.argv[1:]]) if sys.argv else "gexclust",
        "input": source,
        "parameters": config.as_dict(),
        "n_samples": int(adata.n_obs),
        "n_probes": int(n_probes),
        "n_genes_clustered": int(adata.n_vars),
        "cluster_sizes": {str(k): int(v) for k, v in sizes.items()},
        "cophenetic_correlation": adata.uns["hclust"]["cophenetic_correlation"],
        "ari_vs_type": None if comparison is None else comparison["ari"],
        "nmi_vs_type": None if comparison is None else comparison["nmi"],
        "purity_vs_type": None if comparison is None else comparison["purity"],
        "versions": {name: version(name) for name in VERSIONED},
    }


def _write_outputs(adata, summary: dict, outdir: Path, helper, *, force: bool) -> None:
    from ._interrupt import check as check_interrupted
    from ._outdir import staged_outdir
    from ._render import figure_specs

    with staged_outdir(outdir, force=force) as stage:
        helper.draw(figure_specs(adata), stage)
        try:
            _write_tables(adata, stage)  # while the helper draws
            helper.wait()
            check_interrupted()  # last chance before the outputs are put in place
        except BaseException:
            helper.settle()  # nothing may write into the stage once it is being removed
            raise
        summary["outputs"] = sorted([*(p.name for p in stage.iterdir()), "summary.json"])
        (stage / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")


def _write_tables(adata, stage: Path) -> None:
    import numpy as np
    import pandas as pd

    adata.write_h5ad(stage / "adata.h5ad")
    clusters = pd.DataFrame({"sample": adata.obs_names,
                             "type": adata.obs.get("type", ""),
                             "cluster": adata.obs["cluster"]})
    clusters.to_csv(stage / "clusters.csv", index=False)
    Z = np.asarray(adata.uns["hclust"]["linkage"])
    linkage = pd.DataFrame(Z, columns=["left", "right", "height", "n_leaves"])
    linkage = linkage.astype({"left": int, "right": int, "n_leaves": int})
    linkage.to_csv(stage / "linkage.csv", index=False, float_format="%.10g")


def format_summary(adata, summary: dict) -> str:
    """A short plain-text table: cluster sizes by type, and agreement scores."""
    import pandas as pd

    lines = []
    if summary["input"].get("simulated"):
        lines.append("NOTE: built-in example, the expression values are SIMULATED.")
    p = summary["parameters"]
    genes = "all" if p["n_top_genes"] is None else f"top {summary['n_genes_clustered']} variable"
    lines.append(f"{summary['n_samples']} samples, {genes} of {summary['n_probes']} probes; "
                 f"{p['method']}/{p['metric']}, {p['recipe']} recipe")
    if "type" in adata.obs:
        table = pd.crosstab(adata.obs["cluster"], adata.obs["type"])
        table["total"] = table.sum(axis=1)
        lines.append(table.to_string())
        lines.append(
            f"ARI vs type: {summary['ari_vs_type']:.3f}   NMI: {summary['nmi_vs_type']:.3f}"
            f"   purity: {summary['purity_vs_type']:.3f}"
        )
    lines.append(f"cophenetic correlation: {summary['cophenetic_correlation']:.3f}")
    return "\n".join(lines)
