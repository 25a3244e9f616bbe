"""``gexclust run``: read, cluster, write tables and figures into a fresh folder."""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

from .cli import Progress, say

VERSIONED = ("anndata", "numpy", "scipy", "pandas", "matplotlib", "h5py")
#: Largest --n-top-genes: no data set has more genes, and a number beyond int64 cannot even
#: be stored in adata.h5ad (the run failed with a TypeError when writing it).
MAX_GENES = 2**31 - 1
#: File name (without extension) of the TreeView and Newick exports of the sample tree.
TREE_PREFIX = "tree"


def run_command(args) -> int:
    """Execute ``gexclust run`` for parsed ``args``; returns the exit code."""
    from ._outdir import staged_outdir, writing_outputs
    from ._pipeline import (  # light: heavy imports are deferred
        DEFAULT_FLAVOR,
        RunConfig,
        cluster_samples,
    )
    from ._render import parse_formats

    check_run_options(args)
    formats = parse_formats(args.formats)
    config = RunConfig(recipe=args.recipe, n_clusters=args.n_clusters, method=args.method,
                       metric=args.metric, n_top_genes=_n_top(args),
                       flavor=args.select_by or DEFAULT_FLAVOR, scaling=args.scale or "center")
    progress = Progress(4 if args.consensus is None else 5, quiet=args.quiet)
    # the output folder is checked (permissions, files in the way) before any real work
    with staged_outdir(Path(args.outdir), force=args.force) as stage:
        progress(f"reading {args.input or 'built-in example (simulated GSE9476)'}")
        adata, source = _load_clusterable(args, config.k)
        sheet = _annotate(args, adata)
        check_n_clusters(config.k, adata.n_obs, source=args.input or "the built-in example")
        if args.consensus is not None:  # refused before clustering, not after
            _check_consensus_memory(adata.n_obs)
        n_probes = adata.n_vars
        progress(f"clustering {adata.n_obs} samples x {n_probes} probes ({config.recipe} recipe)")
        cluster_samples(adata, config, progress=not args.quiet)
        if args.consensus is not None:
            progress(f"consensus clustering: {args.consensus} resamples")
            _consensus(adata, config, args.consensus, quiet=args.quiet)
        progress(f"writing tables and figures to {args.outdir}")
        freeze_libraries()
        summary = _summary(adata, config, source, n_probes, argv=getattr(args, "argv", None))
        # null without --annotations, as consensus without --consensus: every key is there
        summary["annotations"] = sheet
        with writing_outputs(stage):
            _write_outputs(adata, summary, stage, formats, report=not args.no_report)
    progress("done", final=True)  # the outputs are in place: the run has succeeded
    if not args.quiet:
        say(format_summary(adata, summary))
    return 0


def check_run_options(args) -> None:
    """Refuse option values ``run`` cannot honour, before any file is read."""
    from ._defaults import MAX_RESAMPLES
    from .tl._methods import check_method_metric

    if args.recipe == "seed" and (args.n_top_genes is not None or args.all_genes):
        msg = "--recipe seed always uses all probes; drop --n-top-genes/--all-genes"
        raise ValueError(msg)
    if args.recipe == "seed" and (args.select_by is not None or args.scale is not None):
        msg = "--recipe seed always z-scores every probe; drop --select-by/--scale"
        raise ValueError(msg)
    if args.all_genes and args.select_by is not None:  # it ranks genes only to keep the top
        msg = (f"--select-by {args.select_by} ranks genes for --n-top-genes; --all-genes keeps "
               "every gene, so drop one of them")
        raise ValueError(msg)
    if args.n_top_genes is not None and not 1 <= args.n_top_genes <= MAX_GENES:
        msg = (f"--n-top-genes must be a positive integer (at most {MAX_GENES:,}, or "
               f"--all-genes), got {args.n_top_genes}")
        raise ValueError(msg)
    check_n_clusters(args.n_clusters, None)
    if args.consensus is not None and not 1 <= args.consensus <= MAX_RESAMPLES:
        msg = (f"--consensus must be a number of resamples from 1 to {MAX_RESAMPLES:,} (1,000 "
               f"is ConsensusClusterPlus's usual number), got {args.consensus}")
        raise ValueError(msg)
    if args.platform == "all":
        msg = ("--platform all: run clusters the samples of one platform; run once per "
               "platform, each with --platform GPL... and its own -o OUTDIR")
        raise ValueError(msg)
    if args.platform is not None:  # named as the option, before any file is read
        from .io._geo_fetch import check_platform

        check_platform(args.platform, option="--platform")
    check_method_metric(args.method, args.metric)
    if args.annotations_key is not None and args.annotations is None:
        msg = "--annotations-key names the id column of --annotations SHEET; give the sheet"
        raise ValueError(msg)
    from ._files import check_given, check_text_name
    from .io._geo_layout import ACCESSION

    paths = [("INPUT", args.input), ("-o", args.outdir), ("--annotations", args.annotations)]
    for option, path in paths:
        if path is not None:
            check_given(path, option)
            check_text_name(path, option)
    if args.input is not None and ACCESSION.fullmatch(args.input):
        check_cache(args.cache_dir)
        _refuse_cache_in_outdir(args.cache_dir, args.outdir)
    if args.annotations is not None:  # a wrong path shows now, not after a long read
        from ._files import check_readable

        check_readable(args.annotations)


