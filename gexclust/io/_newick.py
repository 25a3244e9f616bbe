"""The sample tree as a Newick string or file, with branch lengths and support labels."""

from __future__ import annotations

import os
import re
from collections import Counter

import numpy as np
from anndata import AnnData

from .._api import named
from .._atomic import atomic_text
from .._checks import check_output_path, check_whole
from .._logging import logger
from ..tl._flat_cuts import child_heights
from ..tl._tree_access import get_tree
from ._heights import drawn_heights
from ._utf8 import refuse_unencodable

#: Characters that end or structure a Newick label; labels holding any of them are quoted.
#: Beyond the blanks and ``()[]':;,`` of the Newick standard, dendropy (as the NEXUS
#: standard) also stops an unquoted label at ``"``, ``=``, ``\``, ``{`` and ``}``.
_SPECIAL = re.compile(r"""[\s()\[\]'":;,={}\\]""")


@named("io.write_newick")
def write_newick(
    adata: AnnData,
    path: str | os.PathLike | None = None,
    *,
    key: str = "hclust",
    support: str | None = "au",
    decimals: int | None = None,
) -> str:
    r"""Write the sample tree of :func:`gexclust.tl.hclust` in Newick format.

    Leaves are the sample names (quoted when they hold spaces or Newick punctuation, a quote
    inside doubled; a line break as a space), in the dendrogram's left-to-right order. R's
    ``ape::read.tree`` keeps the quotes around a quoted name and reads a name holding a quote
    as ``NA``: a warning names such names. Each merge sits at half its height above the leaves,
    as ``ape::as.phylo`` places an ``hclust`` merge and UPGMA a node: the path between two
    leaves is then their merge height (their cophenetic distance), and R's
    ``ape::as.hclust(ape::read.tree(path))`` gives back the merge heights. A branch is the
    difference of those half heights, rounded to ``decimals``, so every leaf is as far from
    the root (the tree is ultrametric, as ``ape::as.hclust`` requires). A merge height that
    ``decimals`` digits hold exactly keeps its half exactly, with one more digit where needed
    (height 3 at ``decimals=0``: its node at 1.5, not 2), so its height comes back exactly.
    Centroid and median trees can have inversions (a merge lower than one below it); Newick
    has no negative lengths, so such a merge is placed at the height of its highest child, as
    Cluster 3.0 writes it (the branch between them is 0), and a warning says how many branches
    that made 0: the tree stays ultrametric, and the path between two leaves whose merge is
    raised so is that raised height, not their merge height. When a bootstrap stored support
    values in ``.uns[key]['support']``, each internal node is labelled with its AU (or BP)
    value as a percentage, as ``pvclust`` shows them.

    Parameters
    ----------
    adata
        Annotated data with a sample tree in ``.uns[key]``.
    path
        File to write (atomically; gzip-compressed when its name ends in ``.gz``); with
        ``None`` only the string is returned.
    key
        ``.uns`` key of the tree.
    support
        Which support value labels the internal nodes, ``'au'`` or ``'bp'``, when present;
        ``None`` for no labels.
    decimals
        Digits after the decimal point of the branch lengths (one more, a final 5, where an
        exact half of a merge height needs it); by default 6, or more when the
        root's half height (where the root sits) is below 0.1, so that it keeps 6 significant
        digits (a tree of values / 1e6, root at 8e-5, would keep only 1 or 2 in each branch).

    Returns
    -------
    The Newick string (ending in ``;``).

    Raises
    ------
    ValueError
        If ``path`` is given and a sample name is not UTF-8 text (a lone surrogate such as
        ``'\udcff'``, Python's stand-in for an undecodable byte), naming it. Nothing is
        written then.

    Examples
    --------
    >>> import gexclust as gx
    >>> adata = gx.datasets.gse9476_example()
    >>> gx.pp.select_variable(adata, n_top=200, subset=True)
    >>> gx.pp.scale(adata)
    >>> gx.tl.hclust(adata)
    >>> gx.io.write_newick(adata).endswith(";")
    True
    """
    if path is not None:
        check_output_path(path, caller="io.write_newick", example="tree.nwk")
    tree = get_tree(adata, key, axis="obs", caller="io.write_newick")
    if decimals is None:
        decimals = significant_decimals(float(tree.linkage[-1, 2]) / 2 if len(tree.linkage)
                                        else 0)
    check_whole("decimals", decimals, caller="io.write_newick",
                what=" (digits after the decimal point), or None")
    labels = node_labels(adata.uns[key], support)
    if path is not None:  # the string may hold any text, a UTF-8 file cannot
        refuse_unencodable(path, adata.obs_names[tree.rows], what="sample name",
                           source="obs_names")
    names = leaf_labels(adata.obs_names[tree.rows])  # per leaf of the tree
    text = newick(tree.linkage, names, labels, decimals=decimals)
    if path is not None:
        with atomic_text(path) as fh:  # gzip under a .gz name
            fh.write(text + "\n")
    return text


