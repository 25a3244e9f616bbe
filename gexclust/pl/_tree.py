"""Dendrogram geometry computed from a linkage matrix without recursion (no leaf-count limit)."""

from __future__ import annotations

import numpy as np

GREY = "#808080"


def dendrogram_segments(Z: np.ndarray, leaves: np.ndarray, leaf_groups=None, colours=None):
    """Line segments of a dendrogram drawn with leaves at x = 0.5, 1.5, ... in ``leaves`` order.

    Returns ``(segments, segment_colours)``: ``segments`` is an (n - 1) x 4 x 2 array, one
    4-point U (x, height) polyline per merge. A link gets the colour of its group when all
    leaves below it share ``leaf_groups``' value, grey otherwise.
    """
    n = Z.shape[0] + 1
    left, right = Z[:, 0].astype(np.int64), Z[:, 1].astype(np.int64)
    height = np.asarray(Z[:, 2], dtype=float)
    x = np.empty(2 * n - 1)
    x[leaves] = np.arange(n) + 0.5
    # a node sits midway between its children: one pass in merge order (plain floats are
    # several times faster than numpy scalars in this loop, which is the whole cost at 20k)
    xs = x.tolist()
    for node, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True), start=n):
        xs[node] = (xs[a] + xs[b]) / 2
    x = np.array(xs)
    y = np.concatenate([np.zeros(n), height])
    segments = np.empty((n - 1, 4, 2))
    segments[:, 0] = np.column_stack([x[left], y[left]])
    segments[:, 1] = np.column_stack([x[left], height])
    segments[:, 2] = np.column_stack([x[right], height])
    segments[:, 3] = np.column_stack([x[right], y[right]])
    return segments, _link_colours(left, right, n, leaf_groups, colours)


def _link_colours(left, right, n: int, leaf_groups, colours) -> list:
    """Each link's colour: its group's when every leaf below shares one group, else grey."""
    if leaf_groups is None or colours is None:
        return [GREY] * (n - 1)
    group = [-1] * (2 * n - 1)
    group[:n] = [int(g) for g in leaf_groups]
    out = []
    for node, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True), start=n):
        g = group[a] if group[a] == group[b] and group[a] >= 0 else -1
        group[node] = g
        out.append(colours[g] if g >= 0 else GREY)
    return out


def draw_dendrogram(ax, Z, leaves, *, orientation="top", leaf_groups=None, colours=None, lw=1.0):
    """Draw the dendrogram on ``ax``; ``orientation`` 'top' (root up) or 'left' (root left)."""
    from matplotlib.collections import LineCollection

    segments, seg_colours = dendrogram_segments(Z, leaves, leaf_groups, colours)
    if orientation == "left":
        segments = segments[:, :, ::-1]
    # one colour for all links (grey, or a single cluster's) saves a colour conversion per link
    colours = seg_colours[0] if len(set(seg_colours)) == 1 else seg_colours
    ax.add_collection(LineCollection(segments, colors=colours or GREY, linewidths=lw))
    n = Z.shape[0] + 1
    top = _top(Z)
    if orientation == "left":
        ax.set_xlim(top, 0)
        ax.set_ylim(n, 0)
    else:
        ax.set_xlim(0, n)
        ax.set_ylim(0, top)
    for side in ("top", "right", "left" if orientation == "left" else "bottom"):
        ax.spines[side].set_visible(False)
    return ax


def _top(Z: np.ndarray) -> float:
    """The height axis' upper limit: a little above the root, or 1 when every merge is at 0.

    A tree of identical samples (or genes: z-scores of genes that differ by a constant) has
    every merge at height 0; a limit of 0 made matplotlib warn "Attempting to set identical
    low and high ylims makes transformation singular" from ``pl.dendrogram`` and
    ``pl.clustermap``, an error under ``-W error``.
    """
    top = float(Z[:, 2].max()) * 1.03 if len(Z) else 0.0
    return top if top > 0 else 1.0


def truncate_tree(Z: np.ndarray, n_shown: int):
    """The top ``n_shown`` clusters of a tree as leaves (scipy's ``truncate_mode='lastp'``).

    Returns ``(linkage, owner)``: the linkage of the last ``n_shown - 1`` merges over new
    leaf ids ``0..n_shown-1`` (sizes counted in those leaves), and for each original leaf the
    new leaf it falls under.
    Works without recursion, for any number of leaves.
    """
    n = Z.shape[0] + 1
    p = max(2, min(n_shown, n))
    kept = Z[n - p :]  # the last p - 1 merges
    first_kept = 2 * n - p  # cluster ids from here on are kept merges
    children = kept[:, :2].astype(np.int64).ravel()
    tops = np.sort(children[children < first_kept])  # the p truncated leaves, in id order
    new_id = {int(c): i for i, c in enumerate(tops)}
    small = kept.copy()
    counts = np.ones(2 * p - 1)
    for t, row in enumerate(small):
        for side in (0, 1):
            c = int(row[side])
            row[side] = new_id[c] if c < first_kept else c - first_kept + p
        counts[p + t] = counts[int(row[0])] + counts[int(row[1])]
        row[3] = counts[p + t]  # leaves of the truncated tree, as scipy checks
    # every original leaf inherits the truncated leaf above it, walking merges downwards
    owner = np.full(2 * n - 1, -1, dtype=np.int64)
    owner[tops] = np.arange(p)
    for i in range(n - p - 1, -1, -1):
        node = n + i
        if owner[node] >= 0:
            owner[Z[i, :2].astype(np.int64)] = owner[node]
    return small, owner[:n]
