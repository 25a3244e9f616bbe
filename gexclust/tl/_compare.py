"""Agreement between two labellings (e.g. known sample type vs. clusters)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata import AnnData

from .._api import named
from .._labels import check_labels, has_label, no_classes
from .._logging import logger
from .._palette import as_categorical
from .._utils import view_to_actual
from ._tree_access import refuse_other_result, refuse_tree_key


@named("tl.compare")
def compare(
    adata: AnnData,
    *,
    reference: str,
    clusters: str,
    key_added: str | None = None,
    inplace: bool = True,
) -> dict[str, object] | None:
    """Compare a reference labelling with clusters: crosstab, ARI, NMI and purity.

    Parameters
    ----------
    adata
        Annotated data matrix.
    reference
        ``.obs`` column with the known labels (e.g. ``'type'``). Labels are categories,
        strings or whole numbers; measurements (numbers with fractions, or more distinct
        values than half the samples) are refused, as in :func:`~gexclust.tl.markers`;
        so are labels that name no classes, a different label for every sample compared
        (a sample id), which no clustering can agree with (scored, they would give an ARI of
        0 and an NMI that reflects only the number of clusters), or one label for all of them
        (one class: ARI 0 and NMI 0 against any clusters).
    clusters
        ``.obs`` column with the clusters (e.g. ``'cluster'``).
    key_added
        Key in ``.uns``; defaults to ``f'compare_{reference}_{clusters}'``, with any ``/`` of
        the columns' names as ``_`` (``.h5ad`` cannot store a ``/`` in a key). A key holding
        anything but an earlier result of this function (a column's record or colours,
        another tool's result) is refused.
    inplace
        Store the result in ``.uns[key_added]`` and return ``None`` (as scanpy's tools);
        ``False`` returns it and leaves ``adata`` unchanged.

    Returns
    -------
    ``None`` when ``inplace`` (the result is written to ``.uns[key_added]``), else the result:
    a dict with

    - ``crosstab``: DataFrame, reference labels x clusters, counts (its index and columns
      named ``reference`` and ``clusters``; an h5ad or zarr file keeps the index's name only,
      see ``params``); a '/' in a column label is written as '∕' (U+2215, division slash),
      since columns become keys in h5ad and zarr files, which cannot hold '/';
    - ``ari``: adjusted Rand index (1 = identical partitions, about 0 = chance);
    - ``nmi``: normalised mutual information (arithmetic mean normalisation, as scikit-learn);
    - ``purity``: share of samples whose cluster's majority label is their own label;
    - ``n_compared``: samples with both labels, the ones all of the above count;
    - ``n_left_out``: samples left out because either label is missing, so unlabelled
      samples never form a class of their own (also logged as a warning). Missing is NaN,
      None, a blank string (an empty CSV field), or a text that pandas' ``read_csv`` (and
      :func:`~gexclust.io.read_cumida`) reads as missing: ``'NA'``, ``'N/A'``, ``'nan'``,
      ``'None'``, ``'<NA>'``, ``'null'``, ``'#N/A'`` and the rest of pandas' default
      ``na_values``. ``.astype(str)`` of a column with missing values gives such texts
      (``'nan'``, ``'None'``), which therefore count as missing too, not as a class;
    - ``params``: ``reference`` and ``clusters``, the two columns compared.

    Examples
    --------
    >>> import anndata as ad, numpy as np, pandas as pd, gexclust as gx
    >>> adata = ad.AnnData(np.zeros((4, 1)), obs=pd.DataFrame(
    ...     {"type": list("aabb"), "cluster": list("1122")}, index=list("wxyz")))
    >>> gx.tl.compare(adata, reference="type", clusters="cluster")
    >>> adata.uns["compare_type_cluster"]["ari"]
    1.0
    """
    if key_added is None:  # not '': an empty key is refused, not taken for the default
        key_added = f"compare_{reference}_{clusters}".replace("/", "_")
    if inplace:
        refuse_tree_key(adata, key_added, caller="tl.compare")
        refuse_other_result(adata, key_added, own="crosstab", caller="tl.compare")
    for key in (reference, clusters):
        if key not in adata.obs:
            from ._markers import no_groupby_column

            raise KeyError(no_groupby_column(adata, key, caller="tl.compare"))
        check_labels(adata.obs[key], key=key, caller="tl.compare")
    labelled = has_label(adata.obs[reference]) & has_label(adata.obs[clusters])
    n_left_out = int((~labelled).sum())
    if n_left_out:
        logger.warning(
            "tl.compare: left out %d of %d %s without a %r or %r label",
            n_left_out, adata.n_obs, "sample" if n_left_out == 1 else "samples",
            reference, clusters,
        )
    if not labelled.any():
        msg = f"tl.compare: no sample has both a {reference!r} and a {clusters!r} label"
        raise ValueError(msg)
    ref, clu = (_labels(adata.obs[key], labelled) for key in (reference, clusters))
    why = no_classes(ref, key=reference)
    if why is not None:  # one class, or each its own: ARI 0 (and NMI 0 or > 0) mean nothing
        hint = f"; is .obs[{reference!r}] a sample id?" if len(set(ref)) > 1 else ""
        msg = f"tl.compare: {why}{hint}"
        raise ValueError(msg)
    table = pd.crosstab(pd.Series(ref, name=reference), pd.Series(clu, name=clusters))
    counts = table.to_numpy()
    result = {
        "crosstab": pd.DataFrame(
            counts, index=table.index.astype(str), columns=_column_names(table.columns)
        ),
        "ari": adjusted_rand_index(counts),
        "nmi": normalized_mutual_info(counts),
        "purity": float(counts.max(axis=0).sum() / counts.sum()),
        "n_compared": int(labelled.sum()),
        "n_left_out": n_left_out,
        "params": {"reference": reference, "clusters": clusters},
    }
    if not inplace:
        return result
    view_to_actual(adata)  # as scanpy: a view becomes an AnnData of its own, without a warning
    adata.uns[key_added] = result
    return None


#: What a '/' in a label becomes in the crosstab's columns: DIVISION SLASH, which looks the same
SLASH = "\u2215"


def _column_names(labels: pd.Index) -> pd.Index:
    """``labels`` as the crosstab's column names, each '/' written as ``SLASH``.

    Columns of a DataFrame in ``.uns`` become keys in an h5ad or zarr file, which refuse '/'
    (``sc.datasets.pbmc68k_reduced``'s ``'CD4+/CD25 T Reg'``: ``adata.write_h5ad`` failed with
    "Forward slashes are not allowed in keys", or with h5py's "Incompatible object (Dataset)
    already exists" for ``'A/B'`` beside ``'A/B/C'``); the index keeps its labels as they are.
    """
    names = labels.astype(str)
    if names.str.contains("/", regex=False).any():
        logger.info("tl.compare: '/' in the labels of the crosstab's columns is written as %r "
                    "(h5ad and zarr keys cannot hold '/')", SLASH)
        names = names.str.replace("/", SLASH, regex=False)
    return names


def _labels(column, labelled: np.ndarray) -> pd.Categorical:
    """The labels of the ``labelled`` samples, named and ordered as the column's categories.

    As :func:`~gexclust.tl.markers` and the plots name them (a nullable ``Int64`` column with
    a missing value gives ``'1'``, not ``'1.0'``), and in their order (clusters ``'1'`` to
    ``'12'``, not ``'1'``, ``'10'``, ``'11'``, ``'12'``, ``'2'``).
    """
    categorical = as_categorical(column)
    codes = np.asarray(categorical.codes)[labelled]
    names = np.asarray(categorical.categories.astype(str), dtype=object)
    order = pd.unique(names[np.unique(codes)])  # categories in use, in their order
    return pd.Categorical(names[codes], categories=order)


def _pairs(n) -> np.ndarray:
    """Number of unordered pairs among ``n`` items (n choose 2), elementwise."""
    n = np.asarray(n, dtype=np.float64)
    return n * (n - 1) / 2


def adjusted_rand_index(counts: np.ndarray) -> float:
    """Hubert and Arabie's adjusted Rand index from a contingency table."""
    n = counts.sum()
    pairs_both = _pairs(counts).sum()
    pairs_rows = _pairs(counts.sum(axis=1)).sum()
    pairs_cols = _pairs(counts.sum(axis=0)).sum()
    expected = pairs_rows * pairs_cols / _pairs(n)
    maximum = (pairs_rows + pairs_cols) / 2
    if maximum == expected:
        return 1.0
    return float((pairs_both - expected) / (maximum - expected))


def normalized_mutual_info(counts: np.ndarray) -> float:
    """Mutual information divided by the mean of the two entropies."""
    n = counts.sum()
    p = counts / n
    p_rows = p.sum(axis=1)
    p_cols = p.sum(axis=0)
    if (p_rows > 0).sum() <= 1 and (p_cols > 0).sum() <= 1:
        return 1.0
    nz = p > 0
    mi = float((p[nz] * np.log(p[nz] / np.outer(p_rows, p_cols)[nz])).sum())
    h_rows = -float((p_rows[p_rows > 0] * np.log(p_rows[p_rows > 0])).sum())
    h_cols = -float((p_cols[p_cols > 0] * np.log(p_cols[p_cols > 0])).sum())
    if mi <= 0:
        return 0.0
    return mi / ((h_rows + h_cols) / 2)
