"""Merge heights as the tree exports write them: never below a merge they contain."""

from __future__ import annotations

import numpy as np

from ..tl._flat_cuts import count_inversions


def drawn_heights(Z: np.ndarray) -> np.ndarray:
    """Each merge's height raised, where lower, to the highest merge it contains.

    Centroid and median trees have inversions: a merge lower than one of the clusters it
    joins. No drawing with a node at each merge height can hold them (a branch would run
    backwards), so Cluster 3.0 (``Bio.Cluster``'s ``Record.save``) writes such a merge at the
    height of its highest child, and the exports do the same: every branch then has a
    length of zero or more, and every leaf lies as far from the root. Heights of trees
    without inversions are returned unchanged.

    Parameters
    ----------
    Z
        A scipy linkage matrix.

    Returns
    -------
    One height per merge, in merge order.
    """
    n = Z.shape[0] + 1
    heights = np.array(Z[:, 2], dtype=np.float64)
    if not count_inversions(Z):  # every tree but some centroid/median ones
        return heights
    children = Z[:, :2].astype(np.intp)
    for k, pair in enumerate(children):  # children are earlier merges: one pass suffices
        merged = pair[pair >= n] - n
        if len(merged):
            heights[k] = max(heights[k], heights[merged].max())
    return heights
