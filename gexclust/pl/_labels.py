"""Readable gene labels: the gene symbol where ``.var`` has one, else the probe id."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from anndata import AnnData


def gene_labels(adata: AnnData, genes, *, gene_symbols: str | None = "gene_symbol") -> list[str]:
    """Label each var name in ``genes`` as ``'SYMBOL (probe)'``, or the probe id alone."""
    if gene_symbols is None or gene_symbols not in adata.var:
        return [str(g) for g in genes]
    symbols = adata.var[gene_symbols].astype(str)
    labels = []
    for gene in genes:
        symbol = symbols.get(gene, "")
        if symbol in ("", "nan"):
            labels.append(str(gene))
            continue
        first, *rest = symbol.split(" /// ")
        labels.append(f"{first}{'+' if rest else ''} ({gene})")
    return labels
