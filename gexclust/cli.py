"""Command line: ``gexclust run``. Heavy modules are imported inside the commands."""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

EPILOG = "Example: gexclust run -o gexclust_example   (built-in simulated GSE9476 example)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (no heavy imports, so ``--help`` is instant)."""
    parser = argparse.ArgumentParser(
        prog="gexclust",
        description="Hierarchical clustering of gene-expression data (AnnData/scanpy style).",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser(
        "run",
        help="cluster samples and write tables and figures",
        description=(
            "Cluster the samples of INPUT (a CuMiDa-style CSV: samples, type, probe columns) "
            "and write adata.h5ad, clusters.csv, linkage.csv, summary.json and figures. "
            "Without INPUT, runs the built-in example (simulated values, GSE9476 layout)."
        ),
        epilog=EPILOG,
    )
    run.add_argument("input", nargs="?", metavar="INPUT",
                     help="CuMiDa CSV(.gz), GEO series matrix or SOFT file, or a GEO accession "
                     "(GSE9476) to fetch")
    run.add_argument("-o", "--outdir", required=True, help="output folder (must be new or empty)")
    run.add_argument("--n-clusters", type=int, default=4, help="clusters to cut (default 4)")
    run.add_argument("--method", default="ward", help="linkage method (default ward)")
    run.add_argument("--metric", default="euclidean", help="distance (default euclidean)")
    genes = run.add_mutually_exclusive_group()
    genes.add_argument("--n-top-genes", type=int, default=None, metavar="N",
                       help="cluster on the N most variable genes (default 2000)")
    genes.add_argument("--all-genes", action="store_true", help="cluster on all genes")
    run.add_argument("--recipe", choices=("default", "seed"), default="default",
                     help="'seed' reproduces the original script: all probes, StandardScaler, "
                     "ward (default: 'default')")
    run.add_argument("--missing", choices=("error", "drop", "impute"), default="error",
                     help="missing-value policy when reading INPUT (default error)")
    _geo_options(run)
    run.add_argument("--type-from", default=None, metavar="COLUMN_OR_REGEX",
                     help="GEO input: .obs column or title regex giving the sample type")
    run.add_argument("--force", action="store_true", help="replace a non-empty OUTDIR")
    run.add_argument("--quiet", action="store_true", help="no progress or summary output")
    run.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    fetch = sub.add_parser(
        "fetch",
        help="download a GEO accession into the cache and report what was cached",
        description="Download the files of a GEO accession (verified, atomically) into the "
        "cache, or check they are there with --offline.",
    )
    fetch.add_argument("accession", help="GSE..., GPL..., GDS... or GSM...")
    _geo_options(fetch)
    fetch.add_argument("--no-annotation", action="store_true",
                       help="do not fetch the platform annotation")
    fetch.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    _report_parser(sub)
    return parser


def _report_parser(sub) -> None:
    report = sub.add_parser(
        "report",
        help="write report.html and report.pdf again for an earlier run's folder",
        description="Rebuild the insights report (report.html, report.pdf) of OUTDIR from its "
        "adata.h5ad and summary.json, e.g. after a gexclust upgrade or a run with --no-report.",
    )
    report.add_argument("outdir", metavar="OUTDIR", help="folder written by 'gexclust run'")
    report.add_argument("--debug", action="store_true", help="show tracebacks on errors")


def _geo_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", choices=("matrix", "soft"), default="matrix",
                        help="GEO file to use: series matrix (default) or family SOFT")
    parser.add_argument("--platform", default=None,
                        help="platform of a multi-platform series (e.g. GPL96)")
    parser.add_argument("--cache-dir", default=None,
                        help="download cache (default $GEXCLUST_CACHE_DIR or the user cache)")
    parser.add_argument("--offline", action="store_true", help="use only the cache")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``gexclust`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        from . import __version__

        print(f"gexclust {__version__}")
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "run":
            from ._run_cli import run_command

            return run_command(args)
        if args.command == "fetch":
            from ._run_cli import fetch_command

            return fetch_command(args)
        if args.command == "report":
            from ._report import rebuild_report

            for path in rebuild_report(args.outdir):
                print(path)
            return 0
    except KeyboardInterrupt:
        print("gexclust: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if getattr(args, "debug", False):
            raise
        print(f"gexclust: error: {_one_line(err)}", file=sys.stderr)
        return 1
    return 2


def _one_line(err: BaseException) -> str:
    text = str(err).strip().strip("'\"") or type(err).__name__
    if not isinstance(err, ValueError | KeyError | OSError | FileExistsError):
        text = f"{type(err).__name__}: {text} (rerun with --debug for the traceback)"
    return " ".join(text.split())


class Progress:
    """Stage-by-stage progress on stderr, with elapsed seconds."""

    def __init__(self, n_steps: int, *, quiet: bool) -> None:
        self.n_steps, self.quiet, self.step, self.t0 = n_steps, quiet, 0, time.perf_counter()

    def __call__(self, text: str, *, final: bool = False) -> None:
        """Announce the next stage; before any but the final one, stop if Ctrl-C was pressed."""
        if not final:
            from ._interrupt import check

            check()
        self.step += 1
        if not self.quiet:
            elapsed = time.perf_counter() - self.t0
            print(f"[{self.step}/{self.n_steps} {elapsed:5.1f}s] {text}", file=sys.stderr)


def console_main() -> None:
    """Entry point of the console script: run, flush, and exit without interpreter teardown.

    Every output is written, flushed and renamed into place before ``main`` returns; skipping
    the teardown of numpy/pandas/matplotlib saves a noticeable fraction of a short run. The
    cyclic garbage collector runs far less often than by default: imports and parsing create
    millions of objects and next to no cyclic garbage, and the default schedule costs ~5% of
    a run (measured, benchmarks/bench_run.py).
    """
    gc.set_threshold(100_000, 50, 100)
    from ._interrupt import install

    install()
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    console_main()
