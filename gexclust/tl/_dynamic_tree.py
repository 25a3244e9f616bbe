"""Dynamic tree cut (Langfelder, Zhang & Horvath 2008), as R's ``dynamicTreeCut`` 1.63.

Both variants of ``cutreeDynamic`` follow the R code step by step (including its order of
ties and its quirks), so the same tree and parameters give the same partition:

- :func:`cutree_hybrid` is ``cutreeHybrid`` (``method='hybrid'``): branches are merged
  bottom-up unless both sides are large, compact (core scatter) and well separated (gap),
  then unassigned objects join the nearest cluster on their branch (the "PAM stage");
- :func:`cutree_tree` is ``cutreeDynamicTree`` (``method='tree'``): a static cut, then
  each branch is split where the merge heights along the leaf order cross their mean.

Trees are scipy linkage matrices; R's merge-matrix conventions (a singleton before a
cluster, the smaller index first) and leaf order are derived from them. Labels are R's:
0 = unassigned, 1 = the largest cluster, 2 = the next, ...
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import fcluster, leaves_list

# deepSplit 0..4 -> maximum core scatter and minimum gap, relative to the height range
_MAX_CORE_SCATTER = (0.64, 0.73, 0.82, 0.91, 0.95)
_MIN_GAP = tuple((1 - x) * 3 / 4 for x in _MAX_CORE_SCATTER)


def r_tree(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """R's ``merge`` (1-based, negative = singleton), ``height`` and ``order`` (0-based) of Z."""
    Z = np.array(Z, dtype=np.float64)
    Z[:, :2] = np.sort(Z[:, :2], axis=1)  # R: singleton first, then the earlier cluster
    n = len(Z) + 1
    children = Z[:, :2].astype(np.intp)
    merge = np.where(children < n, -(children + 1), children - n + 1)
    return merge, Z[:, 2].copy(), leaves_list(Z)


def _interpolate(values: tuple[float, ...], index: float) -> float:
    """R's ``.interpolate`` (1-based ``index``; R rounds half to even, as numpy does)."""
    i = int(np.round(index))
    if i < 1:
        return values[0]
    if i >= len(values):
        return values[-1]
    r = index - i
    return values[i - 1] * (1 - r) + values[i] * r


def _core_size(branch_size: int, min_cluster_size: float) -> int:
    base = min_cluster_size / 2 + 1
    if base < branch_size:
        return int(base + np.sqrt(branch_size - base))
    return int(branch_size)


def _core_scatter(distances: np.ndarray, singletons: list[int], min_cluster_size: float):
    size = _core_size(len(singletons), min_cluster_size)
    core = singletons[:size]
    return float(np.mean(distances[np.ix_(core, core)].sum(axis=0) / (size - 1)))


class _Branch:
    """One branch of the hybrid cut (``branch.*`` vectors of the R code)."""

    __slots__ = ("attach_height", "basic_clusters", "fail_size", "is_basic", "is_top_basic",
                 "merged_into", "n_merge", "singletons", "size")

    def __init__(self, *, singletons=None, basic_clusters=None, size=2, is_basic=True):
        self.is_basic = is_basic
        self.is_top_basic = is_basic
        self.fail_size = False
        self.attach_height = None
        self.size = size
        self.n_merge = 1 if is_basic else 2
        self.merged_into = 0
        self.singletons = singletons if singletons is not None else []
        self.basic_clusters = basic_clusters if basic_clusters is not None else []


