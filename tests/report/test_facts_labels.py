"""The report's numbers leave out samples without a label, as tl.compare does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import gexclust as gx
from gexclust._report import _facts as facts
from tests.conftest import make_planted


def clustered_with_gaps():
    adata = make_planted(n_per_group=6)
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    clusters = adata.obs["cluster"].astype(object)
    clusters.iloc[:4] = np.nan  # unassigned, as a dynamic or supported cut leaves samples
    adata.obs["cluster"] = pd.Categorical(clusters)
    return adata


def test_unassigned_samples_are_no_cluster_of_a_type():
    # before: type_spread listed a cluster 'nan' holding the unassigned samples
    spread = facts.type_spread(clustered_with_gaps())
    assert all("nan" not in counts.index for counts in spread.values())
    assert sum(int(counts.sum()) for counts in spread.values()) == 14


def test_missing_values_are_no_batch_level():
    # before: NaN (or 'nan' from .astype(str)) was a level of the batch column, so a column
    # that follows the clusters wherever it has a value scored ARI 0.32 (4 levels), not 1.0
    adata = clustered_with_gaps()
    follows = adata.obs["type"].astype(str)
    follows.iloc[4:9] = "nan"
    adata.obs["batch"] = follows
    halves = pd.Series(np.where(np.arange(adata.n_obs) % 2, "b1", "b2"), index=adata.obs_names,
                       dtype=object)
    halves.iloc[:9] = np.nan
    adata.obs["run"] = halves
    found = {b.column: (b.ari, b.n_levels) for b in facts.batch_columns(adata)}
    assert found["batch"] == (1.0, 3)
    assert found["run"][1] == 2
    ari = gx.tl.compare(adata, reference="run", clusters="cluster", inplace=False)["ari"]
    assert found["run"][0] == ari


def test_silhouette_scores_assigned_samples_on_the_trees_data():
    from sklearn.metrics import silhouette_score

    adata = clustered_with_gaps()
    assigned = adata.obs["cluster"].notna().to_numpy()
    expected = silhouette_score(adata.X[assigned], adata.obs["cluster"][assigned].astype(str))
    # before: the 4 unassigned samples were scored as a cluster 'nan'
    assert facts.silhouette(adata) == pytest.approx(expected, rel=1e-9)
    gx.pp.scale(adata)  # same shape, other values: no longer the tree's distances
    assert facts.silhouette(adata) is None  # before: the silhouette of the scaled values


@pytest.mark.parametrize("column", ["description", "samples", "title"])
def test_a_sheet_column_named_like_a_sample_name_is_still_checked_as_a_batch(tmp_path, column):
    # before: a sheet's 'description' (or 'samples', 'title') was skipped as a name column,
    # so the report never compared it with the clusters, without a word
    adata = make_planted(n_per_group=6)
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    lots = [f"lot {c}" for c in adata.obs["cluster"]]
    path = tmp_path / "sheet.csv"
    path.write_text(f"sample,{column}\n" + "".join(
        f"{s},{lot}\n" for s, lot in zip(adata.obs_names, lots, strict=True)))
    gx.io.annotate_obs(adata, path)
    found = {b.column: b for b in facts.batch_columns(adata)}
    assert found[column].ari == 1.0
    assert found[column].n_levels == 3


def test_a_geo_description_ending_in_a_full_stop_keeps_its_last_measurement():
    # GSE781: '...; Raw Q = 2.39; Noise = 2.60; Background = 55.24.' kept the sentence's full
    # stop, so 'Background' ('55.24.', '60.24.', ...) was text with a value per sample:
    # neither a measurement nor a grouping, it was left out of the report's checks without a
    # word, though the clusters differ in it most (epsilon² 0.45, permutation p = 0.003)
    from types import SimpleNamespace

    from gexclust.io._geo_build import sample_obs

    adata = make_planted(n_per_group=6)
    gx.tl.hclust(adata)
    gx.tl.cut(adata, n_clusters=3)
    groups = adata.obs["cluster"].astype(int).to_numpy()
    samples = [SimpleNamespace(accession=name, meta={
        "Sample_title": [name],
        "Sample_description": [f"Age = {50 + i}; Noise = 2.{i:02d}; "
                               f"Background = {40 * g + i}.{i:02d}."]})
        for i, (name, g) in enumerate(zip(adata.obs_names, groups, strict=True))]
    obs = sample_obs(samples, series=None, type_from=None)
    assert obs["Background"].tolist()[:2] == [40 * groups[0] + 0.0, 40 * groups[1] + 1.01]
    adata.obs["Background"] = obs["Background"].to_numpy()
    tested = {f.column: f for f in facts.numeric_columns(adata)}
    assert tested["Background"].epsilon2 > 0.8  # each cluster its own range of values
