"""The insights report of a run: ``report.html`` (self-contained) and ``report.pdf``.

:func:`write_report` builds both from a clustered AnnData and the run's ``summary.json``;
:func:`rebuild_report` does it again for an earlier run's folder (``gexclust report OUTDIR``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from anndata import AnnData

from .._logging import logger

REPORT_FILES = ("report.html", "report.pdf")
#: Figures of a run folder the report embeds, and the function that draws each when missing.
FIGURES = ("dendrogram", "cluster_heatmap", "markers")
#: What a full temporary folder, where missing figures are drawn for the report, leaves.
SCRATCH_FULL = ("free some space in that folder or set TMPDIR to another one (nothing was "
                "written to the output folder)")


def write_report(adata: AnnData, summary: dict, outdir: str | os.PathLike, *,
                 figures: dict[str, bytes] | None = None, markers=None) -> list[Path]:
    """Write ``report.html`` and ``report.pdf`` into ``outdir`` (atomically).

    Parameters
    ----------
    adata
        The run's AnnData: ``.uns['hclust']``, ``.obs['cluster']``, and what the run recorded.
    summary
        The run's ``summary.json`` content; the report's numbers are taken from it.
    outdir
        Folder to write into; its ``dendrogram.png``, ``cluster_heatmap.png`` and
        ``markers.png`` are embedded when present, else drawn.
    figures
        PNG bytes by figure name, to use instead of reading or drawing them.
    markers
        The clusters' markers (:func:`._markers.cluster_markers`), when ranked already; else
        ranked here, once for the table and the figures drawn.

    Returns
    -------
    The two paths written.
    """
    from .._atomic import atomic_open
    from ._content import build_report
    from ._html import render_html
    from ._markers import cluster_markers, marker_table
    from ._pdf import render_pdf

    outdir = Path(outdir)
    if markers is None:
        markers = cluster_markers(adata)
    figures = (dict(figures) if figures is not None
               else collect_figures(adata, outdir, markers=markers))
    report = build_report(adata, summary, figures, marker_table(adata, markers=markers))
    html_path, pdf_path = outdir / REPORT_FILES[0], outdir / REPORT_FILES[1]
    with atomic_open(html_path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(render_html(report))
    with atomic_open(pdf_path, "wb") as fh:
        fh.write(render_pdf(report))
    return [html_path, pdf_path]


def collect_figures(adata: AnnData, outdir: Path, *, markers=None,
                    read: tuple[str, ...] = FIGURES) -> dict[str, bytes]:
    """PNG bytes of the run's figures: read from ``outdir``, or drawn when absent.

    ``markers``: the clusters' markers (:func:`._markers.cluster_markers`), when ranked
    already; else ranked here if a figure of them is drawn. ``read``: the figures that may be
    taken from ``outdir``; the others are drawn from ``adata``.
    """
    figures = {}
    for name in read:
        path = outdir / f"{name}.png"
        if path.is_file():
            figures[name] = path.read_bytes()
    missing = [name for name in FIGURES if name not in figures]
    if adata.obs["cluster"].nunique() < 2:  # markers are one cluster against the rest
        missing = [name for name in missing if name == "dendrogram"]
    if "support" in adata.uns.get("hclust", {}):
        missing.append("support")
    if hasattr(adata.uns.get("consensus"), "get"):
        missing.append("consensus")
    if missing:
        figures.update(_draw(adata, missing, markers=markers))
    return figures


def _draw(adata: AnnData, names: list[str], *, markers=None) -> dict[str, bytes]:
    from .. import pl
    from .._errors import full_disk_named
    from .._render import type_colour
    from ..pl._cluster_heatmap import cluster_heatmap_spec, draw_cluster_heatmap
    from ..pl._markers import markers_figure
    from ._markers import cluster_markers

    layer = "expression" if "expression" in adata.layers else None
    if markers is None and {"markers", "cluster_heatmap"} & set(names):
        markers = cluster_markers(adata)  # once for both figures
    out = {}
    # drawn in the temporary folder, not the output folder: a full disk there is its own
    scratch = tempfile.gettempdir()
    with (full_disk_named(scratch, "the report's figures", SCRATCH_FULL),
          tempfile.TemporaryDirectory() as tmp):
        for name in names:
            path = Path(tmp) / f"{name}.png"
            colour = type_colour(adata)
            try:
                if name == "dendrogram":
                    drawn = pl.dendrogram(adata, color=colour, show=False, save=path)
                elif name == "support":
                    drawn = pl.dendrogram(adata, color=colour, support="au", show=False,
                                          save=path)
                elif name == "consensus":
                    drawn = pl.consensus(adata, show=False, save=path)
                elif name == "markers":
                    drawn = _saved(markers_figure(adata, markers, layer=layer, show=False), path)
                else:
                    spec = cluster_heatmap_spec(adata, layer=layer, ranked=markers)
                    drawn = _saved(draw_cluster_heatmap(spec, show=False), path)
            except (AttributeError, TypeError, KeyError, ValueError) as err:
                if name in FIGURES:
                    raise
                # an optional figure this version cannot draw: the report goes without it
                logger.warning("report: no %s figure (%s)", name, err)
                continue
            _close(drawn)
            out[name] = path.read_bytes()
    return out


def _saved(fig, path: Path):
    """``fig``, saved to ``path`` as the plots' ``save=`` saves it."""
    from ..pl._base import finish

    return finish(fig, fig, show=False, save=path)