#: How messages name ``cache_dir`` on the command line.
CACHE_OPTION = "--cache-dir"


def check_cache(cache_dir) -> None:
    r"""Refuse the GEO cache folder up front, named as the user chose it: ``run`` and ``fetch``.

    Its path must be UTF-8 text: ``run`` records the cached file's path in summary.json,
    adata.h5ad and the report. ``fetch`` checks the same, with the same message: it filled
    a cache (``--cache-dir cache\xff``) that ``run`` then refused. A file where the folder
    should be shows now too.
    """
    from ._files import check_text_name
    from .io._geo_fetch import cache_root, cache_setting

    option, folder = cache_setting(cache_dir, option=CACHE_OPTION)
    check_text_name(folder, option)
    cache_root(cache_dir, option=CACHE_OPTION)


def _refuse_cache_in_outdir(cache_dir, outdir) -> None:
    """Refuse a GEO cache folder in (or equal to) OUTDIR, before anything is written.

    OUTDIR may hold only the run's outputs: a cache filled there would pass for the user's
    files, and every later ``--force`` run into OUTDIR would be refused for it. Ignoring it
    instead would tie OUTDIR's rules to the cache; putting it elsewhere is the plain answer.
    """
    from .io._geo_fetch import cache_setting

    setting, folder = cache_setting(cache_dir, option=CACHE_OPTION)
    if folder.resolve().is_relative_to(Path(outdir).resolve()):
        msg = (f"{setting} {folder} is inside -o {outdir}, which may hold only the run's "
               "outputs (a later run with --force would refuse the cache as not its own); "
               "put the cache elsewhere")
        raise ValueError(msg)


def check_n_clusters(n_clusters: int | str | None, n_samples: int | None, *,
                     source: str = "the input") -> None:
    """``--n-clusters`` must be at least 1 and, once the data are read, at most the samples.

    ``'auto'`` (or ``None``, the recipe's default) needs at least 3 samples: it compares cuts
    into 2 to n - 1 clusters. Any k needs 2 samples: one sample makes no tree. ``source``
    names the input in the messages.
    """
    if n_samples is not None and n_samples < 2:
        msg = (f"{source} has {n_samples} sample{'' if n_samples == 1 else 's'}; clustering "
               "needs at least 2")
        raise ValueError(msg)
    if n_clusters is None or n_clusters == "auto":
        if n_samples is not None and n_samples < 3:
            msg = (f"--n-clusters auto needs at least 3 samples to compare cuts, {source} has "
                   f"{n_samples}; give --n-clusters K")
            raise ValueError(msg)
        return
    if n_clusters < 1:
        msg = f"--n-clusters must be at least 1, got {n_clusters}"
        raise ValueError(msg)
    if n_samples is not None and n_clusters > n_samples:
        msg = f"--n-clusters {n_clusters}: {source} has only {n_samples} samples"
        raise ValueError(msg)


