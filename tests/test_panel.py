"""Science regression: the default recipe finds the known classes of real labelled sets.

The panel and the goal come from ``benchmarks/recipes.py`` (see the README): at the true number
of classes, the default recipe must reach a mean ARI of at least 0.75 over the five sets, with
no set below 0.30. Each file is read once per module; tests skip when the data are absent.
"""

from __future__ import annotations

import numpy as np
import pytest

import gexclust as gx
from gexclust._pipeline import RunConfig, cluster_samples
from tests.conftest import shared_file

LUNG_MAIN = ["Adeno", "SCC", "SCLC", "normal"]
#: set -> (true k, lowest acceptable ARI); floors a little under what the recipe reached
#: when it was chosen (0.79, 0.37, 0.65, 1.00, 1.00)
PANEL = {
    "Golub": (2, 0.75),
    "bladder": (3, 0.30),
    "lung": (4, 0.60),
    "GSE781 GPL96": (2, 0.95),
    "GSE781 GPL97": (2, 0.95),
}


@pytest.fixture(scope="module")
def gse781():
    path = shared_file("GSE781_family.soft.gz")
    return gx.io.read_soft(path, platform="all", type_from="source_name")


def panel_set(name: str, gse781_loader):
    if name == "Golub":
        return gx.io.read_cumida(shared_file("real/golub_multtest.csv.gz"))
    if name == "bladder":
        return gx.io.read_cumida(shared_file("real/bladder_cancer.csv.gz"))
    if name == "lung":
        lung = gx.io.read_cumida(shared_file("real/lung_pvclust.csv.gz"), missing="impute")
        return lung[lung.obs["type"].isin(LUNG_MAIN)].copy()
    return gse781_loader()[name.split()[1]].copy()


@pytest.fixture(scope="module")
def panel_ari():
    """ARI of the default recipe at the true k, filled in by the per-set tests."""
    return {}


@pytest.mark.parametrize("name", list(PANEL))
def test_default_recipe_finds_known_classes(name, panel_ari, request):
    k, floor = PANEL[name]
    adata = panel_set(name, lambda: request.getfixturevalue("gse781"))
    cluster_samples(adata, RunConfig(n_clusters=k))
    ari = adata.uns["compare_type_cluster"]["ari"]
    panel_ari[name] = ari
    assert ari >= floor, f"{name}: ARI {ari:.3f} < {floor}"


def test_default_recipe_reaches_the_panel_goal(panel_ari):
    missing = [name for name in PANEL if name not in panel_ari]
    if missing:
        pytest.skip(f"panel sets not scored (data absent or test deselected): {missing}")
    values = np.array(list(panel_ari.values()))
    assert values.mean() >= 0.75
    assert values.min() >= 0.30
    assert values.mean() > 0.73  # today's default before the benchmark


def test_auto_k_on_gse781_gpl96_is_normal_vs_rcc(gse781):
    adata = gse781["GPL96"].copy()
    cluster_samples(adata, RunConfig())
    chosen = adata.uns["choose_k"]
    assert chosen["k"] == 2
    assert chosen["strong"]
    assert adata.uns["compare_type_cluster"]["ari"] == 1.0
    # N2, N3 and N4 are titled "Renal Clear Cell Carcinoma" but are normal tissue
    titled_wrong = adata.obs["title"].str.match(r"N[234] ")
    assert titled_wrong.sum() == 3
    normal = adata.obs["type"].str.contains("normal tissue")
    assert adata.obs.loc[titled_wrong, "cluster"].eq(adata.obs.loc[normal, "cluster"].iloc[0]).all()
