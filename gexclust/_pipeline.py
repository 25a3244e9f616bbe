"""The analysis behind ``gexclust run``: recipes that go from expression to clusters.

The default recipe was chosen by ``benchmarks/recipes.py`` on a panel of real labelled sets
(Golub, bladder, Garber lung, GSE781 on two platforms); the README shows the table.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Literal

from ._defaults import DEFAULT_FLAVOR, DEFAULT_N_TOP

if TYPE_CHECKING:
    from anndata import AnnData

#: Numbers of clusters ``choose_k`` considers for ``n_clusters='auto'``.
AUTO_K_RANGE = range(2, 11)
#: The seed recipe's number of clusters (the original script's).
SEED_N_CLUSTERS = 4

Recipe = Literal["default", "seed"]
RECIPES = ("default", "seed")
SCALINGS = ("center", "zscore")


@dataclass(frozen=True)
class RunConfig:
    """Parameters of one clustering run.

    ``recipe='default'``: log2 if needed (GEO2R's rule), keep the ``n_top_genes`` genes with the
    highest ``flavor`` score (all genes if ``None``), centre each gene (``scaling='center'``) or
    z-score it (``'zscore'``), cluster, cut. ``recipe='seed'``: the original script: every
    probe, scikit-learn's StandardScaler (ddof=0), no log/selection.

    ``n_clusters``: a number, ``'auto'`` (:func:`gexclust.tl.choose_k` picks it, by the highest
    silhouette, and says whether the groups are strong), or ``None`` for the recipe's own
    default: ``'auto'`` for ``default``, 4 for ``seed``.
    """

    recipe: Recipe = "default"
    n_clusters: int | Literal["auto"] | None = None
    method: str = "ward"
    metric: str = "euclidean"
    n_top_genes: int | None = DEFAULT_N_TOP
    flavor: Literal["mad", "variance"] = DEFAULT_FLAVOR
    scaling: Literal["center", "zscore"] = "center"
    random_state: int = 0

    @property
    def k(self) -> int | Literal["auto"]:
        """The number of clusters to cut, or ``'auto'``, after the recipe's default."""
        if self.n_clusters is None:
            return SEED_N_CLUSTERS if self.recipe == "seed" else "auto"
        return self.n_clusters

    def as_dict(self) -> dict:
        """Parameters as a JSON-ready dict (``n_clusters`` resolved)."""
        return {**asdict(self), "n_clusters": self.k}


def cluster_samples(adata: AnnData, config: RunConfig, *, progress: bool = False) -> AnnData:
    """Run the recipe on ``adata`` (modified in place and returned).

    ``progress``: show :func:`gexclust.tl.choose_k`'s progress bar when its scores take long.

    Writes, besides what each step documents, ``.layers['expression']`` (the values before
    centring/scaling), ``.uns['run']`` (the config) and, with ``n_clusters='auto'``,
    ``.uns['choose_k']`` (see :func:`gexclust.tl.choose_k`). A ``type`` column is compared
    with the clusters (``.uns['compare_type_cluster']``, :func:`gexclust.tl.compare`) unless
    it names no classes (a different label for every sample, e.g. GSM ids, or one for all):
    then a warning says so and ``.uns['run']['type_note']`` records it.
    """
    from . import pp, tl
    from ._checks import check_choice
    from ._labels import has_label, no_classes
    from ._logging import logger

    check_choice("recipe", config.recipe, RECIPES)
    if config.recipe == "default":
        check_choice("scaling", config.scaling, SCALINGS)
        pp.log2(adata, auto=True)
        if config.n_top_genes is not None:
            pp.select_variable(adata, n_top=config.n_top_genes, flavor=config.flavor,
                               subset=True)
        # copied once the genes are selected: a copy of every probe beside .X, which the
        # subset then dropped, was a second whole matrix at the selection's peak
        adata.layers["expression"] = adata.X.copy()
        if config.scaling == "zscore":
            pp.scale(adata, ddof=1)
        else:
            pp.center(adata)
    else:
        adata.layers["expression"] = adata.X.copy()
        pp.scale(adata, ddof=0)
    tl.hclust(adata, method=config.method, metric=config.metric)
    _keep_input_clusters(adata)
    k = config.k
    if k == "auto":
        tl.choose_k(adata, k_range=AUTO_K_RANGE, random_state=config.random_state,
                    progress=progress)
        k = int(adata.uns["choose_k"]["k"])
    tl.cut(adata, n_clusters=k)
    type_note = None
    labelled = adata.obs["type"][has_label(adata.obs["type"])] if "type" in adata.obs else []
    if len(labelled):  # else nothing to compare
        type_note = no_classes(labelled, key="type")
        if type_note is None:
            tl.compare(adata, reference="type", clusters="cluster")
        else:
            logger.warning("%s", type_note)
    run = {key: ("none" if v is None else v) for key, v in config.as_dict().items()}
    adata.uns["run"] = {**run, "n_clusters_cut": int(k)}
    if type_note is not None:
        adata.uns["run"]["type_note"] = type_note
    return adata


def type_agreement(adata: AnnData) -> dict | None:
    """What :func:`cluster_samples` records of ``.obs['type']`` against ``.obs['cluster']``.

    :func:`gexclust.tl.compare`'s result, not stored; ``None`` when the run compares nothing
    (no ``type`` with a label, or one that names no classes).
    """
    from . import tl
    from ._labels import has_label, no_classes

    if "type" not in adata.obs:
        return None
    labelled = adata.obs["type"][has_label(adata.obs["type"])]
    if not len(labelled) or no_classes(labelled, key="type") is not None:
        return None
    return tl.compare(adata, reference="type", clusters="cluster", inplace=False)


def _keep_input_clusters(adata: AnnData) -> None:
    """Keep a ``cluster`` column the input brought (a GEO characteristic) as ``cluster_input``.

    :func:`~gexclust.tl.cut` would replace it; ``cluster_input2``... if that name is taken.
    A record of it in ``.uns['cluster']`` that is not tl.cut's (``sc.tl.leiden(key_added=
    'cluster')``'s), which tl.cut refuses to overwrite, and its colours go along.
    """
    from ._logging import logger

    record = adata.uns.get("cluster")
    ours = hasattr(record, "keys") and "rule" in record  # an earlier run's cut
    if "cluster" not in adata.obs or ours:
        return
    names = (f"cluster_input{'' if i == 1 else i}" for i in itertools.count(1))
    name = next(n for n in names if n not in adata.obs and n not in adata.uns)
    adata.obs = adata.obs.rename(columns={"cluster": name})
    for suffix in ("", "_colors"):
        if f"cluster{suffix}" in adata.uns:
            adata.uns[f"{name}{suffix}"] = adata.uns.pop(f"cluster{suffix}")
    logger.warning("the input's 'cluster' column is kept as .obs[%r]; .obs['cluster'] holds "
                   "gexclust's clusters", name)