def cutree_hybrid(
    Z: np.ndarray,
    distances: np.ndarray,
    *,
    min_cluster_size: int = 20,
    deep_split: float = 1,
    cut_height: float | None = None,
    max_core_scatter: float | None = None,
    min_gap: float | None = None,
    pam_stage: bool = True,
    pam_respects_dendro: bool = True,
    max_pam_dist: float | None = None,
    respect_small_clusters: bool = True,
) -> np.ndarray:
    """R's ``cutreeHybrid(...)$labels`` for the tree ``Z`` and square ``distances``."""
    merge, height, _ = r_tree(Z)
    n_merge = len(height)
    n_points = n_merge + 1
    distances = np.array(distances, dtype=np.float64)
    np.fill_diagonal(distances, 0.0)
    ref_merge = max(int(np.round(n_merge * 0.05)), 1)
    ref_height = height[ref_merge - 1]
    if cut_height is None:
        cut_height = 0.99 * (height.max() - ref_height) + ref_height
    else:
        cut_height = min(cut_height, height.max())
    if max_pam_dist is None:
        max_pam_dist = cut_height
    if (height <= cut_height).sum() < min_cluster_size:
        return np.zeros(n_points, dtype=int)
    if isinstance(deep_split, bool):
        deep_split = int(deep_split) * (len(_MAX_CORE_SCATTER) - 2)
    index = deep_split + 1
    if not 1 <= index <= len(_MAX_CORE_SCATTER):
        msg = f"deep_split must be between 0 and {len(_MAX_CORE_SCATTER) - 1}, got {deep_split}"
        raise ValueError(msg)
    if max_core_scatter is None:
        max_core_scatter = _interpolate(_MAX_CORE_SCATTER, index)
    if min_gap is None:
        min_gap = _interpolate(_MIN_GAP, index)
    max_abs_core_scatter = ref_height + max_core_scatter * (cut_height - ref_height)
    min_abs_gap = min_gap * (cut_height - ref_height)
    min_abs_split_height = ref_height  # minSplitHeight = 0

    branches: list[_Branch | None] = [None]  # 1-based, as R's branch ids
    merge_to_branch = np.zeros(n_merge + 1, dtype=int)  # 1-based merges
    on_branch = np.zeros(n_points, dtype=int)

    def scatter(b: _Branch) -> float:
        return _core_scatter(distances, b.singletons, min_cluster_size) if b.is_basic else 0.0

    for m in range(1, n_merge + 1):
        h = height[m - 1]
        if h > cut_height:
            continue
        a, b = merge[m - 1]
        if a < 0 and b < 0:
            branches.append(_Branch(singletons=[-a - 1, -b - 1]))
            merge_to_branch[m] = len(branches) - 1
        elif (a < 0) != (b < 0):
            clust = merge_to_branch[max(a, b)]
            gene = -min(a, b) - 1
            branch = branches[clust]
            if branch.is_basic:
                branch.singletons.append(gene)
            else:
                on_branch[gene] = clust
            branch.n_merge += 1
            branch.size += 1
            merge_to_branch[m] = clust
        else:
            clusts = [merge_to_branch[a], merge_to_branch[b]]
            # rank(sizes, ties.method = 'first'): the first column wins ties as 'small'
            if branches[clusts[1]].size < branches[clusts[0]].size:
                small, large = clusts[1], clusts[0]
            else:
                small, large = clusts[0], clusts[1]
            bs, bl = branches[small], branches[large]
            small_scatter, large_scatter = scatter(bs), scatter(bl)
            smaller = [bs.size < min_cluster_size, small_scatter > max_abs_core_scatter,
                       h - small_scatter < min_abs_gap, h < min_abs_split_height]
            do_merge = False
            if bs.is_basic and any(smaller):
                do_merge, small_fail_size = True, not (smaller[1] or smaller[2])
            else:
                larger = [bl.size < min_cluster_size, large_scatter > max_abs_core_scatter,
                          h - large_scatter < min_abs_gap, h < min_abs_split_height]
                if bl.is_basic and any(larger):
                    do_merge, small_fail_size = True, not (larger[1] or larger[2])
                    small, large, bs, bl = large, small, bl, bs
            if do_merge:
                bs.fail_size = small_fail_size
                bs.merged_into = large
                bs.attach_height = h
                bs.is_top_basic = False
                if bl.is_basic:
                    bl.singletons.extend(bs.singletons)
                else:
                    on_branch[bs.singletons] = large
                bl.n_merge += 1
                bl.size += bs.size
                merge_to_branch[m] = large
            else:
                if bl.is_basic and not bs.is_basic:
                    small, large, bs, bl = large, small, bl, bs
                if bl.is_basic or (pam_stage and pam_respects_dendro):
                    added = [small] if bs.is_basic else list(bs.basic_clusters)
                    added += [large] if bl.is_basic else list(bl.basic_clusters)
                    branches.append(
                        _Branch(basic_clusters=added, size=bs.size + bl.size, is_basic=False)
                    )
                    new = len(branches) - 1
                    bl.attach_height = bs.attach_height = h
                    bl.merged_into = bs.merged_into = new
                    merge_to_branch[m] = new
                else:
                    bl.basic_clusters.extend([small] if bs.is_basic else bs.basic_clusters)
                    bl.size += bs.size
                    bl.n_merge += 1
                    bs.attach_height = h
                    bs.merged_into = large
                    merge_to_branch[m] = large

    n_branches = len(branches) - 1
    is_cluster = np.zeros(n_branches + 1, dtype=bool)
    small_labels = np.zeros(n_points, dtype=int)
    for clust in range(1, n_branches + 1):
        branch = branches[clust]
        if branch.attach_height is None:
            branch.attach_height = cut_height
        if branch.is_top_basic:
            core_scatter = _core_scatter(distances, branch.singletons, min_cluster_size)
            is_cluster[clust] = (
                branch.size >= min_cluster_size
                and core_scatter < max_abs_core_scatter
                and branch.attach_height - core_scatter > min_abs_gap
            )
        if branch.fail_size:
            small_labels[branch.singletons] = clust
    if not respect_small_clusters:
        small_labels[:] = 0

    colors = np.zeros(n_points, dtype=int)
    branch_labels = np.zeros(n_branches + 1, dtype=int)
    color = 0
    for clust in np.flatnonzero(is_cluster):
        color += 1
        colors[branches[clust].singletons] = color
        small_labels[branches[clust].singletons] = 0
        branch_labels[clust] = color
    if pam_stage and (colors == 0).any() and color > 0:
        colors = _pam_stage(colors, small_labels, on_branch, branches, branch_labels,
                            distances, max_pam_dist, respects_dendro=pam_respects_dendro)
    return _rank_by_size(colors)