def _input_kind(source: str | None) -> str:
    """How ``gexclust run`` reads INPUT: example, geo, series_matrix, soft or cumida."""
    if source is None:
        return "example"
    from .io._geo_layout import ACCESSION

    name = Path(source).name.lower()
    if ACCESSION.fullmatch(source):
        return "geo"
    meant = "".join(source.split()).upper()  # as fetch's _meant: 'GSE 9476', 'GSE9476 '
    if ACCESSION.fullmatch(meant) and not Path(source).exists():
        msg = (f"{source}: no such file; a GEO accession is written in capitals, without "
               f"blanks: {meant}")
        raise ValueError(msg)
    if "://" in source and not Path(source).exists():  # else 'https:/...: no such file'
        from .io._geo_fetch import accession_in_address

        found = accession_in_address(source)
        meant = f" (did you mean its accession, {found}?)" if found else ""
        msg = (f"{source}: an address, not a file; gexclust run reads a local file or fetches "
               f"a GEO accession{meant}")
        raise ValueError(msg)
    if "series_matrix" in name:
        return "series_matrix"
    if ".soft" in name:
        return "soft"
    from .io._geo_text import geo_kind

    return geo_kind(source) or "cumida"


def _n_top(args) -> int | None:
    from ._pipeline import DEFAULT_N_TOP

    if args.recipe == "seed" or args.all_genes:
        return None
    return args.n_top_genes if args.n_top_genes is not None else DEFAULT_N_TOP


def _load_clusterable(args, k):
    """:func:`_load`, refusing a file too small to cluster before its missing values.

    GSE16 (one sample, 3 missing values) was refused for its missing values, and after the
    user passed --missing drop, for its one sample: the first message sent them on a useless
    step. The sample count comes first when it refuses the file anyway.
    """
    from ._errors import MissingValuesError
    from .io._row_counts import refuse_short_tables

    try:
        # a table shorter than its GEO header declares would cluster fewer probes unseen
        with refuse_short_tables():
            return _load(args)
    except MissingValuesError as err:
        check_n_clusters(k, err.n_samples, source=args.input)
        raise


def _load(args):
    """The AnnData to cluster and a description of its source."""
    kind = _input_kind(args.input)
    _refuse_geo_options(args, kind)
    _warn_fetch_options(args, kind)
    if kind == "cumida":
        from .io import read_cumida

        adata = read_cumida(args.input, missing=args.missing)
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
        adata = io.read_geo(args.input, platform=args.platform, source=args.source or "matrix",
                            cache_dir=args.cache_dir, offline=args.offline,
                            type_from=args.type_from, missing=args.missing)
        path = adata.uns["geo"]["source"]
        return adata, {"path": path, "accession": args.input, "sha256": sha256_file(path),
                       "sha256_of": "cached GEO file", "simulated": False}
    if kind == "series_matrix":
        adata = io.read_series_matrix(args.input, type_from=args.type_from, missing=args.missing)
        platform = adata.uns["geo"]["platform"]
        if args.platform is not None and args.platform != platform:
            msg = (f"--platform {args.platform}: {args.input} is a series matrix of "
                   f"{platform or 'an unnamed platform'}; drop --platform or pass that file's "
                   "series of the other platform")
            raise ValueError(msg)
    else:
        adata = io.read_soft(args.input, platform=args.platform, type_from=args.type_from,
                             missing=args.missing)
    return adata, {"path": str(args.input), **_file_digest(args.input), "simulated": False}


def _annotate(args, adata) -> dict | None:
    """Add ``--annotations``' columns to ``.obs``; what summary.json records of the sheet."""
    if args.annotations is None:
        return None
    from .io import annotate_obs
    from .io._annotations import ids_word

    annotate_obs(adata, args.annotations, key=args.annotations_key)
    info = adata.uns["annotations"]
    if not args.quiet:
        print(f"annotations: {args.annotations}: {ids_word(info['matched'])} in column "
              f"{info['key']!r}; added to .obs: {', '.join(info['columns']) or 'nothing'}",
              file=sys.stderr)
    return {"path": str(args.annotations), "sha256": info["sha256"],
            "sha256_of": "annotations file", "key": info["key"], "matched": info["matched"],
            "columns": list(info["columns"])}


def _file_digest(path) -> dict:
    """The input file's sha256 for summary.json; a pipe, read once, cannot be read again."""
    from ._files import sha256_file

    if _is_pipe(path):  # opening it again would wait for a new writer
        return {"sha256": None, "sha256_of": "not computed: the input is a pipe, read once"}
    return {"sha256": sha256_file(path), "sha256_of": "input file"}


