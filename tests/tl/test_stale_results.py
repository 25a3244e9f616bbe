"""Results derived from a tree (or from the data) are never shown once they no longer belong.

``tl.choose_k`` records the tree it scored, ``tl.cut`` the tree it cut and ``tl.consensus`` the
samples and values it resampled; the plots, the report and the run summary check them and
refuse, saying what to rerun, instead of showing another tree's or other data's numbers.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest

import gexclust as gx
from gexclust._report import _facts as facts
from gexclust.pl._choose_k import choose_k_spec
from gexclust.pl._dendrogram import dendrogram_spec
from tests.conftest import make_planted

SMALL = {"k_range": range(2, 5), "n_rotations": 19, "n_refs": 3}


@pytest.fixture(scope="module")
def scored():
    adata = make_planted(n_per_group=6, n_genes=40)
    gx.tl.hclust(adata)
    gx.tl.choose_k(adata, **SMALL)
    return adata


@pytest.mark.parametrize("rebuild", [
    {"method": "average", "metric": "correlation"},
    {"method": "ward", "optimal_ordering": True},
])
def test_choose_k_of_an_earlier_tree_is_refused(scored, rebuild):
    adata = scored.copy()
    choose_k_spec(adata)  # its own tree: fine
    gx.tl.hclust(adata, **rebuild)
    with pytest.raises(ValueError, match=r"pl.choose_k: .uns\['choose_k'\] was computed from an "
                       r"earlier tree .* rerun gexclust.tl.choose_k\(adata\)$"):
        choose_k_spec(adata)
    with pytest.raises(ValueError, match=r"rerun gexclust\.tl\.choose_k"):
        facts.choice_of_k(adata)  # the report
    gx.tl.choose_k(adata, **SMALL)  # the advice works
    assert choose_k_spec(adata).k == adata.uns["choose_k"]["k"]


def test_choose_k_after_other_genes_or_samples_is_refused(scored):
    genes = scored[:, :30].copy()
    gx.tl.hclust(genes)  # same samples, other genes: another tree
    with pytest.raises(ValueError, match="earlier tree"):
        choose_k_spec(genes)
    cells = scored[:12].copy()  # the tree itself no longer fits: say both steps
    with pytest.raises(ValueError, match=r"rerun gexclust.tl.hclust.*then rerun "
                       r"gexclust.tl.choose_k\(adata\)"):
        choose_k_spec(cells)


def round_trip(adata, fmt, tmp_path):
    """``adata`` written to and read back from an h5ad or zarr store."""
    import anndata as ad

    if fmt == "zarr":
        from tests.test_scanpy_user import needs_zarr

        needs_zarr()
    path = tmp_path / f"a.{fmt}"
    getattr(adata, f"write_{fmt}")(path)
    return getattr(ad, f"read_{fmt}")(path)


def test_choose_k_survives_reordering(scored):
    reordered = scored[np.random.default_rng(0).permutation(scored.n_obs)].copy()
    assert choose_k_spec(reordered).k == scored.uns["choose_k"]["k"]


@pytest.mark.filterwarnings("ignore:Writing zarr v2 data:UserWarning")  # anndata's, not ours
@pytest.mark.parametrize("fmt", ["h5ad", "zarr"])
def test_tree_results_survive_a_round_trip(scored, fmt, tmp_path):
    from gexclust.tl._tree_access import tree_id

    back = round_trip(scored, fmt, tmp_path)
    assert tree_id(back.uns["hclust"]) == tree_id(scored.uns["hclust"])
    assert choose_k_spec(back).k == scored.uns["choose_k"]["k"]


def test_choose_k_of_another_tree_key_is_checked_against_that_tree(scored):
    adata = scored.copy()
    gx.tl.hclust(adata, method="average", key_added="other")
    gx.tl.choose_k(adata, key="other", key_added="k_other", **SMALL)
    choose_k_spec(adata, key="k_other")
    gx.tl.hclust(adata, method="complete", key_added="other")
    with pytest.raises(ValueError, match=r"rerun gexclust.tl.choose_k\(adata, key='other', "
                       r"key_added='k_other'\)"):
        choose_k_spec(adata, key="k_other")
    choose_k_spec(adata)  # .uns['choose_k'] still belongs to .uns['hclust']


def test_a_result_without_a_tree_record_is_used_with_a_warning(scored, caplog):
    adata = scored.copy()
    del adata.uns["choose_k"]["params"]["tree_id"]  # as an earlier gexclust wrote it
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        choose_k_spec(adata)
    assert "cannot be checked" in caplog.text


def test_no_cut_line_from_a_cut_of_an_earlier_tree(caplog):
    adata = make_planted(n_per_group=6, n_genes=40)
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    assert dendrogram_spec(adata).cut is not None
    # the same samples and groups, values twice as spread: a new tree whose heights are
    # doubled, where the old height happens to give the same three groups
    adata.X = adata.X * 2
    gx.tl.hclust(adata)
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        spec = dendrogram_spec(adata)
    assert spec.cut is None
    assert "cut of an earlier tree" in caplog.text
    gx.tl.cut(adata, n_clusters=3)
    assert dendrogram_spec(adata).cut is not None


@pytest.fixture(scope="module")
def resampled():
    adata = make_planted(n_per_group=6, n_genes=40)
    gx.tl.consensus(adata, k_range=range(2, 5), n_resamples=10, progress=False)
    return adata


def test_consensus_of_other_samples_or_values_is_refused(resampled):
    gx.pl.consensus(resampled, show=False)
    subset = resampled[:12].copy()  # .obsp is subset, PAC and CDFs are of all 18 samples
    with pytest.raises(ValueError, match=r"pl.consensus: the consensus in .uns\['consensus'\] "
                       r"was built on other obs .* rerun gexclust.tl.consensus\(adata\)$"):
        gx.pl.consensus(subset, show=False)
    scaled = resampled.copy()
    gx.pp.scale(scaled)
    with pytest.raises(ValueError, match=r"values changed since tl.consensus.*rerun"):
        gx.pl.consensus(scaled, show=False)
    genes = resampled[:, :30].copy()
    with pytest.raises(ValueError, match="had 40 features, now 30"):
        gx.pl.consensus(genes, show=False)
    with pytest.raises(ValueError, match=r"rerun gexclust\.tl\.consensus"):
        facts.consensus_result(scaled)  # the report
    gx.tl.consensus(scaled, k_range=range(2, 5), n_resamples=10, progress=False)
    gx.pl.consensus(scaled, show=False)  # the advice works


@pytest.mark.filterwarnings("ignore:Writing zarr v2 data:UserWarning")  # anndata's, not ours
@pytest.mark.parametrize("fmt", ["h5ad", "zarr"])
def test_consensus_survives_reordering_and_a_round_trip(resampled, fmt, tmp_path):
    reordered = resampled[np.random.default_rng(0).permutation(resampled.n_obs)].copy()
    gx.pl.consensus(reordered, show=False)
    gx.pl.consensus(round_trip(resampled, fmt, tmp_path), show=False)
