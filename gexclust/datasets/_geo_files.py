"""GEO-format files (series matrix, family SOFT, platform .annot) of the simulated example.

They let the GEO readers and the download code be exercised offline, for instance against a
local HTTP server that mirrors GEO's folder layout. Values are the simulated ones of
:func:`gexclust.datasets.gse9476_example`; sample ids, titles and probe ids are real.
"""

from __future__ import annotations

import gzip
import io
import os
from pathlib import Path

import numpy as np

from .._atomic import atomic_path
from ..io._geo_layout import geo_folder
from ._gse9476 import SIMULATED_NOTE, gse9476_example

SERIES = "GSE9476"
PLATFORM = "GPL96"


def write_gse9476_geo(directory: str | os.PathLike, *, random_state: int = 0) -> dict[str, Path]:
    """Write the example as GEO would serve it, under ``directory`` in GEO's layout.

    Files (gzipped): ``series/GSE9nnn/GSE9476/matrix/GSE9476_series_matrix.txt.gz``,
    ``series/GSE9nnn/GSE9476/soft/GSE9476_family.soft.gz`` and
    ``platforms/GPLnnn/GPL96/annot/GPL96.annot.gz``. Returns their paths by kind
    (``'matrix'``, ``'soft'``, ``'annot'``).
    """
    adata = gse9476_example(random_state=random_state)
    root = Path(directory)
    series_dir = root / "series" / geo_folder(SERIES) / SERIES
    paths = {
        "matrix": series_dir / "matrix" / f"{SERIES}_series_matrix.txt.gz",
        "soft": series_dir / "soft" / f"{SERIES}_family.soft.gz",
        "annot": root / "platforms" / geo_folder(PLATFORM) / PLATFORM / "annot" / f"{PLATFORM}.annot.gz",  # noqa: E501
    }
    _write_gz(paths["matrix"], series_matrix_text(adata))
    _write_gz(paths["soft"], family_soft_text(adata))
    _write_gz(paths["annot"], annot_text(adata))
    return paths


def _write_gz(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(gzip.compress(text.encode(), compresslevel=1, mtime=0))


def _characteristics(adata) -> list[str]:
    return [f"disease state: {'AML' if t == 'AML' else 'Control'}" for t in adata.obs["type"]]


def _formatted_rows(X: np.ndarray) -> list[str]:
    """Each row of ``X`` as tab-separated values with 6 decimals, as GEO writes them."""
    buffer = io.StringIO()
    np.savetxt(buffer, X, fmt="%.6f", delimiter="\t")
    return buffer.getvalue().splitlines()


def series_matrix_text(adata) -> str:
    """The example as a GEO series matrix."""
    def quoted(values) -> str:
        return "\t".join(f'"{v}"' for v in values)

    gsm = adata.obs_names
    lines = [
        f'!Series_title\t"Simulated fixture in the layout of {SERIES}"',
        f'!Series_geo_accession\t"{SERIES}"',
        f'!Series_summary\t"{SIMULATED_NOTE}"',
        f'!Series_platform_id\t"{PLATFORM}"',
        f"!Sample_title\t{quoted(adata.obs['title'])}",
        f"!Sample_geo_accession\t{quoted(gsm)}",
        f"!Sample_source_name_ch1\t{quoted(['simulated'] * adata.n_obs)}",
        f"!Sample_characteristics_ch1\t{quoted(_characteristics(adata))}",
        f"!Sample_platform_id\t{quoted([PLATFORM] * adata.n_obs)}",
        "!series_matrix_table_begin",
        f'"ID_REF"\t{quoted(gsm)}',
    ]
    for probe, values in zip(adata.var_names, _formatted_rows(adata.X.T), strict=True):
        lines.append(f'"{probe}"\t{values}')
    lines.append("!series_matrix_table_end")
    return "\n".join(lines) + "\n"


def family_soft_text(adata) -> str:
    """The example as a GEO family SOFT (series, GPL96 platform table, 64 samples)."""
    out = [f"^SERIES = {SERIES}", f"!Series_title = Simulated fixture in the layout of {SERIES}",
           f"!Series_geo_accession = {SERIES}", f"!Series_summary = {SIMULATED_NOTE}",
           f"!Series_platform_id = {PLATFORM}", f"^PLATFORM = {PLATFORM}",
           f"!Platform_geo_accession = {PLATFORM}",
           "#ID = ", "#Gene Symbol = ", "#ENTREZ_GENE_ID = ", "!platform_table_begin",
           "ID\tGene Symbol\tENTREZ_GENE_ID"]
    out += [f"{p}\t{s}\t{e}" for p, s, e in
            zip(adata.var_names, adata.var["gene_symbol"], adata.var["entrez_id"], strict=True)]
    out.append("!platform_table_end")
    per_sample = _formatted_rows(adata.X)
    characteristics = _characteristics(adata)
    for i, gsm in enumerate(adata.obs_names):
        out += [f"^SAMPLE = {gsm}", f"!Sample_title = {adata.obs['title'].iloc[i]}",
                f"!Sample_geo_accession = {gsm}", "!Sample_source_name_ch1 = simulated",
                f"!Sample_characteristics_ch1 = {characteristics[i]}",
                f"!Sample_platform_id = {PLATFORM}", "#ID_REF = ", "#VALUE = simulated log2",
                "!sample_table_begin", "ID_REF\tVALUE"]
        values = per_sample[i].split("\t")
        out += [f"{p}\t{v}" for p, v in zip(adata.var_names, values, strict=True)]
        out.append("!sample_table_end")
    return "\n".join(out) + "\n"


def annot_text(adata) -> str:
    """The bundled GPL96 annotation as a GEO ``.annot`` file."""
    out = [f"^Annotation = {PLATFORM}", f"!Annotation_platform = {PLATFORM}",
           "#ID = probe id", "#Gene title = ", "#Gene symbol = ", "#Gene ID = Entrez Gene id",
           "!platform_table_begin", "ID\tGene title\tGene symbol\tGene ID"]
    out += [f"{p}\t\t{s}\t{e}" for p, s, e in
            zip(adata.var_names, adata.var["gene_symbol"], adata.var["entrez_id"], strict=True)]
    out.append("!platform_table_end")
    return "\n".join(out) + "\n"
