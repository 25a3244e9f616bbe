"""Cluster 3.0 / Java TreeView files (``.cdt``, ``.atr``, ``.gtr``) from an hclust result."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from anndata import AnnData

from .._api import named
from .._atomic import atomic_paths, synced_text
from .._checks import check_output_path
from .._labels import check_gene_symbols, gene_texts, label_texts
from .._utils import get_matrix
from ..tl._tree_access import get_tree
from ._heights import drawn_heights
from ._utf8 import refuse_unencodable

#: Values written per block of genes of the .cdt.
_BLOCK_VALUES = 1 << 20

#: Metrics whose heights are 1 - a similarity in [-1, 1]; others are rescaled (see below).
SIMILARITY_METRICS = ("correlation", "spearman", "cosine")


@named("io.write_treeview")
def write_treeview(
    adata: AnnData,
    prefix: str | os.PathLike,
    *,
    key: str = "hclust",
    gene_key: str | None = None,
    layer: str | None = None,
    gene_name: str | None = "gene_symbol",
) -> list[Path]:
    r"""Write the clustered data as Cluster 3.0 writes it, for Java TreeView.

    Writes ``{prefix}.cdt`` (genes as rows, samples as columns in tree order), ``{prefix}.atr``
    (the sample tree) and, when a gene tree is given, ``{prefix}.gtr``.

    The layout is Cluster 3.0's: a header ``[GID] UNIQID NAME GWEIGHT samples...``; an ``AID``
    row of ``ARRY{j}X`` ids; an ``EWEIGHT`` row; then ``[GENE{i}X] id name weight values...``
    (``i``, ``j``: the leaf numbers of the trees, i.e. 0-based positions in ``adata`` when
    ``tl.hclust`` ran; trees are matched to the samples by name, so reordering ``adata``
    afterwards changes nothing; a missing value is an empty field). A tree
    file has one line per merge, in merge order: ``NODE{k}X``, left child, right child, and a
    similarity. TreeView needs the similarity in [-1, 1]: for ``correlation``, ``spearman`` and
    ``cosine`` trees it is ``1 - height`` (Cluster 3.0's convention); for other metrics
    (euclidean and ward heights are unbounded) it is ``1 - height / max height``, so the root
    is at 0 and the leaves at 1 - the tree's shape and order are kept, its scale is not.
    A merge of a centroid or median tree lower than a merge it contains (an inversion) is
    written, as Cluster 3.0 writes it, at the similarity of its highest child, so that no
    branch of the drawing runs backwards.

    Parameters
    ----------
    adata
        Annotated data with a sample tree in ``.uns[key]`` (:func:`gexclust.tl.hclust`).
    prefix
        Path without extension (a ``.cdt``, ``.atr`` or ``.gtr`` it ends in is dropped, so
        ``'out.cdt'`` writes ``out.cdt`` and ``out.atr``). The files are written as a set:
        all to temporary names first, then renamed into place together, so a failure or a
        stop leaves the earlier files of ``prefix`` as they were, never a new ``.cdt`` beside
        an old ``.atr``.
    key
        ``.uns`` key of the sample tree (``axis='obs'``).
    gene_key
        ``.uns`` key of a gene tree (``hclust(adata, axis='var', key_added=...)``), or ``None``
        for genes in their ``adata`` order and no ``.gtr``.
    layer
        Values to write (default ``.X``).
    gene_name
        ``.var`` column for the ``NAME`` column (gene symbols); the var name when the default
        column is absent or a gene's symbol is missing or empty (another name that is no
        column is refused).

    Returns
    -------
    The paths written.

    Raises
    ------
    ValueError
        If a sample name, gene id or gene name is not UTF-8 text (a lone surrogate such as
        ``'\udcff'``, Python's stand-in for an undecodable byte), naming it. Nothing is
        written then.
    FileExistsError
        If ``gene_key`` is ``None`` and ``{prefix}.gtr`` exists (say from an earlier write
        with a gene tree). Java TreeView reads a ``.gtr`` only when the ``.cdt`` has a ``GID``
        column, so it would not show it, but the file would stay beside a ``.cdt`` it does
        not belong to. gexclust never removes a file it cannot tell it wrote (Cluster 3.0
        writes the same layout): remove it, write to another prefix, or pass ``gene_key``.
        Nothing is written then.

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, n_top=200, subset=True)
    >>> gx.pp.scale(adata)
    >>> gx.tl.hclust(adata)
    >>> [p.name for p in gx.io.write_treeview(adata, "gse9476")]
    ['gse9476.cdt', 'gse9476.atr']
    """
    check_output_path(prefix, caller="io.write_treeview", name="prefix", example="tree")
    prefix = Path(prefix)
    if prefix.suffix.lower() in (".cdt", ".atr", ".gtr"):  # not 'out.cdt.cdt'
        prefix = prefix.with_suffix("")
    samples = get_tree(adata, key, axis="obs", caller="io.write_treeview")
    check_gene_symbols(adata.var, gene_name, caller="io.write_treeview", param="gene_name")
    genes = None if gene_key is None else get_tree(adata, gene_key, axis="var",
                                                   caller="io.write_treeview")
    if genes is None:
        gene_ids = gene_rows = np.arange(adata.n_vars)
    else:
        gene_ids, gene_rows = genes.leaves, genes.leaf_rows
    paths = [prefix.with_name(prefix.name + ext) for ext in (".cdt", ".atr", ".gtr")]
    if genes is None:
        _refuse_stale_gene_tree(paths[2], paths[0])
        paths.pop()
    _refuse_unencodable(adata, paths[0], gene_name=gene_name)
    # all files first, then all renamed: a failure or a stop never leaves a new .cdt beside
    # an old .atr (TreeView would draw the old tree over the new order)
    with atomic_paths(paths) as tmps:
        _write_cdt(adata, tmps[0], (samples.leaves, samples.leaf_rows), (gene_ids, gene_rows),
                   layer=layer, gene_name=gene_name, gene_ids=genes is not None)
        _write_tree(tmps[1], samples.linkage, "ARRY", _metric(adata, key))
        if genes is not None:
            _write_tree(tmps[2], genes.linkage, "GENE", _metric(adata, gene_key))
    return paths


def _refuse_stale_gene_tree(gtr: Path, cdt: Path) -> None:
    """Refuse to write a set without gene tree beside a ``.gtr`` of the same prefix.

    Java TreeView reads the ``.gtr`` only when the ``.cdt`` has a ``GID`` column, so it would
    not draw it; but the file would stay beside a ``.cdt`` it does not belong to, for the next
    program or person to pair them. gexclust cannot tell it wrote that file (Cluster 3.0
    writes the same layout), and never removes what it did not write: the user decides.
    """
    if gtr.exists() or gtr.is_symlink():
        msg = (f"io.write_treeview: {gtr}: a gene tree from an earlier write would stay beside "
               f"the new {cdt.name}, which has none (gene_key=None); remove it, write to "
               f"another prefix, or pass gene_key= to write a new one")
        raise FileExistsError(msg)


def _refuse_unencodable(adata: AnnData, cdt: Path, *, gene_name: str | None) -> None:
    """Refuse a sample name, gene id or gene name the UTF-8 ``.cdt`` cannot hold, up front.

    Met while writing, it raised a bare UnicodeEncodeError naming no file and no sample.
    """
    refuse_unencodable(cdt, adata.obs_names, what="sample name", source="obs_names")
    refuse_unencodable(cdt, adata.var_names, what="gene id", source="var_names")
    if gene_name is not None and gene_name in adata.var:
        refuse_unencodable(cdt, label_texts(adata.var[gene_name]), what="gene name",
                           source=f".var[{gene_name!r}]")


def _metric(adata: AnnData, key: str) -> str:
    return str(adata.uns[key].get("params", {}).get("metric", "euclidean"))


def similarities(Z: np.ndarray, metric: str) -> np.ndarray:
    """Similarity in [-1, 1] written for each merge (see :func:`write_treeview`).

    A merge of a centroid or median tree that lies below a merge it contains (an inversion)
    is written at the similarity of that child, as Cluster 3.0 writes it
    (:func:`~gexclust.io._heights.drawn_heights`): TreeView places each node at its
    similarity, and would draw such a branch running backwards.
    """
    heights = drawn_heights(Z)
    if metric in SIMILARITY_METRICS:
        return 1.0 - heights
    top = heights.max()
    return 1.0 - heights / top if top > 0 else np.ones_like(heights)


def _write_tree(path: Path, Z: np.ndarray, leaf: str, metric: str) -> None:
    n = Z.shape[0] + 1

    def name(child: int) -> str:
        return f"{leaf}{child}X" if child < n else f"NODE{child - n + 1}X"

    sims = similarities(Z, metric)
    with synced_text(path) as fh:
        for k, (left, right) in enumerate(Z[:, :2].astype(np.int64)):
            fh.write(f"NODE{k + 1}X\t{name(left)}\t{name(right)}\t{sims[k]:.6f}\n")


def _clean(values) -> list[str]:
    """Labels without the tabs and line breaks that would break the tab-separated layout."""
    return [" ".join(str(v).split()) for v in values]


def _write_cdt(adata, path: Path, samples, genes, *, layer, gene_name, gene_ids: bool) -> None:
    """``samples``, ``genes``: (leaf ids of the tree, rows of ``adata``) in tree order."""
    (sample_ids, sample_order), (gene_leaf_ids, gene_order) = samples, genes
    X = get_matrix(adata, layer=layer, caller="io.write_treeview")
    ids = _clean(adata.var_names)
    if gene_name is not None and gene_name in adata.var:
        symbols = gene_texts(adata.var[gene_name])  # Entrez ids in floats: '7157', not .0
        # GEO platforms give a probe without a symbol an empty field, read as '' (not NaN),
        # Affymetrix's files '---': TreeView labels rows by NAME, so such a row is named by
        # its id rather than blank or '---' (as the plots label it)
        names = _clean(np.where(symbols != "", symbols, adata.var_names.to_numpy(dtype=object)))
    else:
        names = ids
    lead = ["GID"] if gene_ids else []
    header = [*lead, "UNIQID", "NAME", "GWEIGHT", *_clean(adata.obs_names[sample_order])]
    blanks = [""] * (len(lead) + 2)
    aid = ["AID", *blanks, *(f"ARRY{j}X" for j in sample_ids)]
    eweight = ["EWEIGHT", *blanks, *(["1.000000"] * len(sample_order))]
    # a block of genes at a time: a copy of the whole matrix as text rows would take several
    # times its size (100,000 cells x 2,000 genes: +3 GB), a block a few MB. Each row is
    # formatted by one %-format of all its values: pandas' to_csv formats a frame as wide as
    # 100,000 cells cell by cell, about 13x slower (12 min for 100,000 x 2,000 here).
    step = max(1, _BLOCK_VALUES // max(1, len(sample_order)))
    row_format = "\t".join([VALUE_FORMAT] * len(sample_order))
    with synced_text(path) as fh:
        for row in (header, aid, eweight):
            fh.write("\t".join(row) + "\n")
        for start in range(0, len(gene_order), step):
            genes = gene_order[start : start + step]
            block = np.asarray(X[np.ix_(sample_order, genes)].T, dtype=np.float64)
            lead_ids = ([f"GENE{i}X" for i in gene_leaf_ids[start : start + step]]
                        if gene_ids else None)
            lines = []
            for t, (gene, values) in enumerate(zip(genes, block, strict=True)):
                front = [ids[gene], names[gene], "1.000000"]
                if lead_ids is not None:
                    front.insert(0, lead_ids[t])
                lines.append("\t".join([*front, _values_text(values, row_format)]))
            fh.write("\n".join(lines) + "\n")


#: How each value of the .cdt is written (6 significant digits, as Cluster 3.0).
VALUE_FORMAT = "%.6g"


def _values_text(values: np.ndarray, row_format: str) -> str:
    """The tab-separated text of one row of values; a missing value is an empty field."""
    if np.isnan(values).any():
        return "\t".join("" if np.isnan(v) else VALUE_FORMAT % v for v in values.tolist())
    return row_format % tuple(values.tolist())