def _refuse_geo_options(args, kind: str) -> None:
    """--type-from and --platform only mean something for GEO input: never ignore them."""
    if kind not in ("cumida", "example"):
        return
    pipe = kind == "cumida" and _is_pipe(args.input)
    if kind == "example":
        what = "not to the built-in example"
    elif pipe:  # GEO text through <(zcat ...) lands here: say why, and what to do
        what = (f"and {args.input} is a pipe, read as a CuMiDa-style CSV: gexclust run cannot "
                "look into a pipe before reading it; give the GEO file itself, or a named pipe "
                "called like one (*series_matrix*, *.soft*)")
    else:
        what = f"and {args.input} is a CuMiDa-style CSV"
    # what a CSV has instead: said per option (its 'type' column is no answer to --platform)
    instead = {"--type-from": ", whose types are its 'type' column",
               "--platform": ", which has no platforms to choose from"}
    for option, value in (("--type-from", args.type_from), ("--platform", args.platform)):
        if value is not None:
            msg = f"{option} applies to GEO input (series matrix, SOFT or accession), {what}"
            if kind == "cumida" and not pipe:
                msg += instead[option]
            raise ValueError(msg)


def _is_pipe(path: str) -> bool:
    """Whether ``path`` is a pipe (``<(zcat ...)``, a FIFO); ``stat`` reads nothing from it."""
    import stat

    try:
        return stat.S_ISFIFO(Path(path).stat().st_mode)
    except OSError:  # missing: the reader names it
        return False


#: Options of ``run`` that say how an accession is fetched: a file or the example is not.
FETCH_OPTIONS = {"--source": "source", "--cache-dir": "cache_dir", "--offline": "offline"}


def _warn_fetch_options(args, kind: str) -> None:
    """Say that --source, --cache-dir and --offline change nothing for a file or the example."""
    if kind == "geo":
        return
    given = [option for option, key in FETCH_OPTIONS.items() if getattr(args, key)]
    if given:
        from ._logging import logger

        what = "the built-in example" if kind == "example" else f"the file {args.input}"
        logger.warning("%s: only for a GEO accession (what to fetch, and where to cache it); "
                       "ignored for %s", ", ".join(given), what)


def fetch_command(args) -> int:
    """Execute ``gexclust fetch``: download into the cache and list the cached files."""
    from ._files import sha256_file
    from .io import fetch_geo
    from .io._geo_fetch import check_platform

    # refused here, so that the messages name --cache-dir and --platform, not cache_dir=...
    _refuse_series_options(args)
    if args.platform not in (None, "all"):
        check_platform(args.platform, option="--platform")
    check_cache(args.cache_dir)
    files = fetch_geo(args.accession, source=args.source or "matrix", platform=args.platform,
                      annotate=not args.no_annotation, cache_dir=args.cache_dir,
                      offline=args.offline)
    if args.quiet:
        return 0
    say(f"{args.accession}: cached")
    for kind, paths in files.items():
        for path in paths:
            size = Path(path).stat().st_size
            say(f"  {kind:6s} {size / 1e6:8.2f} MB  sha256 {sha256_file(path)[:16]}  {path}")
    return 0


#: What an accession that is not a series is, and the one file fetched for it, for
#: ``fetch``'s messages.
NOT_A_SERIES = {"GDS": ("a dataset", "its one SOFT file, of one platform"),
                "GSM": ("a sample", "its one record, of one platform"),
                "GPL": ("a platform", "its annotation")}


def _refuse_series_options(args) -> None:
    """Refuse --platform, --source and --no-annotation for a dataset, sample or platform.

    They choose among a series' files. A dataset, a sample or a platform has one file,
    fetched whatever they say ('fetch GDS507 --platform GPL96' said nothing of it): refused
    before any download.
    """
    from .io._geo_fetch import check_accession

    check_accession(args.accession)
    if args.accession[:3] not in NOT_A_SERIES:
        return
    what, own = NOT_A_SERIES[args.accession[:3]]
    given = [("--platform", args.platform), ("--source", args.source),
             ("--no-annotation", args.no_annotation or None)]
    for option, value in given:
        if value is not None:
            shown = option if value is True else f"{option} {value}"
            msg = (f"{shown}: {args.accession} is {what}, fetched as {own}; {option} "
                   "applies to a series (GSE) only: drop it")
            raise ValueError(msg)


