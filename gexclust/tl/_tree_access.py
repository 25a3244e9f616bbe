"""One way to read a tree of :func:`gexclust.tl.hclust` back, matched to the current AnnData.

A tree stores the names of its leaves. Cells can be reordered (``adata[perm]``) or subset after
the tree was built; anything that reads ``.uns['hclust']`` must go through :func:`get_tree`,
which matches the stored names to ``obs_names`` (``var_names`` for gene trees) and either
returns the row of each leaf or refuses with a message that says to rerun ``tl.hclust``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._checks import check_key_added
from .._utils import str_array

if TYPE_CHECKING:
    from anndata import AnnData


@dataclass(frozen=True)
class Tree:
    """A tree of :func:`~gexclust.tl.hclust` matched to the rows of the current AnnData.

    Leaf ``i`` of the tree (the ``i``-th stored label; ids ``0..n-1`` in ``linkage``) is row
    ``rows[i]`` of ``adata`` along ``axis``.
    """

    key: str
    linkage: np.ndarray
    leaves: np.ndarray  # dendrogram order, as leaf ids of the tree
    rows: np.ndarray  # leaf id -> row of adata along ``axis``
    params: dict
    axis: str

    @property
    def n_leaves(self) -> int:
        """Number of leaves."""
        return len(self.rows)

    @property
    def leaf_rows(self) -> np.ndarray:
        """Rows of ``adata`` in dendrogram order (left to right)."""
        return self.rows[self.leaves]

    def per_leaf(self, values) -> np.ndarray:
        """``values`` given per row of ``adata``, as an array indexed by leaf id."""
        return np.asarray(values)[self.rows]

    def leaf_names(self, adata: AnnData) -> np.ndarray:
        """The name of each leaf (leaf id order), from ``obs_names`` (``var_names``)."""
        names = adata.obs_names if self.axis == "obs" else adata.var_names
        return str_array(names)[self.rows]

    def name_order(self, adata: AnnData) -> np.ndarray:
        """Leaf ids in the sorted order of their names: an order the rows' order cannot move.

        What draws or breaks ties by position (seeded copies of the data, a sample of it,
        dynamicTreeCut's core of a branch) gives the same answer for the same samples in any
        row order when it works in this order. Repeated names (allowed while they stay in
        place, see :func:`get_tree`) keep their leaf order among themselves.
        """
        return np.argsort(self.leaf_names(adata), kind="stable")

    def recorded(self, name: str, *, caller: str, needed: str) -> str:
        """``params[name]`` (``'method'``, ``'metric'``), refused when the tree does not record it.

        A tree stored by hand (scipy's linkage with its leaves and labels) has no ``params``:
        cutting it needs none, but what rebuilds its trees or distances does (``needed``
        says what), and failed with a bare ``KeyError: 'method'``.
        """
        value = self.params.get(name)
        if value is None:
            msg = (f"{caller}: .uns[{self.key!r}] does not record the {name} its tree was built "
                   f"with (params[{name!r}]: a tree stored by hand?), which {needed}; rerun "
                   f"gexclust.tl.hclust(adata, key_added={self.key!r}) with the {name} wanted")
            raise ValueError(msg)
        return str(value)


def relabel_leaves(Z: np.ndarray, order: np.ndarray) -> np.ndarray:
    """``Z`` with leaf ``order[j]`` renamed ``j``: the tree of the leaves taken in ``order``.

    The two ids of each merge are sorted again, smaller first, as scipy's linkage writes them
    (the dendrogram puts the smaller on the left, and R's merge convention follows it).
    """
    n = len(Z) + 1
    new_id = np.arange(2 * n - 1)
    new_id[order] = np.arange(n)
    relabelled = np.array(Z, dtype=np.float64)
    relabelled[:, :2] = np.sort(new_id[Z[:, :2].astype(np.intp)], axis=1)
    return relabelled


def get_tree(
    adata: AnnData, key: str = "hclust", *, axis: str | None = None, caller: str = "gexclust"
) -> Tree:
    """The tree in ``.uns[key]``, its leaves matched by name to the current obs (or var).

    Parameters
    ----------
    adata
        Annotated data matrix with a tree from :func:`~gexclust.tl.hclust`.
    key
        Key of the tree in ``.uns``.
    axis
        Require a tree of this axis (``'obs'`` or ``'var'``); any axis when ``None``.
    caller
        Name of the calling function, for error messages.

    Returns
    -------
    The tree with ``rows``, the position of each leaf in ``adata``: the identity when nothing
    moved, a permutation when the samples were reordered.

    Raises
    ------
    KeyError
        When there is no tree in ``.uns[key]``.
    ValueError
        When the tree is of the other axis, or its leaves are not exactly the current names
        (samples were added, removed or renamed since ``tl.hclust`` ran).
    """
    tree = adata.uns.get(key)
    if not hasattr(tree, "keys") or not {"linkage", "leaves"} <= set(tree.keys()):
        msg = (f"{caller}: no tree in .uns[{key!r}]; "
               f"run gexclust.tl.hclust(adata, key_added={key!r})")
        if hasattr(tree, "keys") and "groupby" in tree and "dendrogram_info" in tree:
            # sc.tl.dendrogram's tree joins the means of .obs[groupby]'s groups, not samples
            groupby = ", ".join(map(repr, np.atleast_1d(tree["groupby"]).tolist()))
            msg = (f"{caller}: .uns[{key!r}] is scanpy's tree of the {groupby} groups "
                   "(sc.tl.dendrogram), not a tree of the samples; run "
                   "gexclust.tl.hclust(adata) and pass key='hclust'")
        raise KeyError(msg)
    params = dict(tree.get("params", {}))
    tree_axis = params.get("axis", "obs")
    if axis is not None and tree_axis != axis:
        kind = {"obs": "sample", "var": "gene"}
        msg = (
            f"{caller}: .uns[{key!r}] is a {kind[tree_axis]} tree (axis={tree_axis!r}); "
            f"this needs a {kind[axis]} tree (gexclust.tl.hclust(adata, axis={axis!r}))"
        )
        raise ValueError(msg)
    Z = np.asarray(tree["linkage"], dtype=np.float64)
    leaves = np.asarray(tree["leaves"], dtype=np.intp)
    names = adata.obs_names if tree_axis == "obs" else adata.var_names
    labels = str_array(tree.get("labels", []))
    rows = _match(labels, names, n_leaves=Z.shape[0] + 1, axis=tree_axis, key=key, caller=caller)
    if not names.is_unique:
        _refuse_moved_namesakes(adata, params, axis=tree_axis, key=key, caller=caller)
    return Tree(key=key, linkage=Z, leaves=leaves, rows=rows, params=params, axis=tree_axis)


def _match(labels: np.ndarray, names, *, n_leaves: int, axis: str, key: str, caller: str,
           subject: str | None = None, items: str = "leaves", rerun: str | None = None):
    """Row of each stored label among ``names``, or a ValueError saying what changed.

    ``subject`` (what was built on the labelled ``items``) and ``rerun`` (the advice) default
    to those of a tree of :func:`~gexclust.tl.hclust` in ``.uns[key]``.
    """
    subject = subject or f"the tree in .uns[{key!r}]"
    rerun = rerun or f"rerun gexclust.tl.hclust on this AnnData (key_added={key!r})"
    if len(labels) != n_leaves:
        msg = (f"{caller}: .uns[{key!r}] has {len(labels)} labels for {n_leaves} {items}; "
               f"{rerun}")
        raise ValueError(msg)
    current = str_array(names)
    if len(current) == n_leaves and np.array_equal(labels, current):
        return np.arange(n_leaves)
    if not names.is_unique or len(set(labels.tolist())) != n_leaves:
        msg = (
            f"{caller}: the {axis}_names (or the labels stored with .uns[{key!r}]) are not "
            f"unique, so {subject} cannot be matched to them; make them unique "
            f"(adata.{axis}_names_make_unique()) and {rerun}"
        )
        raise ValueError(msg)
    rows = names.get_indexer(labels)
    missing = labels[rows < 0]
    extra = len(current) - (n_leaves - len(missing))
    if len(missing) or extra:
        what = []
        if len(missing):
            what.append(f"{len(missing)} of its {n_leaves} {items} are not in {axis}_names "
                        f"(e.g. {str(missing[0])!r})")
        if extra:
            what.append(f"{extra} {axis} are not in {'the tree' if items == 'leaves' else 'it'}")
        msg = (
            f"{caller}: {subject} was built on other {axis} than this AnnData "
            f"has ({'; '.join(what)}), e.g. after subsetting; {rerun}"
        )
        raise ValueError(msg)
    return rows


def _refuse_moved_namesakes(adata: AnnData, params: dict, *, axis: str, key: str,
                            caller: str) -> None:
    """Refuse rows of the same name that moved since the tree was built.

    Repeated names matched in the same sequence are taken to be in place, but two samples
    of one name (replicates both called ``'ctrl'``) that swapped places match as well, and
    each was given the other's cluster. The fingerprint of the clustered values, whose row
    weights follow the rows' order, tells: it differs once rows of other values moved.
    """
    from ._hclust import _observations, data_fingerprint, same_fingerprint

    stored = params.get("data_fingerprint")
    if stored is None:  # a tree of an earlier gexclust: nothing to compare with
        return
    use_rep, layer = params.get("use_rep", "X"), params.get("layer", "X")
    try:
        data, _ = _observations(adata, axis=axis, caller=caller,
                                use_rep=None if use_rep == "X" else str(use_rep),
                                layer=None if layer == "X" else str(layer))
    except (KeyError, ValueError):  # the clustered values are gone: other checks say so
        return
    if not same_fingerprint(stored, data_fingerprint(data)):
        msg = (f"{caller}: the {axis}_names are not unique, and the values in their order are "
               f"not those .uns[{key!r}] was built on (samples of the same name reordered, or "
               f"values changed since), so the tree cannot be matched to them; make them "
               f"unique (adata.{axis}_names_make_unique()) and rerun gexclust.tl.hclust on "
               f"this AnnData (key_added={key!r})")
        raise ValueError(msg)


def refuse_tree_key(adata: AnnData, key_added: str, *, caller: str) -> None:
    """Refuse a ``key_added`` whose ``.uns`` entry is a tree: writing there would delete it.

    An empty or blank ``key_added``, or one that is no text, is refused first
    (:func:`~gexclust._checks.check_key_added`).
    """
    check_key_added(key_added, caller=caller)
    existing = adata.uns.get(key_added)
    if hasattr(existing, "keys") and "linkage" in existing:
        msg = (f"{caller}: .uns[{key_added!r}] holds a tree of tl.hclust, which key_added="
               f"{key_added!r} would overwrite; choose another key_added")
        raise ValueError(msg)


def refuse_other_result(adata: AnnData, key_added: str, *, own: str, caller: str) -> None:
    """Refuse a ``key_added`` whose ``.uns`` entry is not an earlier result of ``caller``.

    ``own`` is a field every result of ``caller`` has (a key, or a column of a table): a
    rerun replaces its own result, as scanpy's tools do. Anything else there was lost
    without a word: ``tl.markers(adata, key_added='cluster')`` replaced ``tl.cut``'s record
    (the dendrogram lost its cut line) and the next ``tl.cut`` replaced the markers. An empty
    or blank ``key_added``, or one that is no text, is refused first
    (:func:`~gexclust._checks.check_key_added`): every tool that stores a result calls this.
    """
    check_key_added(key_added, caller=caller)
    existing = adata.uns.get(key_added)
    if existing is None or (hasattr(existing, "keys") and own in existing):
        return
    if key_added in adata.obs.columns or key_added in adata.var.columns:
        axis = "obs" if key_added in adata.obs.columns else "var"
        # tl.cut's own record is not refused by tl.cut: it names only the others there
        kinds = ("tl.cut's parameters and cut height, " if caller != "tl.cut" else "")
        what = (f"the record of the .{axis} column {key_added!r} ({kinds}a scanpy tool's "
                "parameters)")
    elif key_added.endswith("_colors"):
        what = f"the colours of {key_added.removesuffix('_colors')!r}"
    else:
        what = "another result (of another gexclust or scanpy tool, or set by hand)"
    msg = (f"{caller}: .uns[{key_added!r}] holds {what}, which key_added={key_added!r} would "
           "overwrite; choose another key_added")
    raise ValueError(msg)


def unrecorded_column(adata: AnnData, key_added: str, *, axis: str = "obs",
                      caller: str) -> str | None:
    """The warning to log after replacing ``.obs[key_added]``, if no clustering recorded it.

    Such a column came with the data (the authors' clusters in a published h5ad, a GEO
    characteristic named ``cluster``) or was set by hand: the warning names what was
    replaced and how to keep it. A column written by ``tl.cut``, ``tl.consensus`` or a scanpy
    tool (``key_added=`` of ``sc.tl.leiden``) has its record in ``.uns[key_added]``, and is
    replaced without a word (``None``), as scanpy replaces its own.
    """
    frame = adata.obs if axis == "obs" else adata.var
    if key_added not in frame or key_added in adata.uns:
        return None
    labels = frame[key_added].dropna().unique()
    shown = ", ".join(repr(str(v)) for v in labels[:3]) + (", ..." if len(labels) > 3 else "")
    return (f"{caller}: replaced .{axis}[{key_added!r}] ({len(labels)} labels: {shown}), which "
            f"no clustering recorded in .uns[{key_added!r}] (the authors' clusters, or labels "
            f"set by hand); to keep such a column, pass key_added='hclust_{key_added}'")


def tree_id(stored) -> str:
    """A digest of the tree ``stored`` (an ``.uns`` entry of :func:`~gexclust.tl.hclust`).

    It changes whenever ``tl.hclust`` builds another tree under the key (other method, metric,
    genes, samples or values), and survives an h5ad round trip and reordered samples (the
    stored labels keep their order). Results computed from a tree record it
    (``params['tree_id']``), so that they are never shown against a tree they do not belong
    to (:func:`result_of_tree`).
    """
    import hashlib

    digest = hashlib.sha256()
    linkage = np.ascontiguousarray(np.asarray(stored["linkage"], dtype=np.float64))
    digest.update(linkage.tobytes())
    digest.update("\x1f".join(str_array(stored.get("labels", [])).tolist()).encode())
    params = stored.get("params", {})
    for name in ("axis", "method", "metric", "use_rep", "layer"):
        digest.update(f"\x1e{name}={params.get(name)}".encode())
    fingerprint = params.get("data_fingerprint")
    if fingerprint is not None:
        digest.update(",".join(repr(float(v)) for v in fingerprint).encode())
    return digest.hexdigest()[:24]


def result_of_tree(adata: AnnData, key: str, *, producer: str, caller: str,
                   tree_key: str | None = None) -> dict:
    """``.uns[key]``, a result of ``producer`` computed from a tree, checked against that tree.

    The tree is the one named by the result (``params['key']``, else ``tree_key``, else
    ``'hclust'``). It must still be there, fit the current samples (as :func:`get_tree`
    checks) and be the very tree the result was computed from (same :func:`tree_id`);
    otherwise a ``ValueError`` says what to rerun. A result that records no tree (written by
    an earlier gexclust) cannot be checked: it is used with a logged warning.
    """
    from .._logging import logger

    result = adata.uns.get(key)
    params = result.get("params", {}) if hasattr(result, "get") else {}
    params = params if hasattr(params, "get") else {}
    tree_key = str(params.get("key", tree_key or "hclust"))
    args = [f"key={tree_key!r}"] if tree_key != "hclust" else []
    args += [f"key_added={key!r}"] if key != producer else []
    rerun = f"gexclust.tl.{producer}({', '.join(['adata', *args])})"
    try:
        get_tree(adata, tree_key, caller=caller)
    except (KeyError, ValueError) as err:
        msg = f"{err.args[0]}; then rerun {rerun}"
        raise type(err)(msg) from None
    recorded = params.get("tree_id")
    if recorded is None:
        logger.warning(
            "%s: .uns[%r] does not record the tree it was computed from (an earlier gexclust "
            "made it), so it cannot be checked against .uns[%r]; if tl.hclust ran since, "
            "rerun %s", caller, key, tree_key, rerun,
        )
    elif str(recorded) != tree_id(adata.uns[tree_key]):
        msg = (
            f"{caller}: .uns[{key!r}] was computed from an earlier tree than the one now in "
            f".uns[{tree_key!r}] (tl.hclust ran again since, with other parameters, genes, "
            f"samples or values); rerun {rerun}"
        )
        raise ValueError(msg)
    return result
