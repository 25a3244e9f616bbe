"""An offline, simulated dataset in the real GSE9476 layout."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
from anndata import AnnData

from .._api import renamed
from .._checks import check_whole
from ..io._platform import bundled_gpl96

SIMULATED_NOTE = (
    "SIMULATED VALUES: real GSE9476 sample ids/titles and GPL96 probe ids, but expression values "
    "drawn from a seeded model by gexclust.datasets.gse9476_example. Not real measurements."
)

#: Marker genes per expression program; each program also gets random extra probes.
PROGRAMS: dict[str, list[str]] = {
    "progenitor": ["CD34", "PROM1", "KIT", "FLT3", "CRHBP", "HLF", "MEIS1", "SPINK2", "BAALC"],
    "erythroid": ["HBB", "HBA1", "HBD", "CA1", "GYPA", "ALAS2", "AHSP", "EPB42", "SLC4A1"],
    "lymphoid": ["CD3E", "CD3D", "CD2", "MS4A1", "CD79A", "GZMB", "NKG7", "IL7R", "CCR7"],
    "mature_myeloid": ["S100A8", "S100A9", "FCGR3B", "CXCR2", "LTF", "CAMP", "MMP9", "FCN1"],
    "leukemic": ["MPO", "AZU1", "PRTN3", "CTSG", "HOXA9", "CD33", "SOX4", "MN1", "WT1"],
    "mobilised": ["CD52", "SELL", "ITGB2", "CCL5", "PTPRC", "LYZ", "VIM", "CST3"],
}

#: Mean activity (log2 units above baseline) of each program per CuMiDa class.
ACTIVITY = pd.DataFrame(
    {
        "AML": [1.2, 0.0, 0.2, 0.3, 2.6, 0.4],
        "Bone_Marrow": [0.3, 2.8, 1.4, 2.2, 0.5, 0.8],
        "Bone_Marrow_CD34": [2.6, 0.5, 0.2, 0.2, 1.0, 0.2],
        "PB": [0.0, 0.3, 2.8, 2.4, 0.0, 1.6],
        "PBSC_CD34": [2.6, 0.3, 0.2, 0.1, 0.9, 1.6],
    },
    index=list(PROGRAMS),
)

PROBES_PER_PROGRAM = 120


@renamed("seed", "random_state", qualified="datasets.gse9476_example")
def gse9476_example(*, random_state: int = 0) -> AnnData:
    """Simulated expression in the layout of GEO series GSE9476 (leukemia vs normal blood/marrow).

    **The expression values are simulated**, so the package runs offline without a 13 MB matrix.
    Everything else is real: the 64 GSM ids and sample titles of GSE9476, in the five CuMiDa
    classes (AML 26, Bone_Marrow 10, Bone_Marrow_CD34 8, PB 10, PBSC_CD34 10), and the 22,283
    probe ids of GPL96 (HG-U133A) with their gene symbols.

    The model, on an RMA-like log2 scale (about 3-14):

    - each probe has a baseline (about 45 % unexpressed near 4, the rest expressed near 8) and
      its own noise level;
    - six expression programs (progenitor, erythroid, lymphoid, mature myeloid, leukemic,
      mobilised), each made of known marker genes plus random probes, are switched on with
      class-specific strength and per-sample variation, which plants the class structure;
    - a per-sample technical factor shifts the unexpressed probes a little, as scan and
      background differences do on real arrays. After z-scoring every probe, this factor alone
      can dominate distances, which is why gexclust's default recipe selects variable genes first.

    Parameters
    ----------
    random_state
        Seed of the random generator; the same seed gives bit-identical values (``seed=`` is
        its former name, still taken with a ``FutureWarning``).

    Returns
    -------
    AnnData with ``.X`` (64 x 22,283, float64, log2), ``.obs['type']`` (categorical CuMiDa
    class), ``.obs['title']``, ``.obs['samples']`` (the CuMiDa row number 1..64),
    ``.var['gene_symbol']``, ``.var['entrez_id']``, ``.var['program']`` (the planted program
    of each probe, ``''`` for none), ``.uns['simulated']`` with the model notes,
    ``.uns['source']`` (``format`` ``'simulated'``) and ``.uns['platform']`` (``'GPL96'``).

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> adata.shape
    (64, 22283)
    """
    check_whole("random_state", random_state, caller="datasets.gse9476_example")
    rng = np.random.default_rng(random_state)
    obs = _samples()
    var = bundled_gpl96().rename_axis(None)
    n_obs, n_vars = len(obs), len(var)

    expressed = rng.random(n_vars) < 0.55
    baseline = np.where(
        expressed, rng.normal(8.0, 1.6, n_vars), rng.normal(4.0, 0.6, n_vars)
    ).clip(2.5, 13.5)
    noise_sd = np.where(expressed, 0.22, 0.12) * rng.lognormal(0.0, 0.35, n_vars)
    X = baseline[None, :] + rng.normal(size=(n_obs, n_vars)) * noise_sd[None, :]

    # technical factor: small absolute shifts of unexpressed probes, correlated across probes
    tech = rng.normal(size=n_obs)
    loading = np.where(expressed, 0.0, rng.normal(0.04, 0.015, n_vars))
    X += tech[:, None] * loading[None, :]

    program, is_marker = _assign_programs(var, baseline, rng)
    # canonical markers are off (low) by default and respond most strongly to their program
    X[:, is_marker] += rng.normal(5.5, 0.4, is_marker.sum()) - baseline[is_marker]
    types = obs["type"].to_numpy()
    for name in PROGRAMS:
        members = np.flatnonzero(program == name)
        effect = np.where(is_marker[members], 2.2, rng.uniform(0.6, 1.4, members.size))
        mean_activity = ACTIVITY.loc[name, types].to_numpy(dtype=float)
        activity = np.clip(mean_activity * rng.lognormal(0.0, 0.08, n_obs), 0.0, None)
        X[:, members] += activity[:, None] * effect[None, :]

    X = X.clip(2.0, 14.5)
    var = var.assign(program=program)
    adata = AnnData(X=X, obs=obs, var=var)
    adata.uns["simulated"] = {"note": SIMULATED_NOTE, "random_state": random_state,
                             "model": "gse9476_example"}
    adata.uns["source"] = {"path": "<gexclust.datasets.gse9476_example>", "format": "simulated"}
    adata.uns["platform"] = "GPL96"
    return adata


def _samples() -> pd.DataFrame:
    ref = resources.files("gexclust.datasets") / "_data" / "gse9476_samples.tsv"
    with resources.as_file(ref) as path:
        table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    return pd.DataFrame(
        {
            "title": table["title"].to_numpy(),
            "type": pd.Categorical(table["type"]),
            "samples": np.arange(1, len(table) + 1),
        },
        index=pd.Index(table["geo_accession"].to_numpy(), dtype=str),
    )


def _assign_programs(var: pd.DataFrame, baseline: np.ndarray, rng):
    """Give each program its marker probes plus random mid-expressed, unassigned probes.

    Returns the program name per probe (``''`` for none) and a mask of the marker probes.
    """
    program = np.full(len(var), "", dtype=object)
    symbols = var["gene_symbol"].to_numpy()
    for name, genes in PROGRAMS.items():
        program[np.isin(symbols, genes)] = name
    is_marker = program != ""
    # mid-range probes, so programs switched on stay below the scanner's saturation
    eligible = (baseline > 5.0) & (baseline < 10.0)
    for name in PROGRAMS:
        free = np.flatnonzero((program == "") & eligible)
        program[rng.choice(free, PROBES_PER_PROGRAM, replace=False)] = name
    return program.astype(str), is_marker
