"""The multiscale bootstrap fit of Shimodaira (2004), as pvclust's ``msfit`` does it.

At each scale ``r`` (replicate size / number of genes) a node's bootstrap probability BP(r)
gives ``z(r) = -qnorm(BP(r))``. The model ``z(r) = v sqrt(r) + c / sqrt(r)`` is fitted by
weighted least squares (weights ``1 / var z``, by the delta method), using only scales with
``0.001 < BP(r) < 0.999`` and only when at least 3 such scales remain. Then
``AU = pnorm(-(v - c))``, ``BP = pnorm(-(v + c))`` (at r = 1), and the selective-inference
p-value ``SI`` (Terada & Shimodaira 2017) follows; standard errors by the delta method.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2, norm

FIELDS = ("au", "bp", "si", "se_au", "se_bp", "se_si", "v", "c", "pchi")
_EPS = 0.001
_MIN_SCALES = 3


def fit_nodes(counts: np.ndarray, scales: np.ndarray, n_boot: np.ndarray) -> dict[str, np.ndarray]:
    """Fit every node: ``counts`` is nodes x scales, ``n_boot`` replicates per scale."""
    out = {name: np.zeros(len(counts)) for name in FIELDS}
    for i, row in enumerate(counts):
        for name, value in fit_one(row / n_boot, scales, n_boot).items():
            out[name][i] = value
    return out


def fit_one(bp: np.ndarray, scales: np.ndarray, n_boot: np.ndarray) -> dict[str, float]:
    """The fit of one node from its bootstrap probabilities at each scale."""
    use = (bp > _EPS) & (bp < 1 - _EPS)
    if use.sum() < _MIN_SCALES:
        # BP is 0 or 1 nearly everywhere: the node is never or always there
        p = 0.0 if bp.mean() < 0.5 else 1.0
        return dict.fromkeys(FIELDS, 0.0) | {"au": p, "bp": p, "si": p}
    bp, r, nb = bp[use], scales[use], n_boot[use]
    z = -norm.ppf(bp)
    var_z = (1 - bp) * bp / (norm.pdf(z) ** 2 * nb)
    X = np.column_stack([np.sqrt(r), 1 / np.sqrt(r)])
    information = X.T @ (X / var_z[:, None])
    V = np.linalg.inv(information)
    v, c = V @ (X.T @ (z / var_z))
    z_au, z_bp = v - c, v + c
    h_au, h_bp = np.array([1.0, -1.0]), np.array([1.0, 1.0])
    d0 = norm.cdf(-c)
    p_iau = norm.cdf(z_au)
    si = min(max(1 - p_iau / d0, 0.0), 1.0)
    if 0 < si < 1:
        d1 = norm.pdf(z_au) / d0
        h_si = np.array([d1, -d1 + p_iau * norm.pdf(c) / d0**2])
        se_si = float(np.sqrt(h_si @ V @ h_si))
    else:
        se_si = 0.0
    residual = z - X @ np.array([v, c])
    rss = float(np.sum(residual**2 / var_z))
    df = int(use.sum()) - 2
    return {
        "au": float(norm.cdf(-z_au)),
        "bp": float(norm.cdf(-z_bp)),
        "si": si,
        "se_au": float(norm.pdf(z_au) * np.sqrt(h_au @ V @ h_au)),
        "se_bp": float(norm.pdf(z_bp) * np.sqrt(h_bp @ V @ h_bp)),
        "se_si": se_si,
        "v": float(v),
        "c": float(c),
        "pchi": float(chi2.sf(rss, df)) if df > 0 else 1.0,
    }
