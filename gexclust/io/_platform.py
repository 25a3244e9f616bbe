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
    """Add ``gene_symbol``/``entrez_id`` to ``.var`` when the probes are GPL96's."""
    table = bundled_gpl96()
    found = adata.var_names.isin(table.index)
    if found.mean() < MIN_OVERLAP:
        return
    annot = table.reindex(adata.var_names).fillna("")
    adata.var["gene_symbol"] = annot["gene_symbol"].to_numpy()
    adata.var["entrez_id"] = annot["entrez_id"].to_numpy()
    adata.uns["platform"] = "GPL96"
    logger.info("annotated %d probes from bundled GPL96 table", int(found.sum()))