def _close(drawn) -> None:
    """Close a figure the report drew, once saved, when pyplot keeps it.

    Figures are pyplot's once pyplot is loaded: in a notebook, or in a run whose 21+ sample
    types took scanpy's colours (importing scanpy imports pyplot). Left open, a notebook shows
    them under the cell and pyplot warns beyond 20.
    """
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close(getattr(drawn, "figure", drawn))


def rebuild_report(outdir: str | os.PathLike) -> list[Path]:
    """Write the report again from ``outdir/adata.h5ad`` and ``outdir/summary.json``.

    The two files are added to the folder's manifest, so a later ``gexclust run --force``
    may replace them. After a run with ``--no-report``, ``summary.json``'s ``outputs`` gains
    them too (unless the file was changed since the run: then it is left as it is).
    """
    from .._outdir import staged_additions, unfinished_run, writing_additions
    from ._markers import cluster_markers

    outdir = Path(outdir)
    if outdir.exists() and not outdir.is_dir():  # else 'OUT/adata.h5ad: not found'
        msg = f"{outdir}: is a file, not the folder of a 'gexclust run'"
        raise NotADirectoryError(msg)
    for name in ("adata.h5ad", "summary.json"):
        if not (outdir / name).is_file():
            # a run stopped half way leaves its staging folder, never a part of its outputs
            why = unfinished_run(outdir) or f"is {outdir} the folder of a 'gexclust run'?"
            msg = f"{outdir / name}: not found; {why}"
            raise FileNotFoundError(msg)

    # read under the staging folder's lock: a run writing into the folder makes this command
    # stop (and a run started meanwhile stops), so the report never pairs one run's files with
    # another's, nor replaces a newer run's report with one of the files read before it
    with staged_additions(outdir) as stage, _edited_summary_named(outdir / "summary.json"):
        adata, summary, edited = _read_run(outdir)
        outputs = _outputs_with_report(summary, outdir)
        markers = cluster_markers(adata)  # once, for the figures drawn and the table
        figures = collect_figures(adata, outdir, markers=markers, read=_run_figures(outdir, edited))
        # written beside the run's outputs and listed in its manifest before they are put in
        # place, so that an interrupted rebuild leaves files a later --force may replace
        with writing_additions(stage):  # a full disk met before this is not OUTDIR's
            paths = write_report(adata, summary, stage, figures=figures, markers=markers)
            for path in edited:  # not before an error that names the file anyway
                logger.warning("%s: changed since gexclust run wrote it (not the file its "
                               "manifest records); the report shows it as it is now", path)
            _warn_of_an_edited_table(outdir / "clusters.csv")
            if outputs is not None:  # the record of what the folder holds stays true
                text = json.dumps({**summary, "outputs": outputs}, indent=2, allow_nan=False)
                (stage / "summary.json").write_text(text + "\n", encoding="utf-8")
    return [outdir / path.name for path in paths]