def _pam_stage(colors, small_labels, on_branch, branches, branch_labels, distances,
               max_pam_dist, *, respects_dendro: bool) -> np.ndarray:
    """Assign small clusters and unlabelled objects to the nearest cluster (no medoids)."""
    colors = colors.copy()
    n_labels = colors.max()
    diameter = np.zeros(n_labels + 1)
    for cluster in range(1, n_labels + 1):
        members = np.flatnonzero(colors == cluster)
        if len(members) > 1:
            within = distances[np.ix_(members, members)]
            diameter[cluster] = (within.sum(axis=0) / (len(members) - 1)).max()
    before = colors.copy()  # ColorsX: the tree-cut labels, before anything is assigned

    def candidates(branch_id: int) -> np.ndarray:
        labels_on_branch = branch_labels[branches[branch_id].basic_clusters]
        return np.isin(before, np.unique(labels_on_branch))

    def nearest(mean_distance: np.ndarray, use: np.ndarray) -> tuple[int, float]:
        """Label with the smallest mean of ``mean_distance`` over its members (R's tapply)."""
        labels = before[use]
        levels = np.unique(labels)
        means = [mean_distance[labels == level].mean() for level in levels]
        best = int(np.argmin(means))
        return int(levels[best]), float(means[best])

    def accept(label: int, dist: float) -> bool:
        return label > 0 and (dist < diameter[label] or dist < max_pam_dist)

    for sclust in np.unique(small_labels[small_labels != 0]):
        members = np.flatnonzero(small_labels == sclust)
        if respects_dendro:
            branch_id = int(np.unique(on_branch[members])[0])
            if branch_id == 0:
                continue
            use = candidates(branch_id)
        else:
            use = before != 0
        mean_distance = distances[np.ix_(members, np.flatnonzero(use))].mean(axis=0)
        label, dist = nearest(mean_distance, use)
        colors[members] = label if accept(label, dist) else -1

    unlabelled = np.flatnonzero(colors == 0)
    if respects_dendro:
        for obj in unlabelled[on_branch[unlabelled] > 0]:
            use = candidates(int(on_branch[obj]))
            label, dist = nearest(distances[np.flatnonzero(use), obj], use)
            if accept(label, dist):
                colors[obj] = label
    else:
        use = before != 0
        for obj in unlabelled:
            label, dist = nearest(distances[np.flatnonzero(use), obj], use)
            if accept(label, dist):
                colors[obj] = label
    colors[colors < 0] = 0
    return colors


def _rank_by_size(colors: np.ndarray) -> np.ndarray:
    """0 stays 0; clusters renumbered 1, 2, ... by decreasing size, ties by old label."""
    labels = np.zeros_like(colors)
    values, counts = np.unique(colors[colors > 0], return_counts=True)
    order = np.argsort(-counts, kind="stable")
    for rank, value in enumerate(values[order], start=1):
        labels[colors == value] = rank
    return labels


# ----------------------------------------------------------------------------- tree variant


