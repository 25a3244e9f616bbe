"""Readable gene labels: the gene symbol where ``.var`` has one, else the probe id."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from anndata import AnnData


def gene_labels(adata: AnnData, positions, *,
                gene_symbols: str | None = "gene_symbol") -> list[str]:
    """Label the genes at ``positions`` as ``'SYMBOL (probe)'``, or the probe id alone.

    Genes are taken by position, so repeated var names keep their own symbols.
    """
    genes = adata.var_names[positions]
    if gene_symbols is None or gene_symbols not in adata.var:
        return [str(g) for g in genes]
    from .._labels import gene_texts

    # a gene without a symbol (None, NaN, '---', 'nan') has none: astype(str) made it 'None',
    # and under pandas 3 kept NaN, a float; Entrez ids in a float column read '7157.0'
    symbols = gene_texts(adata.var[gene_symbols])[positions]
    labels = []
    for gene, symbol in zip(genes, symbols, strict=True):
        if symbol == "":
            labels.append(str(gene))
            continue
        first, *rest = symbol.split(" /// ")
        labels.append(f"{first}{'+' if rest else ''} ({gene})")
    return labels


def var_positions(adata: AnnData, names, *, caller: str) -> np.ndarray:
    """Positions of the var ``names`` (a marker table's genes), refusing ambiguous names.

    A marker table names its genes; when one of those names is shared by several genes
    (anndata allows repeated var names) it cannot be told which one was meant.
    """
    names = list(dict.fromkeys(names))
    if adata.var_names.is_unique:
        return adata.var_names.get_indexer(names)
    counts = adata.var_names.value_counts()
    repeated = [name for name in names if counts.get(name, 0) > 1]
    if repeated:
        msg = (f"{caller}: the marker gene {repeated[0]!r} is the var name of "
               f"{counts[repeated[0]]} genes ({len(repeated)} marker name(s) repeated), so its "
               "row cannot be told; make var names unique first: adata.var_names_make_unique()")
        raise ValueError(msg)
    return np.array([adata.var_names.get_loc(name) for name in names], dtype=np.intp)
