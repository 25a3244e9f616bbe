"""Probe annotation for platforms bundled with gexclust (only what the example needs: GPL96)."""

from __future__ import annotations

import functools
from importlib import resources

import pandas as pd
from anndata import AnnData

from .._logging import logger

#: Share of probe ids that must be found in a bundled platform to annotate with it.
MIN_OVERLAP = 0.9


@functools.cache
def bundled_gpl96() -> pd.DataFrame:
    """Probe id, gene symbol and Entrez id of GPL96 (HG-U133A), from GEO's platform record.

    Empty symbols (controls, unannotated probes) are empty strings.
    """
    ref = resources.files("gexclust.datasets") / "_data" / "gpl96_probes.tsv.gz"
    with resources.as_file(ref) as path:
        table = pd.read_csv(
            path, sep="\t", dtype=str, keep_default_na=False, index_col="probe_id"
        )
    return table


def annotate_known_platform(adata: AnnData) -> None:
    """Add ``gene_symbol``/``entrez_id`` to ``.var`` when the probes are GPL96's.

    A column among GPL96's probes that is none of them (``age``, ``batch``, a column of the
    sample sheet pasted in) is read as one more gene, clustered and maybe selected as the most
    variable: a warning names it.
    """
    table = bundled_gpl96()
    found = adata.var_names.isin(table.index)
    if found.mean() < MIN_OVERLAP:
        return
    if not found.all():
        _warn_foreign_columns(adata, adata.var_names[~found])
    annot = table.reindex(adata.var_names).fillna("")
    adata.var["gene_symbol"] = annot["gene_symbol"].to_numpy()
    adata.var["entrez_id"] = annot["entrez_id"].to_numpy()
    adata.uns["platform"] = "GPL96"
    logger.info("annotated %d probes from bundled GPL96 table", int(found.sum()))


def _warn_foreign_columns(adata: AnnData, names: pd.Index) -> None:
    path = adata.uns.get("source", {}).get("path", "the table")
    shown = ", ".join(map(repr, names[:5])) + (", ..." if len(names) > 5 else "")
    logger.warning("%s: %d of %d columns are not GPL96 probe ids (%s): read as genes; leave them "
                   "out if they describe the samples", path, len(names), adata.n_vars, shown)
