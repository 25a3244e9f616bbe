"""The Newick of samples with awkward names, as R's ape (stored reading) and Bio.Phylo read it.

CI has no R: tests/io/data/make_ape_newick.R read ``newick_awkward.nwk`` with ape 5.7 and
stored what it got; the first test checks that our writer still writes that very file.
"""

from __future__ import annotations

import io
import logging

import numpy as np
import pandas as pd
import pytest
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

import gexclust as gx
from gexclust.io._newick import quote
from tests.io.newick_awkward import DATA, NAMES, awkward_tree


@pytest.fixture
def awkward():
    return awkward_tree()


def _ape_tips() -> pd.DataFrame:
    return pd.read_csv(DATA / "ape_newick_tips.csv", keep_default_na=False, encoding="utf-8")


def _in_file_order(adata) -> list[int]:
    """Samples in the order of the leaves in the Newick (ape numbers its tips so)."""
    return hierarchy.leaves_list(adata.uns["hclust"]["linkage"]).tolist()


def test_the_stored_ape_reading_is_of_the_newick_we_write(awkward, caplog):
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        text = gx.io.write_newick(awkward)
    assert (DATA / "newick_awkward.nwk").read_text(encoding="utf-8") == text + "\n"
    # before: nothing said that R's ape would read "O'Brien sample" as NA
    assert "2 sample name(s) hold a quote (e.g. \"O'Brien sample\")" in caplog.text
    assert "R's ape::read.tree reads them as NA" in caplog.text


def test_ape_reads_every_name_but_those_with_a_quote(awkward):
    tips = _ape_tips()
    names = [NAMES[i] for i in _in_file_order(awkward)]
    assert len(tips) == len(names)
    for (label, is_na), name in zip(tips[["label", "is_na"]].itertuples(index=False), names,
                                    strict=True):
        if "'" in name:  # ape has no escape for a quote inside a label
            assert is_na
        elif quote(name) != name:
            assert not is_na
            assert label == f"'{name}'"  # ape keeps the quotes around a quoted label
        else:
            assert not is_na
            assert label == name
    assert int(tips["is_na"].sum()) == 2


def test_ape_reads_the_tree_and_its_heights(awkward):
    order = _in_file_order(awkward)
    Z = awkward.uns["hclust"]["linkage"]
    ours = squareform(hierarchy.cophenet(Z))[np.ix_(order, order)]
    ape = _ape_tips().filter(regex=r"^d\d+$").to_numpy(dtype=float)
    # ape's cophenetic distance is the path between two tips: their merge height
    np.testing.assert_allclose(ape, ours, atol=2e-6)
    meta = dict(line.split("=", 1) for line in
                (DATA / "ape_newick_meta.txt").read_text().splitlines())
    assert meta["is_ultrametric"] == "TRUE"
    # as.hclust(read.tree()) gives back the merge heights (before: twice them, as each merge
    # sat at its full height where ape's as.phylo(hclust) places it at half)
    assert float(meta["hclust_root_height"]) == pytest.approx(Z[-1, 2], abs=2e-6)


def test_ape_reads_the_support_of_each_clade(awkward):
    order = _in_file_order(awkward)
    Z = awkward.uns["hclust"]["linkage"]
    au = awkward.uns["hclust"]["support"]["au"]
    n = awkward.n_obs
    position = {sample: k + 1 for k, sample in enumerate(order)}  # ape's 1-based tip number
    expected = {}
    for merge in range(n - 1):
        members = hierarchy.to_tree(Z, rd=True)[1][n + merge].pre_order()
        expected[frozenset(position[m] for m in members)] = str(round(100 * au[merge]))
    nodes = pd.read_csv(DATA / "ape_newick_nodes.csv", dtype=str, keep_default_na=False)
    got = {frozenset(map(int, tips.split(";"))): label
           for label, tips in nodes.itertuples(index=False)}
    assert got == expected


def test_bio_phylo_reads_every_name_and_height(awkward):
    Phylo = pytest.importorskip("Bio.Phylo")
    tree = Phylo.read(io.StringIO(gx.io.write_newick(awkward)), "newick")
    leaves = tree.get_terminals()
    order = _in_file_order(awkward)
    assert [leaf.name for leaf in leaves] == [NAMES[i] for i in order]
    Z = awkward.uns["hclust"]["linkage"]
    cophenetic = squareform(hierarchy.cophenet(Z))
    for a, b in [(0, 1), (3, 20), (14, 15), (10, 24)]:  # quotes, blanks, the empty name
        i, j = order.index(a), order.index(b)
        assert tree.distance(leaves[i], leaves[j]) == pytest.approx(cophenetic[a, b], abs=2e-6)