def _summary(adata, config, source, n_probes: int, *, argv: list[str] | None = None) -> dict:
    """The content of ``summary.json``; ``argv``: the arguments of the ``gexclust`` command.

    ``argv`` is what :func:`gexclust.cli.main` parsed, not ``sys.argv``: run from Python
    (``main(['run', ...])`` in a notebook or a test), ``sys.argv`` is that process's own.
    """
    import shlex
    from importlib.metadata import version

    from . import __version__

    comparison = adata.uns.get("compare_type_cluster")
    sizes = adata.obs["cluster"].value_counts(sort=False)
    return {
        "gexclust_version": __version__,
        "command": shlex.join(["gexclust", *(argv or [])]),
        "input": source,
        "parameters": config.as_dict(),
        "n_samples": int(adata.n_obs),
        "n_probes": int(n_probes),
        "n_genes_clustered": int(adata.n_vars),
        "missing": _missing_summary(adata),
        "n_clusters_found": len(sizes),
        "cut_note": cut_note(adata, config),
        "choose_k": k_choice(adata, config),
        "cluster_sizes": {str(k): int(v) for k, v in sizes.items()},
        "cophenetic_correlation": adata.uns["hclust"]["cophenetic_correlation"],
        "ari_vs_type": None if comparison is None else comparison["ari"],
        "nmi_vs_type": None if comparison is None else comparison["nmi"],
        "purity_vs_type": None if comparison is None else comparison["purity"],
        "type_note": adata.uns["run"].get("type_note"),
        "consensus": _consensus_summary(adata),
        "versions": {name: version(name) for name in VERSIONED},
    }


def _missing_summary(adata) -> dict | None:
    """What ``--missing`` did (``.uns['missing']``): ``n_probes`` counts the probes kept."""
    info = adata.uns.get("missing")
    if info is None:
        return None
    return {str(k): (v if isinstance(v, str) else int(v)) for k, v in info.items()}


def k_choice(adata, config) -> dict:
    """Which k the tree was cut at, and why: given, the recipe's own, or chosen by choose_k.

    With ``'auto'``: the criterion, the verdict of the test of structure (``strong``), the k
    each criterion gives and the scores of every k (``.uns['choose_k']`` as plain JSON).
    """
    k = int(adata.uns["run"]["n_clusters_cut"])
    if config.k != "auto":
        given = config.n_clusters is not None
        message = (f"k={k} as given (--n-clusters {k})" if given else
                   f"k={k}, the {config.recipe} recipe's fixed number of clusters")
        return {"k": k, "how": "given" if given else "recipe default", "message": message}
    from .tl._tree_access import result_of_tree

    chosen = result_of_tree(adata, "choose_k", producer="choose_k", caller="summary")
    scores = chosen["scores"]
    return {
        "k": k,
        "how": "auto",
        "message": str(chosen["message"]),
        "criterion": str(chosen["criterion"]),
        "strong": bool(chosen["strong"]),
        "p_value": float(chosen["p_value"]),
        "k_test": int(chosen["k_test"]) if "k_test" in chosen else None,
        "p_value_k": float(chosen["p_value_k"]) if "p_value_k" in chosen else None,
        "best_silhouette": float(chosen["best_silhouette"]),
        "null_best_silhouette": [float(v) for v in chosen["null_best_silhouette"]],
        "k_by": {name: int(v) for name, v in chosen["k_by"].items()},
        "params": {name: (list(v) if name == "k_range" else v)
                   for name, v in chosen["params"].items()},
        "scores": [{"k": int(kk), **{c: float(v) for c, v in row.items()}}
                   for kk, row in scores.iterrows()],
    }


def cut_note(adata, config) -> str | None:
    """Why the tree was cut into other than the asked-for clusters, or ``None``."""
    n_found = adata.obs["cluster"].nunique()
    n_cut = int(adata.uns["run"]["n_clusters_cut"])
    note = adata.uns.get("cluster", {}).get("note", "none")  # tl.cut says why, where it knows
    note = None if note == "none" else note
    if note is None and n_found != n_cut:
        note = (f"asked for {n_cut} clusters, the tree gives {n_found}: no cut "
                "height separates exactly that many (tied merge heights, or the inversions "
                "of a centroid/median tree)")
    return None if note is None else str(note)


