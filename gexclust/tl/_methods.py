"""Linkage methods and distances that :func:`gexclust.tl.hclust` accepts, and their check.

Light on purpose: ``gexclust run`` checks its options before importing anything heavy.
"""

from __future__ import annotations

from typing import Literal

from .._checks import check_choice

METHODS = ("ward", "average", "complete", "single", "weighted", "centroid", "median")
METRICS = ("euclidean", "correlation", "spearman", "cosine", "cityblock")
#: Methods whose update formula is only geometric for euclidean distances.
EUCLIDEAN_ONLY = ("ward", "centroid", "median")

Method = Literal["ward", "average", "complete", "single", "weighted", "centroid", "median"]
Metric = Literal["euclidean", "correlation", "spearman", "cosine", "cityblock"]


def check_method_metric(method: str, metric: str) -> None:
    """Refuse unknown methods/metrics and combinations that make no sense (ward + correlation)."""
    check_choice("method", method, METHODS)
    check_choice("metric", metric, METRICS)
    if method in EUCLIDEAN_ONLY and metric != "euclidean":
        msg = (
            f"method={method!r} needs metric='euclidean' (its merge rule assumes euclidean "
            f"geometry); with metric={metric!r} use one of 'average', 'complete', 'single', "
            "'weighted'"
        )
        raise ValueError(msg)
