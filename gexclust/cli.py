"""Command line: ``gexclust run``. Heavy modules are imported inside the commands."""

from __future__ import annotations

import argparse
import contextlib
import gc
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator

from .tl._methods import METHODS, METRICS

EPILOG = "Example: gexclust run -o gexclust_example   (built-in simulated GSE9476 example)"
RUN_EXAMPLES = """\
examples:
  gexclust run -o example
      the built-in example (real GSE9476 sample table, simulated values)
  gexclust run Leukemia_GSE9476.csv --n-clusters 5 -o leukemia
      a CuMiDa CSV (samples, type, one column per probe), cut into 5 clusters
  gexclust run GSE781 --source soft --platform GPL96 --type-from source_name -o gse781
      fetch a GEO series (verified cache), its U133A samples, type from a sample field
  gexclust run GSE781_family.soft.gz --platform GPL96 --method average \\
      --metric correlation --n-top-genes 1000 -o gse781
      a local GEO SOFT file; average linkage on 1 - Pearson r of 1,000 variable genes
  gexclust run bladder_cancer.csv.gz --annotations bladder_truth.tsv -o bladder
      add a sample sheet's columns (its processing batch) to .obs: the report says
      whether the clusters follow one
  gexclust run data.csv --formats png,pdf --no-report -o out
      figures as PNG and PDF, no report
  gexclust report gse781
      write report.html and report.pdf again from an earlier run's folder

OUTDIR receives adata.h5ad, clusters.csv, linkage.csv, summary.json, the figures,
tree.cdt/tree.atr (Java TreeView), tree.nwk (Newick) and report.html/report.pdf.
"""


class _Parser(argparse.ArgumentParser):
    """argparse's parser, whose usage errors are one line like every other error.

    argparse prints the whole usage block before its message; the message alone, with where
    to find the usage, keeps the promise of one line on stderr. The exit code stays
    argparse's 2 (a malformed command line), apart from the 1 of errors found in the values.
    """

    def __init__(self, *args, **kwargs):
        # no abbreviations: '--n-cluster 5' read as --n-clusters is a guess, and an option
        # added later could turn today's abbreviation into another option or an error
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        for name in (None, "store"):  # every option that takes a value, subcommands' too
            self.register("action", name, _StoreOnce)

    def _get_values(self, action, arg_strings):
        if isinstance(action, _StoreOnce):  # as typed, for its message: not '3' for '03'
            action.typed = " ".join(arg_strings)
        return super()._get_values(action, arg_strings)

    def parse_known_args(self, args=None, namespace=None):
        parsed, rest = super().parse_known_args(args, namespace)
        vars(parsed).pop(_StoreOnce.GIVEN, None)  # bookkeeping, not an option
        return parsed, rest

    def error(self, message: str):
        text = " ".join(message.split())
        self.exit(2, f"gexclust: error: {text} (see '{self.prog} --help')\n")