def _consensus_ks(n_samples: int) -> range:
    """The k of ``--consensus``: 2..10, fewer when 80% of the samples are fewer."""
    largest = min(10, math.floor(n_samples * 0.8))
    if largest < 2:
        msg = f"--consensus needs at least 3 samples, got {n_samples}"
        raise ValueError(msg)
    return range(2, largest + 1)


def _check_consensus_memory(n_samples: int) -> None:
    from .tl._resample_memory import check_consensus_memory

    check_consensus_memory(n_samples, n_ks=len(_consensus_ks(n_samples)), n_jobs=None)


def _consensus(adata, config, n_resamples: int, *, quiet: bool) -> None:
    """Consensus clustering with the run's linkage and distance, k = 2..10 (fewer if small)."""
    from .tl import consensus

    consensus(adata, k_range=_consensus_ks(adata.n_obs), n_resamples=n_resamples,
              method=config.method, metric=config.metric, progress=not quiet)


def _consensus_summary(adata) -> dict | None:
    if adata.uns.get("consensus") is None:
        return None
    from .tl._consensus import checked_consensus  # only then: it imports scipy.stats (0.3 s)

    result = checked_consensus(adata, "consensus", caller="summary")
    return {
        "n_resamples": int(result["params"]["n_resamples"]),
        "recommended_k": int(result["best_k"]),
        "pac": {str(k): float(v) for k, v in zip(result["k"], result["pac"], strict=True)},
        "delta_area": {str(k): float(v)
                       for k, v in zip(result["k"], result["delta_area"], strict=True)},
    }


def freeze_libraries() -> None:
    """Take what lives until the process ends out of the garbage collector's full passes.

    By the writing stage a run has imported its libraries (anndata, pandas, scipy; matplotlib
    here, for the figures): ~130,000 objects, which every full collection walked again while
    the figures were drawn (two of 0.1-0.15 s each, ~0.25 s of a GSE9476-sized run's 2.4 s).
    Frozen (``gc.freeze``), they are skipped; what the run makes from here on, the figures'
    garbage included, is collected as before. What is frozen besides the libraries is the
    run's AnnData, alive until the end anyway, and the few dozen unreachable objects left
    since the last collection. Only in the console script's own process, which ends with
    the command (:func:`gexclust._stop.installed`): main() called from Python, in a notebook
    or a test, leaves the collector of its process as it found it.
    """
    import gc

    from ._stop import installed

    if not installed():
        return
    gc.freeze()  # first: importing matplotlib starts a full collection of its own
    import matplotlib.figure  # noqa: F401  (imported for the figures: frozen with the rest)
    from matplotlib.backends import backend_agg  # noqa: F401

    gc.freeze()


def _write_outputs(adata, summary: dict, stage: Path, formats, *, report: bool = True) -> None:
    from ._render import draw_figures, figure_specs
    from ._report._markers import cluster_markers
    from .io import write_newick, write_treeview

    # ranked once for the cluster heatmap, and for the report's marker figure and table
    markers = cluster_markers(adata)
    # first: it records the colours it uses in .uns, for the h5ad
    specs = figure_specs(adata, markers=markers)
    _write_tables(adata, stage)
    draw_figures(specs, stage, formats)
    if "consensus" in adata.uns:
        _write_consensus(adata, stage, formats)
    write_treeview(adata, stage / TREE_PREFIX)  # tree.cdt + tree.atr, for Java TreeView
    write_newick(adata, stage / f"{TREE_PREFIX}.nwk")
    extra = ["summary.json"]
    if report:
        from ._report import REPORT_FILES

        extra += REPORT_FILES
    summary["outputs"] = sorted([*(p.name for p in stage.iterdir() if not p.name.startswith(".")),
                                 *extra])
    text = json.dumps(_finite(summary), indent=2, allow_nan=False)
    (stage / "summary.json").write_text(text + "\n")
    if report:
        from ._report import write_report

        # the numbers exactly as summary.json
        write_report(adata, json.loads(text), stage, markers=markers)