def _warn_of_an_edited_table(path: Path) -> None:
    """Say that edits of ``path``, a table of the run the report does not read, do not show.

    Clusters renamed or samples moved in ``clusters.csv`` by hand were left out of the report
    without a word: it shows the clusters of ``adata.h5ad``.
    """
    from .._outdir import changed_since_written

    if path.is_file() and changed_since_written(path):
        logger.warning("%s: changed since gexclust run wrote it; the report does not read it: "
                       "it shows the clusters of %s, as the run cut them", path,
                       path.parent / "adata.h5ad")


def _run_figures(outdir: Path, edited: list[Path]) -> tuple[str, ...]:
    """The figures in ``outdir`` that show the run being reported, as it wrote them.

    Those its manifest vouches for, beside an ``adata.h5ad`` and a ``summary.json`` it lists
    and that are not ``edited`` since (:func:`_read_run` compared them). Any other figure may
    be of another run: an ``adata.h5ad`` and ``summary.json`` copied in from a run at k = 2
    were reported beside the dendrogram and cluster heatmap of the folder's own run at k = 3.
    Those are drawn again from the AnnData instead.
    """
    from .._outdir import listed_outputs, written_unchanged

    if edited or not {"adata.h5ad", "summary.json"} <= listed_outputs(outdir):
        return ()
    return tuple(name for name in FIGURES if written_unchanged(outdir / f"{name}.png"))


@contextlib.contextmanager
def _edited_summary_named(path: Path) -> Iterator[None]:
    """Name ``summary.json`` when a value the run did not write there stops the report.

    A value edited to another kind ('"input": null') stopped it with "AttributeError:
    'NoneType' object has no attribute 'get'", naming no file. Only a file that differs from
    what the run wrote (its manifest tells) is named: in the run's own file the error is
    gexclust's, and shows as such.
    """
    from .._outdir import changed_since_written

    try:
        yield
    except (AttributeError, KeyError, TypeError) as err:
        if not changed_since_written(path):
            raise
        msg = (f"{path}: changed since gexclust run wrote it, and the report cannot read it "
               f"({type(err).__name__}: {err}); restore it, or run gexclust run again")
        # chained: an error of gexclust's own met after an edit keeps its traceback (--debug)
        raise ValueError(msg) from err