#: Line breaks (those ``str.splitlines`` knows), which no Newick label may hold.
_LINE_BREAK = re.compile(r"\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]")


def leaf_labels(names) -> list[str]:
    """The sample names as Newick labels, saying which ones readers will not read as written.

    A line break is written as a space: the Newick standard allows none inside a label, and
    R's ``ape`` and Bio.Phylo dropped it (two lines read as one word) while dendropy kept it.
    A quote is written doubled inside a quoted label, as the standard says and as Bio.Phylo
    and dendropy read it (Bio.Phylo drops a quote that starts a label); R's ``ape::read.tree``
    (5.7) has no way to read it and gives ``NA`` for such a label, ete3 refuses the tree: a
    warning names such labels, and repeated ones.
    """
    labels = [str(name) for name in names]
    broken = [label for label in labels if _LINE_BREAK.search(label)]
    if broken:
        logger.warning(
            "Newick: %d sample name(s) hold a line break, which no Newick label may hold; "
            "written with a space instead (e.g. %r)", len(broken), broken[0],
        )
        labels = [_LINE_BREAK.sub(" ", label) for label in labels]
    quoted = [label for label in labels if "'" in label]
    if quoted:
        logger.warning(
            "Newick: %d sample name(s) hold a quote (e.g. %r), written doubled as the Newick "
            "standard says: Bio.Phylo and dendropy read them, but R's ape::read.tree reads "
            "them as NA and ete3 refuses the tree; rename the samples for those readers%s",
            len(quoted), quoted[0], _leading_quote_note(quoted),
        )
    repeated = [name for name, count in Counter(labels).items() if count > 1]
    if repeated:
        logger.warning(
            "Newick: %d sample name(s) repeat (e.g. %r): readers cannot tell those leaves "
            "apart by name (R's ape matches by name, dendropy refuses the tree); make them "
            "unique first: adata.obs_names_make_unique()", len(repeated), repeated[0],
        )
    return labels


def _leading_quote_note(quoted: list[str]) -> str:
    """What the warning on quotes adds when a name starts with one, which Bio.Phylo drops.

    Bio.Phylo (1.88) reads the label of ``'q'`` (written ``'''q'''``) as ``q'``: the doubled
    quote that opens it looks to its parser like an empty label, and the quote is lost.
    """
    leading = [label for label in quoted if label.startswith("'")]
    if not leading:
        return ""
    return (f"; {len(leading)} start with one (e.g. {leading[0]!r}), which Bio.Phylo drops "
            "without a word")


def node_labels(tree, support: str | None) -> list[str] | None:
    """Per-merge labels: the ``support`` values of ``tree`` as integer percentages, if any."""
    if support not in ("au", "bp", None):  # whether or not a bootstrap ran
        msg = f"io.write_newick: support must be 'au', 'bp' or None, got {support!r}"
        raise ValueError(msg)
    if support is None or "support" not in tree:
        return None
    values = np.asarray(tree["support"][support], dtype=float)
    return ["" if not np.isfinite(v) else str(round(100 * v)) for v in values]