def _write_consensus(adata, stage: Path, formats) -> None:
    """consensus.csv (class and stability per sample) and the consensus figure."""
    import pandas as pd

    from .pl import consensus as plot_consensus
    from .pl._base import save_figure

    pd.DataFrame({"sample": adata.obs_names, "type": adata.obs.get("type", ""),
                  "consensus_cluster": adata.obs["consensus"],
                  "stability": adata.obs["consensus_stability"].round(4)}
                 ).to_csv(stage / "consensus.csv", index=False)
    fig = plot_consensus(adata, show=False)
    save_figure(fig, [stage / f"consensus.{suffix}" for suffix in formats])
    if "matplotlib.pyplot" in sys.modules:  # in a notebook or test session: do not keep it
        sys.modules["matplotlib.pyplot"].close(fig)


def _finite(value):
    """``value`` with NaN and infinities as ``None`` (JSON has no NaN; e.g. two samples)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _write_tables(adata, stage: Path) -> None:
    import numpy as np
    import pandas as pd

    _write_h5ad(adata, stage / "adata.h5ad")
    clusters = pd.DataFrame({"sample": adata.obs_names,
                             "type": adata.obs.get("type", ""),
                             "cluster": adata.obs["cluster"]})
    clusters.to_csv(stage / "clusters.csv", index=False)
    Z = np.asarray(adata.uns["hclust"]["linkage"])
    linkage = pd.DataFrame(Z, columns=["left", "right", "height", "n_leaves"])
    linkage = linkage.astype({"left": int, "right": int, "n_leaves": int})
    linkage.to_csv(stage / "linkage.csv", index=False, float_format="%.10g")


#: What HDF5 stores beyond the values: bytes per object (group, array, column; 600 or less in
#: the h5ad of the example, golub and lung) and per file.
H5AD_OVERHEAD = (1024, 64 * 1024)


def _write_h5ad(adata, path: Path) -> None:
    """``adata.write_h5ad(path)``, refused up front when the disk cannot hold it.

    HDF5 meets a full disk badly: after the first failed write, h5py raised "RuntimeError:
    Disable slist on flush dest failure failed (... errno = 28 ...)" naming the staging
    folder, or crashed with a segmentation fault, leaving the staging folder behind. A disk
    that fills up meanwhile still can; what it raises is the system's full-disk error, which
    the output folder names (:func:`gexclust._errors.full_disk_named`).
    """
    import errno
    import os
    import shutil

    from ._errors import FULL_DISK
    from ._limits import size_text

    need, usage = _h5ad_size(adata), shutil.disk_usage(path.parent)
    # a file system that gives no sizes (total 0: some FUSE and network mounts) is not judged
    if usage.total and need > usage.free:
        problem = (f"no space left on device (adata.h5ad needs about {size_text(need)}, "
                   f"{size_text(usage.free)} free)")
        raise OSError(errno.ENOSPC, problem)
    try:
        adata.write_h5ad(path)
    except (OSError, RuntimeError) as err:
        if getattr(err, "errno", None) in FULL_DISK or "errno = 28" in str(err):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)) from err
        raise


def _h5ad_size(adata) -> int:
    """About the bytes ``adata.write_h5ad`` takes: the values, and HDF5's overhead per object."""
    import pandas as pd

    values, objects = 0, 0
    todo = [adata.X, adata.obs, adata.var, dict(adata.uns)]
    todo += [dict(m) for m in (adata.layers, adata.obsm, adata.varm, adata.obsp, adata.varp)]
    while todo:
        item = todo.pop()
        objects += 1
        if isinstance(item, pd.DataFrame):
            values += int(item.memory_usage(deep=True).sum())
            objects += item.shape[1]
        elif hasattr(item, "keys"):
            todo += list(item.values())
        elif hasattr(item, "indptr"):  # a sparse matrix: its three arrays
            values += item.data.nbytes + item.indices.nbytes + item.indptr.nbytes
        else:
            values += getattr(item, "nbytes", None) or len(str(item))
    per_object, per_file = H5AD_OVERHEAD
    return values + objects * per_object + per_file