def cutree_tree(
    Z: np.ndarray,
    *,
    min_cluster_size: int = 50,
    deep_split: bool = False,
    max_tree_height: float | None = None,
) -> np.ndarray:
    """R's ``cutreeDynamicTree`` (``cutreeDynamic(method='tree')``) for the tree ``Z``."""
    merge, height, order = r_tree(Z)
    n = len(order)
    if max_tree_height is None or max_tree_height > height.max():
        max_tree_height = 0.99 * height.max()
    static = _static_cut(Z, max_tree_height, min_cluster_size)
    # height at which each leaf joins the tree, then everything along the leaf order
    leaf_height = np.empty(n)
    for (a, b), h in zip(merge, height, strict=True):
        for child in (a, b):
            if child < 0:
                leaf_height[-child - 1] = h
    heights = leaf_height[order]
    clusters = _locate_clusters(static[order])
    if not clusters:
        return np.zeros(n, dtype=int)
    while True:
        found = []
        for start, stop in clusters:  # 0-based, inclusive
            pieces = _split_branch(heights[start : stop + 1], min_cluster_size)
            found += [(start + a, start + b) for a, b in pieces]
        if not deep_split or len(found) == len(clusters):
            break
        clusters = found
    assigned = np.zeros(n, dtype=int)
    count = 0
    for start, stop in found:
        if stop - start + 1 >= min_cluster_size:
            count += 1
            assigned[start : stop + 1] = count
    by_position = _rank_by_size(assigned)
    labels = np.empty(n, dtype=int)
    labels[order] = by_position
    return labels


def _static_cut(Z: np.ndarray, height: float, min_size: int) -> np.ndarray:
    """R's ``.cutTreeStatic``: clusters of the cut with at least ``min_size`` members, else -1."""
    raw = fcluster(Z, height, criterion="distance")
    values, counts = np.unique(raw, return_counts=True)
    labels = np.full(len(raw), -1)
    for value in values[counts >= min_size]:
        labels[raw == value] = value
    return labels


def _locate_clusters(labels: np.ndarray) -> list[tuple[int, int]]:
    """R's ``.locateCluster``: runs of positive labels along the order, 0-based inclusive."""
    n = len(labels)
    shifted = np.concatenate([labels[:1], labels[:-1]])
    diff = np.abs(labels - shifted)
    if labels[0] > 0:
        diff[0] = 1
    if labels[-1] > 0:
        diff[-1] = 1
    flags = np.flatnonzero(diff > 0)
    runs = []
    for i in range(len(flags) - 1):
        idx = flags[i]
        if labels[idx] > 0:
            if flags[i + 1] == n - 1:
                runs.append((idx, flags[i + 1]))
                break
            runs.append((idx, flags[i + 1] - 1))
    return runs


def _split_branch(heights: np.ndarray, min_size: int, use_mean: int = 0):
    """R's ``.processIndividualCluster``: sub-ranges (0-based, inclusive) of one branch."""
    attach_size = 2 * min_size
    min_tail = int(min_size / 3) + 1
    n = len(heights)
    mean = heights.mean()
    reference = {0: mean, 1: (mean + heights.max()) / 2, -1: (mean + heights.min()) / 2}
    diff = heights - reference[use_mean]
    shifted = np.concatenate([diff[1:], diff[-1:]])
    cuts = (diff < 0) & (shifted > 0)
    cuts[0] = cuts[-1] = True

    def retry():
        if use_mean == 0:
            return _split_branch(heights, min_size, 1)
        if use_mean == 1:
            return _split_branch(heights, min_size, -1)
        return [(0, n - 1)]

    if cuts.sum() == 2:
        return retry()
    index = np.flatnonzero(cuts)
    kept = cuts.copy()
    for i in range(1, len(index) - 1):
        segment = diff[index[i - 1] + 1 : index[i] + 1]
        # run of non-positive values at the end of the segment
        positive = np.flatnonzero(segment[::-1] > 0)
        run = positive[0] if len(positive) else 0
        if run < min_tail:
            kept[index[i]] = False
    if kept.sum() > 3:
        j = 1
        while True:
            index2 = np.flatnonzero(kept)
            if j > len(index2) - 2:
                break
            previous = heights[index2[j - 1] + 1 : index2[j] + 1]
            current = heights[index2[j] + 1 : index2[j + 1] + 1]
            if current.mean() < previous.mean() and len(current) < attach_size:
                kept[index2[j]] = False
            else:
                j += 1
    index2 = np.flatnonzero(kept)
    if len(index2) > 2 and index2[-1] - index2[-2] + 1 < min_size:
        kept[index2[-2]] = False
    index2 = np.flatnonzero(kept)
    index2[0] -= 1
    pieces = (
        [(index2[k] + 1, index2[k + 1]) for k in range(len(index2) - 1)]
        if len(index2) > 2
        else [(0, n - 1)]
    )
    if len(pieces) == 1 and use_mean in (0, 1):
        return retry()
    return pieces
