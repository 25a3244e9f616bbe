"""Flat clusters restricted to branches with bootstrap support (pvclust's ``pvpick``)."""

from __future__ import annotations

import numpy as np

from .._checks import check_choice


def support_values(stored_tree, *, support: str, caller: str = "tl.cut",
                   option: str = "min_support") -> np.ndarray:
    """The ``support`` ('au' or 'bp') of every linkage row, or a clear error without one."""
    check_choice("support", support, ("au", "bp"))
    if "support" not in stored_tree:
        msg = (
            f"{caller}: {option} needs bootstrap support in the tree; run "
            "gexclust.tl.bootstrap(adata) first"
        )
        raise KeyError(msg)
    return np.asarray(stored_tree["support"][support], dtype=np.float64)


def node_members(Z: np.ndarray) -> list[np.ndarray]:
    """Leaf ids under each merge (row) of ``Z``."""
    n = len(Z) + 1
    members: list[np.ndarray] = [np.array([i]) for i in range(n)]
    for left, right in Z[:, :2].astype(np.intp):
        members.append(np.concatenate([members[left], members[right]]))
    return members[n:]


def branch_rows(Z: np.ndarray) -> dict[frozenset[int], int]:
    """The linkage row of every branch of ``Z``, by its set of leaf ids."""
    return {frozenset(m.tolist()): row for row, m in enumerate(node_members(Z))}


def keep_supported(raw: np.ndarray, Z: np.ndarray, values: np.ndarray, min_support: float):
    """``raw`` with clusters whose branch has support < ``min_support`` set to 0 (unassigned).

    Single-sample clusters have no branch and are unassigned too.
    """
    _check_level(min_support)
    row_of = branch_rows(Z)
    out = raw.copy()
    for label in np.unique(raw):
        members = np.flatnonzero(raw == label)
        row = row_of.get(frozenset(members.tolist()))
        if row is None or values[row] < min_support:
            out[members] = 0
    return out


def pick_supported(Z: np.ndarray, values: np.ndarray, min_support: float) -> np.ndarray:
    """As pvclust's ``pvpick(max.only=TRUE)``: the largest branches with support >= the level.

    The root is never picked (it is in every replicate). Leaves in no picked branch get 0.
    """
    _check_level(min_support)
    members = node_members(Z)
    raw = np.zeros(len(Z) + 1, dtype=np.intp)
    label = 0
    for row in range(len(Z) - 2, -1, -1):  # from the top down, below the root
        if values[row] >= min_support and not raw[members[row]].any():
            label += 1
            raw[members[row]] = label
    return raw


def _check_level(min_support: float) -> None:
    if not 0 <= min_support <= 1:
        msg = f"min_support must be between 0 and 1 (e.g. 0.95), got {min_support!r}"
        raise ValueError(msg)
