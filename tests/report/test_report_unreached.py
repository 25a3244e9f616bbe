"""Report sentences no test reached before: a batch named at a glance, weak and non-clade
clusters under a bootstrap, and the sentence for a run where every check passed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from gexclust._pipeline import RunConfig, cluster_samples
from gexclust._report._content import build_report
from gexclust._run_cli import _summary
from tests.conftest import make_planted
from tests.report.test_report_claims import report_text


def test_a_batch_the_clusters_follow_is_said_at_a_glance():
    """A lot that splits a type (the third planted group and two samples of the second in
    L2), which the clusters follow beyond chance, is named in 'At a glance' with its ARI and
    p-value (ARI 0.446: 72 pairs together in both, 41.4 expected, 110 at most) and explained
    under the limits; without types, the same."""
    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    types = adata.obs["type"].astype(str).to_numpy()
    groups = sorted(set(types))
    lot = np.where(types == groups[2], "L2", "L1")
    lot[np.flatnonzero(types == groups[1])[:2]] = "L2"
    adata.obs["lot"] = lot
    untyped = adata.copy()
    del untyped.obs["type"]
    for data in (adata, untyped):
        texts = report_text(data, n_clusters=3)
        overview, limits = texts["overview"], texts["limits"]
        assert ("Caution: the clusters follow the .obs column 'lot' (ARI 0.446, permutation "
                "p = 0.001); see 'What this run cannot tell'.") in overview
        assert ("The clusters agree with the .obs column 'lot' (2 values, 24 samples) at ARI "
                "0.446") in limits
    assert "more than with the sample types" not in limits


def test_weak_and_non_clade_clusters_in_the_support_section_and_the_limits():
    """With a bootstrap: a cluster with AU < 95% is named under the limits; a cluster that is
    not a clade of the tree (a sample left unassigned, as a dynamic cut leaves some) has no
    node to take AU/BP from, says so in the table, and is not called weak."""
    import gexclust as gx
    from gexclust._report import _facts as facts

    adata = make_planted(n_per_group=8, n_groups=3, n_genes=60)
    run = RunConfig(n_clusters=3)
    cluster_samples(adata, run)
    gx.tl.bootstrap(adata, n_boot=100, random_state=0, progress=False)
    # a leaf of the lowest merge is never the last to join its cluster: without it, its
    # cluster is no clade
    tree = adata.uns["hclust"]
    leaf = tree["labels"][int(min(tree["linkage"][0, :2]))]
    broken = str(adata.obs.loc[leaf, "cluster"])
    clusters = adata.obs["cluster"].astype(str).where(adata.obs_names != leaf)
    adata.obs["cluster"] = pd.Categorical(clusters, categories=["1", "2", "3"])
    rows = facts.clade_rows(adata)
    weak, strong = (c for c in ("1", "2", "3") if c != broken)
    assert rows[broken] is None
    tree["support"]["au"][rows[weak]] = 0.5
    tree["support"]["au"][rows[strong]] = 0.99
    summary = _summary(adata, run, {"path": "test", "simulated": False}, adata.n_vars)
    sections = {s.key: s for s in build_report(adata, summary, {}, None).sections}
    table = next(b for b in sections["support"].blocks if hasattr(b, "rows"))
    assert [broken, "n/a", "n/a", "not a clade of the tree"] in table.rows
    limits = " ".join(" ".join(b.items) for b in sections["limits"].blocks if hasattr(b, "items"))
    # before: "Cluster 2 has AU < 95%: the data do not firmly support them as groups."
    assert f"Cluster {weak} has AU < 95%: the data do not firmly support it as a group." in limits
    tree["support"]["au"][rows[strong]] = 0.9
    sections = {s.key: s for s in build_report(adata, summary, {}, None).sections}
    limits = " ".join(" ".join(b.items) for b in sections["limits"].blocks if hasattr(b, "items"))
    pair = " and ".join(sorted([weak, strong]))
    assert f"Clusters {pair} have AU < 95%: the data do not firmly support them as groups." \
        in limits


def test_no_warning_sign_is_said_only_when_every_check_passed():
    """Three planted groups, k chosen by the test of structure, every cluster supported by the
    bootstrap and a lot that alternates across them (ARI -0.030, p = 0.892): the limits say
    that nothing was found, and the lot is in the table, not in a warning."""
    import gexclust as gx

    adata = make_planted(n_per_group=10, n_groups=3, n_genes=60)
    adata.obs["lot"] = np.tile(["L1", "L2"], 15)
    run = RunConfig()
    cluster_samples(adata, run)
    gx.tl.bootstrap(adata, n_boot=200, random_state=0, progress=False)
    assert adata.uns["choose_k"]["k"] == 3
    assert adata.uns["choose_k"]["strong"]
    summary = _summary(adata, run, {"path": "test", "simulated": False}, adata.n_vars)
    limits = next(s for s in build_report(adata, summary, {}, None).sections
                  if s.key == "limits")
    bullets, table = limits.blocks
    assert bullets.items == ["No warning sign was found in the numbers this report checks."]
    assert table.rows == [["lot", "2", "30", "-0.030", "0.892", ""]]
