"""The analysis behind ``gexclust run``: recipes that go from expression to clusters."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

from ._defaults import DEFAULT_N_TOP

if TYPE_CHECKING:
    from anndata import AnnData

Recipe = Literal["default", "seed"]
RECIPES = ("default", "seed")


@dataclass(frozen=True)
class RunConfig:
    """Parameters of one clustering run.

    ``recipe='default'``: log2 if needed, keep the ``n_top_genes`` most variable genes (all
    genes if ``None``), z-score them (ddof=1), cluster, cut. ``recipe='seed'``: the original
    script: every probe, scikit-learn's StandardScaler (ddof=0), no log/selection.
    """

    recipe: Recipe = "default"
    n_clusters: int = 4
    method: str = "ward"
    metric: str = "euclidean"
    n_top_genes: int | None = DEFAULT_N_TOP

    def as_dict(self) -> dict:
        """Parameters as a JSON-ready dict."""
        return asdict(self)


def cluster_samples(adata: AnnData, config: RunConfig) -> AnnData:
    """Run the recipe on ``adata`` (modified in place and returned).

    Writes, besides what each step documents, ``.layers['expression']`` (the values before
    scaling) and ``.uns['run']`` (the config).
    """
    from . import pp, tl
    from ._checks import check_choice

    if config.recipe == "default":
        pp.log2(adata, auto=True)
        adata.layers["expression"] = adata.X.copy()
        if config.n_top_genes is not None:
            pp.select_variable(adata, n_top=config.n_top_genes, subset=True)
        pp.scale(adata, ddof=1)
    elif config.recipe == "seed":
        adata.layers["expression"] = adata.X.copy()
        pp.scale(adata, ddof=0)
    else:
        check_choice("recipe", config.recipe, RECIPES)
    tl.hclust(adata, method=config.method, metric=config.metric)
    tl.cut(adata, n_clusters=config.n_clusters)
    if "type" in adata.obs:
        tl.compare(adata, "type", "cluster")
    adata.uns["run"] = {k: ("none" if v is None else v) for k, v in config.as_dict().items()}
    return adata