class _StoreOnce(argparse._StoreAction):
    """argparse's store, refusing an option given twice.

    argparse keeps the last value without a word: ``--formats png --formats pdf`` wrote PDFs
    only, and ``--n-clusters 3 ... --n-clusters 5`` (an edited command line) cut 5.
    """

    GIVEN = "_gexclust_given"

    def __call__(self, parser, namespace, values, option_string=None):
        given = vars(namespace).setdefault(self.GIVEN, {})
        if option_string is not None:
            typed = getattr(self, "typed", None) or str(values)
            if self.dest in given:
                first_option, first = given[self.dest]
                parser.error(f"{option_string} is given twice ({first_option} {first!r}, "
                             f"then {option_string} {typed!r}); give it once")
            given[self.dest] = (option_string, typed)
        super().__call__(parser, namespace, values, option_string)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (no heavy imports, so ``--help`` is instant)."""
    parser = _Parser(
        prog="gexclust",
        description="Hierarchical clustering of gene-expression data (AnnData/scanpy style).",
        epilog=EPILOG,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.commands = sub.choices  # name -> the command's parser, for errors that name it
    run = sub.add_parser(
        "run",
        help="cluster samples and write tables and figures",
        description=(
            "Cluster the samples of INPUT (a CuMiDa-style CSV: samples, type, probe\n"
            "columns; a GEO series matrix or SOFT file; or a GEO accession) and write\n"
            "tables, figures, tree files and the report into OUTDIR. Without INPUT, runs\n"
            "the built-in example (simulated values, GSE9476 layout)."
        ),
        epilog=RUN_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("input", nargs="?", metavar="INPUT", type=_home_expanded,
                     help="CuMiDa CSV(.gz), GEO series matrix or SOFT file, or a GEO accession "
                     "(GSE9476) to fetch")
    run.add_argument("-o", "--outdir", required=True, type=_home_expanded,
                     help="output folder: new, empty, or holding only the outputs of an "
                     "earlier run (replaced with --force)")
    run.add_argument("--n-clusters", type=_n_clusters, default=None, metavar="auto|K",
                     help="clusters to cut, or 'auto': chosen by the highest silhouette, with a "
                     "test against one cloud of the data's gene covariance saying whether the "
                     "groups are strong or weak (default: auto; 4 with --recipe seed)")
    # choices: a typo is refused naming the option, as --select-by's is ("method='Ward' is
    # not valid" named the Python argument)
    run.add_argument("--method", default="ward", choices=METHODS, metavar="METHOD",
                     help=f"linkage method: {', '.join(METHODS)} (default ward; ward, "
                     "centroid and median need --metric euclidean)")
    run.add_argument("--metric", default="euclidean", choices=METRICS, metavar="METRIC",
                     help=f"distance: {', '.join(METRICS)} (default euclidean; correlation "
                     "is 1 - Pearson r)")
    genes = run.add_mutually_exclusive_group()
    genes.add_argument("--n-top-genes", type=int, default=None, metavar="N",
                       help="cluster on the N most variable genes (default 1000)")
    genes.add_argument("--all-genes", action="store_true", help="cluster on all genes")
    run.add_argument("--select-by", choices=("mad", "variance"), default=None,
                     help="how genes are ranked for --n-top-genes: median absolute deviation "
                     "(default) or variance")
    run.add_argument("--scale", choices=("center", "zscore"), default=None,
                     help="centre each gene (default) or z-score it")
    run.add_argument("--recipe", choices=("default", "seed"), default="default",
                     help="'seed' reproduces the original script: all probes, StandardScaler, "
                     "ward, 4 clusters (--n-clusters, --method and --metric still apply) "
                     "(default: 'default', chosen on a labelled benchmark panel: top 1000 "
                     "genes by MAD, centred, ward, k auto)")
    run.add_argument("--consensus", type=int, default=None, metavar="N",
                     help="also run consensus clustering with N resamples (k = 2..10, fewer for "
                     "few samples; the run's "
                     "--method and --metric): consensus.csv, consensus.png (and the other "
                     "--formats), PAC and the recommended k")
    run.add_argument("--missing", choices=("error", "drop", "impute"), default="error",
                     help="missing values in INPUT: 'error' refuses the file, naming the first "
                     "(default), 'drop' drops every probe with one, 'impute' fills each with "
                     "its probe's mean over the other samples")
    run.add_argument("--annotations", default=None, metavar="SHEET", type=_home_expanded,
                     help="sample sheet (CSV or TSV, .gz too; one row per sample): its columns "
                     "are added to .obs and the report checks whether the clusters follow "
                     "one (a batch, a date, an age); not used for clustering. Its sample-id "
                     "column is found by matching the data's sample ids, else their titles "
                     "(GEO's .obs['title'])")
    run.add_argument("--annotations-key", default=None, metavar="COLUMN",
                     help="the column of --annotations holding the sample ids or titles "
                     "(default: found by matching them)")
    _geo_options(run)
    run.add_argument("--type-from", default=None, metavar="COLUMN_OR_REGEX",
                     help="GEO input: .obs column or title regex giving the sample type")
    run.add_argument("--formats", default="png", metavar="png,pdf,svg",
                     help="figure formats, comma-separated (default png)")
    run.add_argument("--no-report", action="store_true",
                     help="do not write report.html and report.pdf (gexclust report OUTDIR "
                     "writes them later)")
    run.add_argument("--force", action="store_true",
                     help="replace the outputs of an earlier run in OUTDIR (never other files)")
    _quiet_option(run, "the summary")
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
    _quiet_option(fetch, "the list of cached files")
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
    report.add_argument("outdir", metavar="OUTDIR", type=_home_expanded,
                        help="folder written by 'gexclust run'")
    _quiet_option(report, "the list of files written")
    report.add_argument("--debug", action="store_true", help="show tracebacks on errors")


def _quiet_option(parser: argparse.ArgumentParser, printed: str) -> None:
    """``--quiet``, the same for every command: only errors are printed.

    What it silences is decided in one place, :func:`_log_to_stderr` (warnings, notes and
    download bars), and by each command for its progress and for ``printed``, what it
    prints on stdout.
    """
    parser.add_argument("-q", "--quiet", action="store_true",
                        help=f"print only errors: no progress, warnings or notes, and not "
                        f"{printed}")


def _n_clusters(text: str) -> int | str:
    """``--n-clusters``: 'auto' or a whole number (range checked once the data are read)."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        msg = f"expected 'auto' or a whole number, got {text!r}"
        raise argparse.ArgumentTypeError(msg) from None