def quote(label: str) -> str:
    """A Newick label: as is when plain, else in single quotes with quotes doubled."""
    if label and not _SPECIAL.search(label):
        return label
    return "'" + label.replace("'", "''") + "'"


def significant_decimals(top: float, digits: int = 6) -> int:
    """Decimals that keep ``digits`` significant digits of ``top`` (at least ``digits``)."""
    if not np.isfinite(top) or top <= 0:
        return digits
    return int(max(digits, min(digits - 1 - np.floor(np.log10(top)), 17)))


def _written_heights(heights: np.ndarray, merges: np.ndarray, decimals: int) -> np.ndarray:
    """Where each node is written: its half height rounded to ``decimals``, or exact.

    A merge height that ``decimals`` digits hold exactly (3 at 0 decimals) keeps its half
    exactly (1.5, one more digit): rounded, it would be 2, and the leaves' path 4, not 3.
    """
    written = np.round(heights, decimals)
    n = len(heights) - len(merges)
    with np.errstate(over="ignore", invalid="ignore"):  # np.round of huge heights: inf
        exact = np.round(merges, decimals) == merges
    written[n:][exact] = heights[n:][exact]
    return written


def newick(Z: np.ndarray, names: list[str], labels: list[str] | None = None, *,
           decimals: int = 6) -> str:
    """Newick text of the scipy linkage ``Z`` over leaves ``names`` (no recursion).

    Nodes sit at half their merge height, so that leaf-to-leaf paths are the merge heights;
    a merge below one it contains (an inversion), at its highest child's
    (:func:`~gexclust.io._heights.drawn_heights`).
    """
    n = len(names)
    root = 2 * n - 2
    children = Z[:, :2].astype(np.int64)
    # branches whose child merge lies above its parent merge (inversions of Z)
    n_negative = int((child_heights(Z) > Z[:, 2:3]).sum())
    merges = drawn_heights(Z)
    heights = np.concatenate([np.zeros(n), merges / 2])
    # each length is the difference of the two heights as written, not a length rounded on
    # its own: then every root-to-leaf sum is the root's written height, however deep the
    # leaf (rounded one by one, a leaf 40 merges deep drifted by 1.6e-5 from a shallow one,
    # and R's ape refused the tree as not ultrametric)
    written = _written_heights(heights, merges, decimals)
    rounded = np.zeros(2 * n - 1)
    rounded[children.ravel()] = np.repeat(written[n:], 2) - written[children.ravel()]
    if n_negative:
        logger.warning(
            "Newick: %d branch length(s) were negative (inversions of a centroid or median "
            "tree) and are written as 0, each such merge at the height of its highest child "
            "(as Cluster 3.0 writes it); paths between leaves there are not merge heights",
            n_negative,
        )

    # a length is a multiple of half a unit in the last place: it takes one more digit (a 5)
    # only where it is not a whole number of units
    whole = np.abs(rounded - np.round(rounded, decimals)) < 0.25 * 10.0**-decimals
    digits = np.where(whole, decimals, decimals + 1)

    def length(node: int) -> str:
        if node == root:
            return ""
        return f":{max(rounded[node], 0.0):.{digits[node]}f}"

    pieces: list[str] = []
    stack: list[tuple[str, int]] = [("open", root)]  # ("open"|"close"|",", node)
    while stack:
        step, node = stack.pop()
        if step == ",":
            pieces.append(",")
        elif step == "close":
            label = labels[node - n] if labels else ""
            pieces.append(")" + (quote(label) if label else "") + length(node))
        elif node < n:
            pieces.append(quote(names[node]) + length(node))
        else:
            left, right = children[node - n]
            pieces.append("(")
            stack += [("close", node), ("open", int(right)), (",", node), ("open", int(left))]
    return "".join(pieces) + ";"