def _read_run(outdir: Path):
    """The AnnData and the summary of the run in ``outdir``, refused when they are not a run's.

    Also the paths of those two files that differ from what the run wrote (its manifest tells).
    """
    import anndata

    from .._outdir import changed_since_written, check_replaceable

    try:
        summary = json.loads((outdir / "summary.json").read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        msg = f"{outdir / 'summary.json'}: line {err.lineno}: not valid JSON ({err.msg})"
        raise ValueError(msg) from None
    except UnicodeDecodeError as err:  # 'utf-8' codec can't decode ..., naming no file
        msg = (f"{outdir / 'summary.json'}: not UTF-8 text (byte {err.object[err.start]:#04x} at "
               f"offset {err.start}); not the summary.json of a 'gexclust run'")
        raise ValueError(msg) from None
    except OSError as err:  # no permission: "[Errno 13] Permission denied: 'OUT/summary.json'"
        msg = f"{outdir / 'summary.json'}: cannot be read ({err.strerror or err})"
        raise type(err)(msg) from None
    check_replaceable(outdir, REPORT_FILES)  # never overwrite a file of the user's
    path = outdir / "adata.h5ad"
    changed = changed_since_written(path)
    what = " (changed since gexclust run wrote it)" if changed else ""
    try:
        adata = anndata.read_h5ad(path)
    # what h5py and anndata raise for a truncated or damaged file, naming no file: an
    # OSError, or a KeyError, a UnicodeDecodeError ... from a damaged header or name
    except (OSError, KeyError, ValueError, TypeError) as err:
        text = err.args[0] if isinstance(err, KeyError) and err.args else err  # no quotes
        reason = " ".join(str(text).split()) or type(err).__name__
        msg = f"{path}: cannot be read as an .h5ad file{what} ({reason})"
        raise ValueError(msg) from None
    if "hclust" not in adata.uns or "cluster" not in adata.obs:
        msg = f"{outdir / 'adata.h5ad'}: no tree or clusters (.uns['hclust'], .obs['cluster'])"
        raise ValueError(msg)
    _check_summary(summary, outdir / "summary.json")
    summary_changed = changed_since_written(outdir / "summary.json")
    # edited (a folder copied with 'cp run/* ...' has no manifest to tell): refused where it
    # contradicts the run's numbers, else reported as it is
    _check_same_run(adata, summary, outdir, summary_edited=summary_changed and not changed)
    # damaged in a way that still reads, or edited: said once the report is written
    edited = [outdir / name for name, edit in (("adata.h5ad", changed),
                                               ("summary.json", summary_changed)) if edit]
    return adata, summary, edited


def _outputs_with_report(summary: dict, outdir: Path) -> list[str] | None:
    """``summary['outputs']`` with the report files, when they are missing and it may change.

    ``None`` when nothing is to change: the report is listed already, or ``summary.json`` is
    not the run's own unchanged file (see :func:`gexclust._outdir.check_replaceable`), or was
    made read-only since: kept as it is, with a warning, and the report written beside it (it
    refused the whole report, though the report files could be written).
    """
    from .._outdir import check_replaceable, read_only

    outputs = summary.get("outputs")
    if not isinstance(outputs, list) or set(REPORT_FILES) <= set(outputs):
        return None
    try:
        check_replaceable(outdir, ["summary.json"])
    except FileExistsError:
        return None
    except PermissionError:
        if not read_only(outdir / "summary.json"):
            raise  # the manifest made read-only: no file can be added, the report neither
        logger.warning("%s: read-only, so left as it is: its 'outputs' do not list the report",
                       outdir / "summary.json")
        return None
    return sorted({*outputs, *REPORT_FILES})


#: What the report reads from ``summary.json`` without a fallback.
SUMMARY_KEYS = ("n_samples", "cophenetic_correlation")


def _check_summary(summary, path: Path) -> None:
    """Refuse a ``summary.json`` that is not a run's, naming what is missing."""
    if not isinstance(summary, dict):
        problem = f"a JSON {type(summary).__name__.replace('dict', 'object')}, expected an object"
    elif missing := [key for key in SUMMARY_KEYS if key not in summary]:
        problem = f"no {missing[0]!r}"
    elif (wrong := _not_a_number(summary)) is not None:
        problem = wrong
    else:
        return
    msg = f"{path}: {problem}; not the summary.json of a 'gexclust run'"
    raise ValueError(msg)


#: Values of ``summary.json`` the report reads as whole numbers (and ``n_genes_clustered``,
#: which may be null), and as numbers or null.
WHOLE_KEYS = ("n_samples", "n_probes")
NUMBER_KEYS = ("cophenetic_correlation", "ari_vs_type", "nmi_vs_type", "purity_vs_type")


def _not_a_number(summary: dict) -> str | None:
    """What is wrong with the first value the report reads as a number that is none, or None.

    E.g. "'n_probes' is "abc", not a whole number". Such a value edited in stopped the report
    with "invalid literal for int() with base 10: 'abc'", naming no file, or was compared as
    another number ("64" for 64).
    """
    missing = summary.get("missing") if isinstance(summary.get("missing"), dict) else {}
    sizes = summary.get("cluster_sizes")
    whole = [(key, summary[key]) for key in WHOLE_KEYS if key in summary]
    whole += [(f"missing.{key}", missing[key]) for key in ("n_missing_values", "n_probes_dropped")
              if missing.get(key) is not None]
    if summary.get("n_genes_clustered") is not None:
        whole.append(("n_genes_clustered", summary["n_genes_clustered"]))
    if isinstance(summary.get("choose_k"), dict) and "k" in summary["choose_k"]:
        whole.append(("choose_k.k", summary["choose_k"]["k"]))
    whole += [(f"cluster_sizes.{key}", n) for key, n in
              (sizes.items() if isinstance(sizes, dict) else [])]
    for name, value in whole:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{name!r} is {json.dumps(value)}, not a whole number"
    for name in NUMBER_KEYS:
        value = summary.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            return f"{name!r} is {json.dumps(value)}, not a number"
    return None


def _check_same_run(adata: AnnData, summary: dict, outdir: Path, *,
                    summary_edited: bool = False) -> None:
    """Refuse an edited ``adata.h5ad`` whose clusters or types no longer give the summary's numbers.

    The report takes ARI, NMI and purity from ``summary.json`` and the clusters and their
    crosstab from the AnnData: after a type relabelled or the tree cut again, it would print
    the run's ARI beside a table that gives another. ``summary_edited``: ``summary.json``,
    not ``adata.h5ad``, differs from what the run wrote (its manifest tells), and is named.
    """
    first = next(_differences(adata, summary), None)
    if first is None:
        return
    if summary_edited:  # before: the untouched adata.h5ad was said to no longer hold the run
        msg = (f"{outdir / 'summary.json'}: changed since gexclust run wrote it, and "
               f"{outdir / 'adata.h5ad'} holds {first}; restore it, or run gexclust run again")
        raise ValueError(msg)
    msg = (f"{outdir / 'adata.h5ad'}: {first}: it no longer holds what "
           f"{outdir / 'summary.json'} records of the run, and a report would show both; "
           "rerun gexclust run (the report of an edited AnnData: gexclust.tl.compare and the "
           "plots in Python)")
    raise ValueError(msg)


def _differences(adata: AnnData, summary: dict):
    """What the AnnData says otherwise than ``summary``: samples, genes, tree, clusters, types."""
    from .._pipeline import type_agreement

    if adata.n_obs != summary["n_samples"]:
        yield f"{adata.n_obs} samples (summary.json: {summary['n_samples']})"
        return
    genes = summary.get("n_genes_clustered")
    if genes is not None and adata.n_vars != genes:  # the silhouette, markers: of other genes
        yield f"{adata.n_vars} genes (summary.json: {genes} clustered)"
        return
    then = summary["cophenetic_correlation"]
    now = adata.uns["hclust"].get("cophenetic_correlation")
    if not _same_number(then, now):  # tl.hclust ran again (the report takes then for now's)
        yield f"a tree of cophenetic correlation {_shown(now)} (summary.json: {_shown(then)})"
        return
    recorded = summary.get("cluster_sizes")
    if isinstance(recorded, dict):
        sizes = adata.obs["cluster"].value_counts(sort=False)
        now = {str(k): int(v) for k, v in sizes.items()}
        if now != {str(k): v for k, v in recorded.items()}:
            yield (f"{len(now)} clusters of {', '.join(map(str, now.values()))} samples "
                   f"(summary.json: {len(recorded)} of "
                   f"{', '.join(str(v) for v in recorded.values())})")
            return
    chosen = summary.get("choose_k")
    record = adata.uns.get("choose_k")
    if (isinstance(chosen, dict) and chosen.get("how") == "auto" and hasattr(record, "get")
            and record.get("k") is not None and int(record["k"]) != chosen.get("k")):
        # tl.choose_k run again: the report gave its k as the one chosen, beside the run's
        # clusters, and its p-value of that k as the p-value of the run's own k
        yield (f"a choice of k = {int(record['k'])} in .uns['choose_k'] (summary.json: the run "
               f"chose and cut at k = {chosen.get('k')})")
        return
    if "ari_vs_type" not in summary:  # a summary of an earlier gexclust: nothing to check
        return
    level = logger.level
    logger.setLevel(logging.ERROR)  # 'left out n samples' was said by the run itself
    try:
        comparison = type_agreement(adata)
    finally:
        logger.setLevel(level)
    for name in ("ari", "nmi", "purity"):
        then = summary.get(f"{name}_vs_type")
        now = None if comparison is None else comparison[name]
        if not _same_number(then, now):
            yield (f"{name.upper() if name != 'purity' else name} vs type {_shown(now)} "
                   f"(summary.json: {_shown(then)})")
            return


def _same_number(then, now) -> bool:
    """Whether a number of ``summary.json`` (``None`` for NaN or none) is ``now``, to rounding."""
    then, now = (None if v is None or math.isnan(float(v)) else float(v) for v in (then, now))
    if then is None or now is None:
        return then is None and now is None
    return math.isclose(then, now, rel_tol=1e-9, abs_tol=1e-12)


def _shown(value) -> str:
    if value is None or math.isnan(float(value)):
        return "none"
    return f"{float(value):.3f}"