def _geo_options(parser: argparse.ArgumentParser) -> None:
    # default None, so that run can tell a --source given for a file (and say it is ignored)
    parser.add_argument("--source", choices=("matrix", "soft"), default=None,
                        help="GEO file to use: series matrix (default) or family SOFT")
    parser.add_argument("--platform", default=None,
                        help="platform of a multi-platform series (e.g. GPL96)")
    parser.add_argument("--cache-dir", default=None, type=_home_expanded,
                        help="download cache (default $GEXCLUST_CACHE_DIR or the user cache)")
    parser.add_argument("--offline", action="store_true", help="use only the cache")


def _home_expanded(text: str) -> str:
    """A path given with a leading ``~`` in the home folder, as the shell gives ``-o ~/x``.

    The shell leaves ``--outdir=~/results`` as it is (no ``~`` is expanded after the ``=``):
    taken as written, it made a folder named ``~`` in the working directory, which a later
    ``rm -rf ~`` meant for it would take for the home folder.
    """
    return os.path.expanduser(text) if text.startswith("~") else text


def main(argv: list[str] | None = None) -> int:
    """Run the ``gexclust`` command line with ``argv``; returns the exit code."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    # what summary.json records as the command: these arguments, not sys.argv, which called
    # from Python (a notebook, a test) is that process's own
    args.argv = [str(a) for a in (sys.argv[1:] if argv is None else argv)]
    if extra:
        # argparse reports these from the top-level parser, which pointed at 'gexclust --help'
        # for an option of 'run': the command's own parser names its --help
        command = parser.commands.get(args.command, parser)
        command.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.version:
        from . import __version__

        print(f"gexclust {__version__}")
        return 0
    if args.command is None:
        parser.print_help()
        return 2
    try:
        with _log_to_stderr(args):
            return _dispatch(args)
    except KeyboardInterrupt as err:  # Ctrl-C, or SIGTERM (see gexclust._stop)
        return _stopped(getattr(err, "signum", signal.SIGINT))
    except ReaderGone:
        return _reader_gone()
    except Exception as err:
        from ._stop import first_received

        if (signum := first_received()) is not None:  # the signal surfaced as another error
            return _stopped(signum)
        if getattr(args, "debug", False):
            raise
        with contextlib.suppress(OSError):  # stderr's own reader may be what is gone
            print(f"gexclust: error: {_one_line(err)}", file=sys.stderr)
        return 1


class ReaderGone(Exception):
    """The reader of stdout left while finished work was printed there (see :func:`say`)."""


def say(text: str) -> None:
    """Print ``text`` on stdout, which carries only finished work.

    A broken pipe here, and only here, is the reader of stdout gone (a pager quit,
    ``| head``): any other broken pipe, such as stderr's under a progress line, came before
    the work was done and is an error. Flushed at once, so the error surfaces here and not in
    Python's own flush at exit.
    """
    try:
        print(text, flush=True)
    except BrokenPipeError:
        raise ReaderGone from None


def _reader_gone() -> int:
    """End when the reader of stdout has left (a pager quit, ``| head``): not an error.

    Only finished work is printed on stdout (the run's summary, the files written or
    cached), so nothing was cut short but the printing. Exits 128 + SIGPIPE, as a tool the
    signal stopped would; stdout goes to the null device, or Python's own flush of it at exit
    would print a traceback of the same error.
    """
    with contextlib.suppress(OSError, ValueError):  # a replaced stdout (a test's) has no fd
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    with contextlib.suppress(OSError):
        print("gexclust: standard output was closed before everything was printed (broken "
              "pipe); the command's work was done", file=sys.stderr)
    return 128 + getattr(signal, "SIGPIPE", 13)


def _stopped(signum: int) -> int:
    word = "terminated" if signum == signal.SIGTERM else "interrupted"
    print(f"gexclust: {word}", file=sys.stderr)
    return 128 + signum


def _dispatch(args) -> int:
    if args.command == "run":
        from ._run_cli import run_command

        return run_command(args)
    if args.command == "fetch":
        from ._run_cli import fetch_command

        return fetch_command(args)
    from ._files import check_given
    from ._report import rebuild_report

    check_given(args.outdir, "OUTDIR")  # not the current folder
    paths = rebuild_report(args.outdir)  # listed in the manifest: --force may replace them
    if not args.quiet:
        for path in paths:
            say(str(path))
    return 0


@contextlib.contextmanager
def _log_to_stderr(args) -> Iterator[None]:
    """Show the package's warnings (INFO too with --debug) on stderr; --quiet: nothing.

    Under ``--quiet`` every command prints only its errors: no warnings, notes or download
    bars (silenced here, for all commands alike), no progress and nothing on stdout (each
    command's own printing).
    """
    logger = logging.getLogger("gexclust")
    previous = logger.level
    quiet = contextlib.nullcontext()
    if getattr(args, "quiet", False):
        # a handler that drops everything, so Python's last-resort handler prints nothing
        handler = logging.NullHandler()
        logger.addHandler(handler)
        from ._logging import no_progress_bars

        quiet = no_progress_bars()  # a download's bar too (on a terminal, it showed)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_Format())
        level = logging.INFO if getattr(args, "debug", False) else logging.WARNING
        logger.addHandler(handler)
        logger.setLevel(min(level, logger.getEffectiveLevel()))
    import warnings

    shown = warnings.showwarning
    # a library's Python warning (matplotlib: "Glyph 9 missing" for a tab in a sample name)
    # is one line like ours, or nothing under --quiet; filters are left alone (a test's
    # "error" filter still raises)
    warnings.showwarning = (_drop_warning if getattr(args, "quiet", False) else
                            _warning_line)
    try:
        with quiet:
            yield
    finally:
        warnings.showwarning = shown
        logger.removeHandler(handler)
        logger.setLevel(previous)


def _warning_line(message, category, *_args, **_kwargs) -> None:
    text = " ".join(str(message).split())
    print(f"gexclust: warning: {text} ({category.__name__})", file=sys.stderr)


def _drop_warning(*_args, **_kwargs) -> None:
    pass


class _Format(logging.Formatter):
    """``gexclust: warning: text`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        return f"gexclust: {record.levelname.lower()}: {' '.join(record.getMessage().split())}"


def _one_line(err: BaseException) -> str:
    # a KeyError's str() is the repr of its key: drop those quotes, not those of a message
    # that starts or ends with a quoted name ('x' is not a GEO accession ...; ... or 'ward')
    text = err.args[0] if isinstance(err, KeyError) and len(err.args) == 1 else str(err)
    text = str(text).strip() or type(err).__name__
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
            from ._stop import check

            check()
        self.step += 1
        if not self.quiet:
            elapsed = time.perf_counter() - self.t0
            print(f"[{self.step}/{self.n_steps} {elapsed:5.1f}s] {text}", file=sys.stderr)


def console_main() -> None:
    """Entry point of the console script: SIGINT and SIGTERM stop the run cleanly."""
    from . import _stop

    _stop.install()
    code = main()
    _stop.uninstall()  # the run is over: a late signal changes nothing
    if _stop.first_received() is not None:
        _exit_stopped(code)
    # the process ends now: the collections of its shutdown would only walk the ~150,000
    # objects of the libraries it imported, which the system frees anyway (0.3 s of a run);
    # frozen, they are skipped. Callers of main() in their own process are not affected
    gc.freeze()
    sys.exit(code)


def _exit_stopped(code: int) -> None:
    """End a stopped command now that its own cleanup has run, without tearing Python down.

    The stop may have cut a library short anywhere (an import of a C extension, a read of
    HDF5, a drawing): tearing down its modules then crashed Python itself, rarely ("Fatal
    Python error: PyThreadState_Get ... finalizing", exit -6 instead of 143). What must run
    at exit still runs, as Python's own exit runs it before the teardown: the threads' exit
    functions (joblib's loky workers of --consensus stop there), then the atexit functions
    (logging's flush, tempfile's and multiprocessing's cleanup); then stdout and stderr are
    flushed.
    """
    import atexit
    import threading

    with contextlib.suppress(Exception):
        threading._shutdown()
    with contextlib.suppress(Exception):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # closed, or its reader gone: nothing to keep
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    console_main()