def format_summary(adata, summary: dict) -> str:
    """A short plain-text table: cluster sizes by type, and agreement scores."""
    import pandas as pd

    lines = []
    if summary["input"].get("simulated"):
        lines.append("NOTE: built-in example, the expression values are SIMULATED.")
    p = summary["parameters"]
    if p["recipe"] == "seed":
        genes = "all probes, z-scored"
    else:
        n_genes = summary["n_genes_clustered"]
        if p["n_top_genes"] is None:
            genes = "all genes"
        elif n_genes >= summary["n_probes"]:  # fewer probes than asked: none was left out
            genes = f"all {n_genes} genes (--n-top-genes {p['n_top_genes']})"
        else:
            genes = f"top {n_genes} genes by {p['flavor']}"
        genes += ", centred" if p["scaling"] == "center" else ", z-scored"
    lines.append(f"{summary['n_samples']} samples x {summary['n_probes']} probes; {genes}; "
                 f"{p['method']}/{p['metric']}, {p['recipe']} recipe")
    missing = summary.get("missing") or {}
    if missing.get("n_missing_values"):
        filled = ("filled with probe means, " if missing["policy"] == "impute" else "")
        dropped = int(missing["n_probes_dropped"])
        # n_probes counts the probes kept: say of how many read, or the loss does not show
        of = f" of the {summary['n_probes'] + dropped} probes read" if dropped else " probes"
        lines.append(f"missing values: {missing['n_missing_values']} ({filled}"
                     f"{dropped}{of} dropped, --missing {missing['policy']})")
    chosen = summary["choose_k"]
    weak = chosen["how"] == "auto" and not chosen["strong"]
    how = {"auto": "chosen automatically (--n-clusters auto): ", "given": "",
           "recipe default": ""}[chosen["how"]]
    lines.append(("WARNING: " if weak else "") + f"clusters {how}{chosen['message']}")
    if summary.get("type_note"):  # a sample id, say: a table of it would list the samples
        lines.append(f"NOTE: {summary['type_note']}")
    elif "type" in adata.obs:
        from ._report._facts import type_labels

        # samples without a type get a column of their own, so totals are the cluster sizes
        types = type_labels(adata).fillna("(no type)").rename("type")
        table = pd.crosstab(adata.obs["cluster"], types)
        table["total"] = table.sum(axis=1)
        lines.append(table.to_string())
        lines.append(
            f"ARI vs type: {_score(summary['ari_vs_type'])}   "
            f"NMI: {_score(summary['nmi_vs_type'])}   purity: {_score(summary['purity_vs_type'])}"
        )
    elif "geo" in adata.uns:  # a CSV always has its type column; GEO samples may name none
        lines.append(_no_type_note(adata))
    lines.append(f"cophenetic correlation: {_score(summary['cophenetic_correlation'])}")
    if summary["cut_note"]:
        lines.append(f"NOTE on the cut: {summary['cut_note']}")
    if summary.get("consensus"):
        found = summary["consensus"]
        pac = ", ".join(f"k={k} {v:.2f}" for k, v in found["pac"].items())
        edge = (" (the largest k tried: no optimum, PAC may fall further)"
                if len(found["pac"]) > 1 and str(found["recommended_k"]) == list(found["pac"])[-1]
                else "")
        lines.append(f"consensus ({found['n_resamples']} resamples): recommended "
                     f"k = {found['recommended_k']}{edge}; PAC {pac}")
    return "\n".join(lines)


def _no_type_note(adata) -> str:
    """Why a GEO run's clusters have no score, and the columns ``--type-from`` could take.

    Those the report compares with the clusters (no names such as titles or accessions, no
    results such as the clusters or consensus classes) that group the samples.
    """
    from ._report._facts import candidate_columns

    counts = {column: adata.obs[column].nunique() for column in candidate_columns(adata)}
    fits = [f"{column} ({n} values)" for column, n in counts.items() if 1 < n < adata.n_obs]
    hint = f", e.g. {', '.join(fits[:3])}" if fits else ""
    return ("NOTE: no sample type, so the clusters are not scored against known classes: "
            f"--type-from COLUMN_OR_REGEX takes it from a column of the samples{hint}, or from "
            "a regular expression on their titles")


def _score(value) -> str:
    """A score to 3 decimals; 'n/a' where it is undefined (e.g. two samples)."""
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.3f}"
