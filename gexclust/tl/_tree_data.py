"""A stored tree together with the data matrix it was built from, rows in leaf-id order."""

from __future__ import annotations

import numpy as np
from anndata import AnnData

from .._logging import logger
from .._utils import matrix_name, str_array
from ._hclust import _observations, data_fingerprint, same_fingerprint
from ._tree_access import get_tree


def tree_and_data(adata: AnnData, *, key: str, caller: str):
    """``(tree, data)``: ``.uns[key]`` and the matrix it clusters, row ``i`` = leaf ``i``.

    The data are read as :func:`~gexclust.tl.hclust` read them (``axis``, ``use_rep``,
    ``layer`` from the tree's ``params``), and the leaves are matched to the current names, so
    reordered samples (or genes) are fine; a subset, or values changed since the tree was
    built, are refused.
    """
    tree = get_tree(adata, key, caller=caller)
    params = tree.params
    use_rep = params.get("use_rep", "X")
    layer = params.get("layer", "X")
    data, _ = _observations(
        adata,
        axis=tree.axis,
        use_rep=None if use_rep == "X" else use_rep,
        layer=None if layer == "X" else layer,
        caller=caller,
    )
    n_features = params.get("n_features")
    if n_features is not None and int(n_features) != data.shape[1]:
        msg = (
            f"{caller}: the tree in .uns[{key!r}] was built on {int(n_features)} features but "
            f"the data now have {data.shape[1]}; rerun gexclust.tl.hclust(adata, "
            f"key_added={key!r})"
        )
        raise ValueError(msg)
    if not np.isfinite(data).all():
        msg = f"{caller}: the data contain NaN or infinite values; handle missing values first"
        raise ValueError(msg)
    data = data[tree.rows]
    stored = params.get("data_fingerprint")
    if stored is not None and not same_fingerprint(stored, data_fingerprint(data)):
        where = (f".obsm[{use_rep!r}]" if use_rep != "X" else
                 matrix_name(None if layer == "X" else layer))
        msg = (
            f"{caller}: the values of {where} changed since tl.hclust built the tree in "
            f".uns[{key!r}] (e.g. pp.scale or pp.log2 ran after it), so its nodes are not "
            f"those of these data; rerun gexclust.tl.hclust(adata, key_added={key!r})"
        )
        raise ValueError(msg)
    return adata.uns[key], tree, data


def feature_order(adata: AnnData, *, axis: str, use_rep: str | None) -> np.ndarray | None:
    """Columns of the clustered matrix in the sorted order of the features' names.

    Resampling draws features by position; drawing them from this order instead gives a fixed
    seed the same replicates whatever the order of the genes (or, for a gene tree, of the
    samples). The components of a representation (``use_rep``, e.g. PCs) have no names but
    an order of their own, and keep it (``None``).
    """
    if use_rep not in (None, "X"):
        return None
    names = adata.var_names if axis == "obs" else adata.obs_names
    return np.argsort(str_array(names), kind="stable")


def warn_if_components(use_rep: str | None, *, caller: str, what: str) -> None:
    """Warn that resampling ``use_rep``'s columns treats components as exchangeable genes."""
    if use_rep in (None, "X"):
        return
    logger.warning(
        "%s: resampling the columns of .obsm[%r] as if they were genes; components are not "
        "exchangeable like genes (the first ones carry most of the variance), so %s: resample "
        "a tree built on genes (use_rep=None) for those", caller, use_rep, what)
