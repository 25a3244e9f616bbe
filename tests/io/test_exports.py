"""TreeView (CDT/ATR/GTR) and Newick exports: parsed back, they give the same trees."""

from __future__ import annotations

import io
import itertools
import os
import subprocess
import sys
import textwrap

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

import gexclust as gx
from gexclust.io._newick import significant_decimals
from tests.conftest import make_planted


@pytest.fixture
def clustered():
    return make_clustered()


def make_clustered(last_sample: str | None = None, last_gene: str | None = None):
    """Planted data with a sample tree and a gene tree ('genes'); the last names if given."""
    adata = make_planted(n_per_group=5, n_groups=3, n_genes=30)
    if last_sample is not None:
        adata.obs_names = [*adata.obs_names[:-1], last_sample]
    if last_gene is not None:
        adata.var_names = [*adata.var_names[:-1], last_gene]
    adata.var["gene_symbol"] = [f"SYM{j}" for j in range(adata.n_vars)]
    gx.tl.hclust(adata, method="average", metric="correlation")
    gx.tl.hclust(adata, axis="var", method="average", metric="euclidean", key_added="genes")
    return adata


def read_rows(path):
    return [line.rstrip("\n").split("\t")
            for line in path.read_text(encoding="utf-8").splitlines(True)]


def tree_from_file(path, leaf: str):
    """Linkage rebuilt from a GTR/ATR file (children as written, similarity column)."""
    rows = read_rows(path)
    n = len(rows) + 1

    def index(name: str) -> int:
        if name.startswith("NODE"):
            return n + int(name[4:-1]) - 1
        assert name.startswith(leaf)
        assert name.endswith("X")
        return int(name[len(leaf):-1])

    for k, row in enumerate(rows):
        assert row[0] == f"NODE{k + 1}X"  # merge order
    children = np.array([[index(r[1]), index(r[2])] for r in rows])
    similarity = np.array([float(r[3]) for r in rows])
    return children, similarity


def test_treeview_files_rebuild_the_same_trees(clustered, tmp_path):
    paths = gx.io.write_treeview(clustered, tmp_path / "run", gene_key="genes")
    assert [p.name for p in paths] == ["run.cdt", "run.atr", "run.gtr"]
    Z = clustered.uns["hclust"]["linkage"]
    Zg = clustered.uns["genes"]["linkage"]

    children, similarity = tree_from_file(tmp_path / "run.atr", "ARRY")
    np.testing.assert_array_equal(children, Z[:, :2])  # same merges, same child order
    np.testing.assert_allclose(1 - similarity, Z[:, 2], atol=1e-6)  # correlation: 1 - r
    rebuilt = np.column_stack([children, 1 - similarity, Z[:, 3]])
    gchildren, gsim = tree_from_file(tmp_path / "run.gtr", "GENE")
    np.testing.assert_array_equal(gchildren, Zg[:, :2])
    np.testing.assert_allclose(1 - gsim, Zg[:, 2] / Zg[:, 2].max(), atol=1e-6)  # rescaled
    assert gsim.min() >= 0
    assert gsim.max() <= 1

    rows = read_rows(tmp_path / "run.cdt")
    assert rows[0][:4] == ["GID", "UNIQID", "NAME", "GWEIGHT"]
    assert rows[1][:4] == ["AID", "", "", ""]
    assert rows[2][:4] == ["EWEIGHT", "", "", ""]
    columns = [int(a[4:-1]) for a in rows[1][4:]]
    # columns in the leaf order of the tree rebuilt from the ATR, named as in adata
    assert columns == hierarchy.leaves_list(rebuilt).tolist()
    assert rows[0][4:] == list(clustered.obs_names[columns])
    genes = [int(r[0][4:-1]) for r in rows[3:]]
    assert genes == hierarchy.leaves_list(Zg).tolist()
    assert [r[2] for r in rows[3:]] == [f"SYM{g}" for g in genes]
    values = np.array([[float(v) for v in r[4:]] for r in rows[3:]])
    np.testing.assert_allclose(values, clustered.X[np.ix_(columns, genes)].T, rtol=1e-5)


def test_cdt_written_a_block_of_genes_at_a_time_is_the_same_file(clustered, tmp_path,
                                                                  monkeypatch):
    from gexclust.io import _treeview

    whole = gx.io.write_treeview(clustered, tmp_path / "whole", gene_key="genes")[0]
    monkeypatch.setattr(_treeview, "_BLOCK_VALUES", 2 * clustered.n_obs)  # 2 genes a block
    blocks = gx.io.write_treeview(clustered, tmp_path / "blocks", gene_key="genes")[0]
    assert blocks.read_bytes() == whole.read_bytes()
    assert len(read_rows(blocks)) == 3 + clustered.n_vars


def test_cdt_without_gene_tree_has_no_gid_and_keeps_missing_values_empty(tmp_path):
    adata = make_planted(n_per_group=3, n_groups=2, n_genes=8)
    adata.obs_names = [f"s\t{i}" for i in range(adata.n_obs)]  # a tab must not break columns
    gx.tl.hclust(adata)
    adata.X[0, 0] = np.nan
    paths = gx.io.write_treeview(adata, tmp_path / "t")
    assert [p.suffix for p in paths] == [".cdt", ".atr"]
    rows = read_rows(tmp_path / "t.cdt")
    assert rows[0][:3] == ["UNIQID", "NAME", "GWEIGHT"]
    assert rows[1][:3] == ["AID", "", ""]
    assert {len(r) for r in rows} == {3 + adata.n_obs}
    column = rows[1].index("ARRY0X")
    assert rows[3][column] == ""
    assert rows[0][column] == "s 0"
    _, similarity = tree_from_file(tmp_path / "t.atr", "ARRY")
    assert similarity[-1] == pytest.approx(0.0)  # euclidean: root at 0, leaves at 1


def test_cdt_writes_names_as_they_are_and_values_as_cluster_does(tmp_path):
    # TreeView reads plain tab-separated fields: a quote is part of a name, not CSV quoting
    adata = make_planted(n_per_group=3, n_groups=2, n_genes=4)
    gx.tl.hclust(adata)
    adata.var_names = ['5\' "UTR"', "a,b", "g2", "g3"]
    adata.X = np.array([[1e-7, -0.0, np.inf, 123456789.0]] * adata.n_obs)
    adata.X[0, 3] = np.nan
    gx.io.write_treeview(adata, tmp_path / "t")
    rows = read_rows(tmp_path / "t.cdt")
    assert [r[0] for r in rows[3:]] == ['5\' "UTR"', "a,b", "g2", "g3"]
    column = rows[1].index("ARRY0X")
    values = [r[3:] for r in rows[3:]]
    assert {v for r in values[:3] for v in r} == {"1e-07", "-0", "inf"}
    assert values[3][column - 3] == ""
    assert set(values[3]) == {"", "1.23457e+08"}


def test_cdt_names_a_gene_without_symbol_by_its_probe_id(tmp_path):
    # before: GEO platforms give a probe without a gene symbol an empty 'Gene Symbol', read
    # as '' (not NaN), and the NAME column, TreeView's row label, was left blank for it: 57 of
    # the 1000 genes of gexclust run on the example, 414 on GSE781's GPL97
    adata = make_planted(n_per_group=3, n_groups=2, n_genes=4)
    gx.tl.hclust(adata)
    adata.var["gene_symbol"] = pd.Categorical(["CCL5", "", " ", np.nan])
    gx.io.write_treeview(adata, tmp_path / "t")
    rows = read_rows(tmp_path / "t.cdt")
    assert [r[:2] for r in rows[3:]] == [[g, s] for g, s in zip(
        adata.var_names, ["CCL5", *adata.var_names[1:]], strict=True)]


def test_cdt_names_a_gene_whose_symbol_is_a_no_gene_text_by_its_probe_id(tmp_path):
    # before: Affymetrix's '---' and astype(str)'s 'nan' were written as the NAME of the row,
    # while the plots label such a probe by its id
    adata = make_planted(n_per_group=3, n_groups=2, n_genes=4)
    gx.tl.hclust(adata)
    adata.var["gene_symbol"] = ["CCL5", "---", "nan", "A /// B"]
    gx.io.write_treeview(adata, tmp_path / "t")
    rows = read_rows(tmp_path / "t.cdt")
    names = ["CCL5", adata.var_names[1], adata.var_names[2], "A /// B"]
    assert [r[:2] for r in rows[3:]] == [[g, s] for g, s in zip(adata.var_names, names,
                                                                  strict=True)]


def _bio_record(adata, Cluster):
    """A Bio.Cluster record of ``adata`` (genes as rows, missing values masked)."""
    record = Cluster.Record()
    values = np.asarray(adata.X, dtype=float).T
    record.data = np.nan_to_num(values)
    record.mask = (~np.isnan(values)).astype(np.int32)
    record.geneid = list(adata.var_names)
    record.genename = list(adata.var["gene_symbol"])
    record.expid = list(adata.obs_names)
    record.gweight = np.ones(adata.n_vars)
    record.eweight = np.ones(adata.n_obs)
    record.uniqid = "UNIQID"
    return record


def _bio_tree(Z, Cluster):
    n = len(Z) + 1
    ref = [int(c) if c < n else -(int(c) - n + 1) for c in Z[:, :2].ravel()]
    return Cluster.Tree([Cluster.Node(ref[2 * k], ref[2 * k + 1], Z[k, 2])
                         for k in range(len(Z))])


def _cdt_cells(path):
    """The header rows' first 4 fields, and per (GENE id, ARRY id) everything TreeView shows."""
    rows = read_rows(path)
    names, aids, weights = rows[:3]
    cells = {}
    for row in rows[3:]:
        for j in range(4, len(row)):
            value = None if row[j] == "" else float(row[j])
            cells[row[0], aids[j]] = (*row[1:4], names[j], weights[j], value)
    return [r[:4] for r in rows[:3]], cells


def test_treeview_files_match_biopython_cluster_with_both_trees(tmp_path):
    """Bio.Cluster (Cluster 3.0's library) saving the same two trees writes the same files.

    Names with quotes are written as they are (TreeView reads tab-separated fields, as
    Cluster 3.0 writes them), a missing value as an empty field; only the leaf order may
    differ (each writer orders the leaves of the same tree its own way).
    """
    Cluster = pytest.importorskip("Bio.Cluster")
    adata = make_clustered(last_sample='it\'s "q"', last_gene='5\' "UTR"')
    adata.X[0, 0] = adata.X[3, 7] = np.nan
    adata.uns["genes"]["params"]["metric"] = "correlation"  # so both write 1 - height
    Z, Zg = adata.uns["hclust"]["linkage"], adata.uns["genes"]["linkage"]
    _bio_record(adata, Cluster).save(str(tmp_path / "bio"), geneclusters=_bio_tree(Zg, Cluster),
                                     expclusters=_bio_tree(Z, Cluster))
    gx.io.write_treeview(adata, tmp_path / "ours", gene_key="genes")
    for ext in ("atr", "gtr"):
        bio = {(frozenset(r[1:3]), round(float(r[3]), 5)) for r in read_rows(
            tmp_path / f"bio.{ext}")}
        ours = {(frozenset(r[1:3]), round(float(r[3]), 5)) for r in read_rows(
            tmp_path / f"ours.{ext}")}
        assert ours == bio
    (bio_head, bio_cells), (our_head, our_cells) = (_cdt_cells(tmp_path / f"{name}.cdt")
                                                    for name in ("bio", "ours"))
    assert our_head == bio_head == [["GID", "UNIQID", "NAME", "GWEIGHT"], ["AID", "", "", ""],
                                    ["EWEIGHT", "", "", ""]]
    assert our_cells.keys() == bio_cells.keys()
    assert len(our_cells) == adata.n_obs * adata.n_vars
    for cell, bio in bio_cells.items():
        ours = our_cells[cell]
        assert ours[:5] == bio[:5]  # gene id, name, weight, sample name, sample weight
        if bio[5] is None:
            assert ours[5] is None
        else:
            assert ours[5] == pytest.approx(bio[5], rel=1e-5)  # 6 significant digits
    assert our_cells["GENE0X", "ARRY0X"][5] is None
    assert our_cells["GENE29X", "ARRY14X"][:4] == ('5\' "UTR"', "SYM29", "1.000000", 'it\'s "q"')


def test_treeview_writes_an_inversion_at_its_child_as_biopython_cluster_does(tmp_path):
    # before: a merge of a centroid tree lower than a merge it contains was written at its
    # own similarity, above its child's: TreeView places nodes at their similarity and drew
    # the branch backwards; Cluster 3.0 (Bio.Cluster) writes it at its highest child's
    Cluster = pytest.importorskip("Bio.Cluster")
    from gexclust.tl._flat_cuts import count_inversions

    adata = make_planted(n_per_group=5, n_groups=3, n_genes=30)
    adata.var["gene_symbol"] = adata.var_names
    gx.tl.hclust(adata, method="centroid")
    Z = adata.uns["hclust"]["linkage"]
    assert count_inversions(Z) > 0
    adata.uns["hclust"]["params"]["metric"] = "correlation"  # so both write 1 - height
    _bio_record(adata, Cluster).save(str(tmp_path / "bio"), expclusters=_bio_tree(Z, Cluster))
    gx.io.write_treeview(adata, tmp_path / "ours")
    bio, ours = ({(frozenset(r[1:3]), round(float(r[3]), 5)) for r in read_rows(
        tmp_path / f"{name}.atr")} for name in ("bio", "ours"))
    assert ours == bio
    rows = read_rows(tmp_path / "ours.atr")
    similarity = {r[0]: float(r[3]) for r in rows}
    for row in rows:  # no node above a node it contains
        assert all(similarity[row[0]] <= similarity[c] for c in row[1:3] if c in similarity)


def test_treeview_keeps_one_field_per_column_where_biopython_cluster_breaks_rows(tmp_path):
    """A tab or a line break in a name: Bio.Cluster writes it raw and the row falls apart."""
    Cluster = pytest.importorskip("Bio.Cluster")
    adata = make_clustered(last_sample="a\tb", last_gene="g\nx")
    Z, Zg = adata.uns["hclust"]["linkage"], adata.uns["genes"]["linkage"]
    _bio_record(adata, Cluster).save(str(tmp_path / "bio"), geneclusters=_bio_tree(Zg, Cluster),
                                     expclusters=_bio_tree(Z, Cluster))
    gx.io.write_treeview(adata, tmp_path / "ours", gene_key="genes")
    assert len({len(r) for r in read_rows(tmp_path / "bio.cdt")}) > 1
    rows = read_rows(tmp_path / "ours.cdt")
    assert {len(r) for r in rows} == {4 + adata.n_obs}
    assert "a b" in rows[0]
    assert [r[1] for r in rows if r[0] == "GENE29X"] == ["g x"]


def test_newick_round_trips_through_bio_phylo(clustered, tmp_path):
    Phylo = pytest.importorskip("Bio.Phylo")
    clustered.obs_names = [*clustered.obs_names[:-2], "sample 14", "it's:15"]
    gx.tl.hclust(clustered, method="average", metric="correlation")  # names are the tree's
    text = gx.io.write_newick(clustered, tmp_path / "tree.nwk")
    assert (tmp_path / "tree.nwk").read_text() == text + "\n"
    tree = Phylo.read(tmp_path / "tree.nwk", "newick")
    Z = clustered.uns["hclust"]["linkage"]
    names = list(clustered.obs_names)

    assert [t.name for t in tree.get_terminals()] == [
        names[i] for i in hierarchy.leaves_list(Z)]
    ours = {frozenset(t.name for t in clade.get_terminals()) for clade in tree.get_nonterminals()}
    root = hierarchy.to_tree(Z)
    scipy_clades = {frozenset(names[i] for i in node.pre_order())
                    for node in _internal(root)}
    assert ours == scipy_clades
    # every leaf sits at half the root's merge height (ultrametric tree), as ape::as.phylo
    # places an hclust merge, and the path between two leaves is their merge height
    # (before: each merge sat at its full height, so paths were twice the heights, and
    # R's as.hclust(read.tree()) doubled every height of R's own hclust)
    depths = tree.depths()
    for leaf in tree.get_terminals():
        assert depths[leaf] == pytest.approx(Z[-1, 2] / 2, abs=1e-5)
    cophenetic = squareform(hierarchy.cophenet(Z))
    leaves = {leaf.name: leaf for leaf in tree.get_terminals()}
    for i, j in [(0, 1), (0, 14), (3, 13), (13, 14)]:  # with the quoted names
        assert tree.distance(leaves[names[i]], leaves[names[j]]) == pytest.approx(
            cophenetic[i, j], abs=1e-5)


def test_newick_quotes_labels_that_dendropy_reads_as_punctuation(clustered):
    # before: 'a"b', 'x=y', '{c}' and 'a\\b' were written unquoted: the Newick standard
    # allows them, but dendropy 5.1.3 (as NEXUS) ends a label there and refused the whole
    # tree ("Expecting ':', ')', ',' or ';' after reading label but found '\"'")
    Phylo = pytest.importorskip("Bio.Phylo")
    awkward = ['a"b', "x=y", "{c}", "a\\b"]
    clustered.obs_names = [*awkward, *clustered.obs_names[len(awkward):]]
    gx.tl.hclust(clustered, method="average", metric="correlation")
    text = gx.io.write_newick(clustered)
    written = set(text.replace("(", ",").replace(")", ",").replace(":", ",").split(","))
    assert {"'a\"b'", "'x=y'", "'{c}'", "'a\\b'"} <= written
    assert {"s5", "s6"} <= written  # plain labels stay unquoted (R's ape keeps the quotes)
    tree = Phylo.read(io.StringIO(text), "newick")
    assert sorted(t.name for t in tree.get_terminals()) == sorted(clustered.obs_names)


def test_newick_writes_a_line_break_in_a_name_as_a_space(clustered, caplog):
    # before: 'a\nb' was written as it is inside quotes, which the Newick standard forbids;
    # R's ape and Bio.Phylo read it as 'ab' (dendropy as 'a\nb'), a name the samples lack
    import logging

    Phylo = pytest.importorskip("Bio.Phylo")
    clustered.obs_names = ["a\nb", "c\r\nd", "e\rf", *clustered.obs_names[3:]]
    gx.tl.hclust(clustered, method="average", metric="correlation")
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        text = gx.io.write_newick(clustered)
    assert "\n" not in text
    assert "\r" not in text
    tree = Phylo.read(io.StringIO(text), "newick")
    assert {"a b", "c d", "e f"} <= {t.name for t in tree.get_terminals()}
    assert "3 sample name(s) hold a line break" in caplog.text
    assert "written with a space instead (e.g. 'a\\nb')" in caplog.text


def test_newick_warns_that_bio_phylo_drops_a_quote_that_starts_a_name(clustered, caplog):
    # before: the warning on quotes said Bio.Phylo reads such names, but Bio.Phylo 1.88
    # reads the standard's '''q''' (the name 'q', quotes included) as "q'" without a word
    import logging

    Phylo = pytest.importorskip("Bio.Phylo")
    clustered.obs_names = ["'q'", "O'Brien", *clustered.obs_names[2:]]
    gx.tl.hclust(clustered, method="average", metric="correlation")
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        text = gx.io.write_newick(clustered)
    assert "'''q'''" in text  # as the Newick standard writes it
    names = {t.name for t in Phylo.read(io.StringIO(text), "newick").get_terminals()}
    assert "O'Brien" in names
    assert "'q'" not in names  # Bio.Phylo's reading, which the warning names
    assert "2 sample name(s) hold a quote" in caplog.text
    assert "1 start with one (e.g. \"'q'\"), which Bio.Phylo drops" in caplog.text
    caplog.clear()
    clustered.obs_names = ["q", *clustered.obs_names[1:]]
    gx.tl.hclust(clustered, method="average", metric="correlation")
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        gx.io.write_newick(clustered)
    assert "1 sample name(s) hold a quote" in caplog.text
    assert "Bio.Phylo drops" not in caplog.text


def test_newick_says_which_sample_names_repeat(clustered, caplog):
    # before: repeated names were written without a word; dendropy 5.1.3 then refused the
    # tree ("Multiple occurrences of the same taxa on trees are not supported") and R's ape
    # gave two rows named 's0' in cophenetic()
    import logging
    import warnings

    with warnings.catch_warnings():  # AnnData's own warning about non-unique names
        warnings.simplefilter("ignore", UserWarning)
        clustered.obs_names = ["s0", "s0", "", "", *clustered.obs_names[4:]]
    gx.tl.hclust(clustered, method="average", metric="correlation")
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        text = gx.io.write_newick(clustered)
    assert "2 sample name(s) repeat (e.g. 's0')" in caplog.text
    assert "adata.obs_names_make_unique()" in caplog.text
    assert text.count("s0:") == 2  # written as they are
    caplog.clear()
    clustered.obs_names_make_unique()
    gx.tl.hclust(clustered, method="average", metric="correlation")
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        gx.io.write_newick(clustered)
    assert "repeat" not in caplog.text


def test_newick_labels_internal_nodes_with_au(clustered):
    Phylo = pytest.importorskip("Bio.Phylo")
    n_merges = clustered.n_obs - 1
    au = np.linspace(0.5, 1.0, n_merges)
    clustered.uns["hclust"]["support"] = {"au": au, "bp": au / 2, "se": au * 0}
    tree = Phylo.read(io.StringIO(gx.io.write_newick(clustered)), "newick")
    Z = clustered.uns["hclust"]["linkage"]
    names = list(clustered.obs_names)
    by_members = {}
    for k in range(n_merges):
        members = _members(Z, k, len(names))
        by_members[frozenset(names[i] for i in members)] = round(100 * au[k])
    for clade in tree.get_nonterminals():
        key = frozenset(t.name for t in clade.get_terminals())
        assert clade.confidence == by_members[key]
    assert gx.io.write_newick(clustered, support=None).endswith(");")


def test_newick_refuses_an_unknown_support_with_or_without_a_bootstrap(clustered):
    # before: support='AU' raised only after a bootstrap; without one it was ignored silently
    for _ in range(2):
        with pytest.raises(ValueError, match=r"write_newick: support must be 'au', 'bp' or "
                                             r"None, got 'AU'"):
            gx.io.write_newick(clustered, support="AU")
        gx.tl.bootstrap(clustered, n_boot=5, progress=False)


def test_exports_refuse_a_tree_of_another_shape(clustered, tmp_path):
    with pytest.raises(ValueError, match="is a gene tree"):
        gx.io.write_newick(clustered, key="genes")
    with pytest.raises(ValueError, match=r"rerun gexclust\.tl\.hclust"):
        gx.io.write_newick(clustered[:10].copy())
    with pytest.raises(KeyError, match="no tree"):
        gx.io.write_treeview(clustered, tmp_path / "x", key="missing")


def _internal(node):
    stack = [node]
    while stack:
        current = stack.pop()
        if not current.is_leaf():
            yield current
            stack += [current.get_left(), current.get_right()]


def _members(Z, k, n):
    out, stack = [], [n + k]
    while stack:
        c = stack.pop()
        if c < n:
            out.append(c)
        else:
            stack += [int(Z[c - n, 0]), int(Z[c - n, 1])]
    return out


def test_exports_of_a_reordered_anndata_are_unchanged(clustered, tmp_path):
    """Trees are matched to samples and genes by name, so reordering changes no byte."""
    perm = np.random.default_rng(0).permutation(clustered.n_obs)
    shuffled = clustered[perm, ::-1].copy()
    assert gx.io.write_newick(shuffled) == gx.io.write_newick(clustered)
    first = gx.io.write_treeview(clustered, tmp_path / "a", gene_key="genes")
    second = gx.io.write_treeview(shuffled, tmp_path / "b", gene_key="genes")
    for a, b in zip(first, second, strict=True):
        assert a.read_text() == b.read_text()


def test_newick_says_how_many_negative_branches_it_wrote_as_zero(caplog):
    # before: the inversions of a centroid tree were written as 0 without a word
    import logging

    adata = make_planted()
    gx.tl.hclust(adata, method="centroid")
    Z = adata.uns["hclust"]["linkage"]
    n = adata.n_obs
    heights = np.r_[np.zeros(n), Z[:, 2]]
    parent = np.empty(2 * n - 1)
    parent[Z[:, :2].astype(int)] = Z[:, 2][:, None]
    n_negative = int(((parent - heights)[:-1] < 0).sum())
    assert n_negative > 0
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        text = gx.io.write_newick(adata)
    assert f"{n_negative} branch length(s) were negative" in caplog.text
    assert text.count(":0.000000") >= n_negative
    caplog.clear()
    gx.tl.hclust(adata, method="average")
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        gx.io.write_newick(adata)
    assert "negative" not in caplog.text


def test_newick_of_a_tree_with_inversions_stays_ultrametric(tmp_path):
    # before: an inversion's branch was written as 0 with its node left at its own height,
    # so the leaves beneath it sat further from the root than the others (golub's centroid
    # tree: 15.5 to 18.9) and R's as.hclust(read.tree()) refused it as not ultrametric;
    # now the merge sits at its highest child's height, as Cluster 3.0 writes it
    Phylo = pytest.importorskip("Bio.Phylo")
    from gexclust.io._heights import drawn_heights
    from gexclust.tl._flat_cuts import count_inversions

    adata = make_planted()
    gx.tl.hclust(adata, method="centroid")
    Z = adata.uns["hclust"]["linkage"]
    assert count_inversions(Z) > 0
    gx.io.write_newick(adata, tmp_path / "tree.nwk")
    tree = Phylo.read(tmp_path / "tree.nwk", "newick")
    depths = tree.depths()
    leaves = tree.get_terminals()
    leaf_depths = np.array([depths[leaf] for leaf in leaves])
    assert (leaf_depths.max() - leaf_depths.min()) / leaf_depths.max() <= 1.5e-8
    raised = Z.copy()
    raised[:, 2] = drawn_heights(Z)
    cophenetic = squareform(hierarchy.cophenet(raised))
    row = {name: i for i, name in enumerate(adata.obs_names)}
    for a, b in itertools.combinations(leaves[::3], 2):
        assert tree.distance(a, b) == pytest.approx(cophenetic[row[a.name], row[b.name]],
                                                    abs=2e-6)


def test_newick_leaves_all_sit_at_the_root_height_as_ape_requires(tmp_path):
    # before: each branch length was rounded to 6 decimals on its own, so root-to-leaf sums
    # drifted apart with depth: the lung panel's tree.nwk (gexclust run --missing impute)
    # had leaves 3e-6 apart, and R's ape (is.ultrametric: (max - min) / max <= 1.5e-8) refused
    # as.hclust(read.tree('tree.nwk')) with 'the tree is not ultrametric'
    Phylo = pytest.importorskip("Bio.Phylo")
    gaps = 1.0 + 1.4e-6 * np.arange(1, 41)  # single linkage: a chain, one merge per gap
    adata = ad.AnnData(np.cumsum(np.r_[0.0, gaps])[:, None])
    adata.obs_names = [f"s{i}" for i in range(adata.n_obs)]
    gx.tl.hclust(adata, method="single")
    Z = adata.uns["hclust"]["linkage"]
    gx.io.write_newick(adata, tmp_path / "tree.nwk")
    tree = Phylo.read(tmp_path / "tree.nwk", "newick")
    depths = tree.depths()
    leaf_depths = np.array([depths[leaf] for leaf in tree.get_terminals()])
    assert (leaf_depths.max() - leaf_depths.min()) / leaf_depths.max() <= 1.5e-8
    assert leaf_depths.max() == pytest.approx(Z[-1, 2] / 2, abs=5e-7)
    # and every merge is at half its own height: paths are scipy's cophenetic distances
    names = list(adata.obs_names)
    cophenetic = squareform(hierarchy.cophenet(Z))
    leaves = {leaf.name: leaf for leaf in tree.get_terminals()}
    for i, j in [(0, 1), (0, 20), (5, 40), (39, 40)]:
        assert tree.distance(leaves[names[i]], leaves[names[j]]) == pytest.approx(
            cophenetic[i, j], abs=1e-6)


@pytest.mark.parametrize(("decimals", "expected"), [
    (0, "(s4:3.5,(s3:2.5,(s2:1.5,(s0:0.5,s1:0.5):1):1):1);"),
    (1, "(s4:3.5,(s3:2.5,(s2:1.5,(s0:0.5,s1:0.5):1.0):1.0):1.0);"),
    (2, "(s4:3.50,(s3:2.50,(s2:1.50,(s0:0.50,s1:0.50):1.00):1.00):1.00);"),
])
def test_newick_keeps_the_exact_half_of_a_height_that_decimals_hold(decimals, expected):
    # before: decimals=0 rounded each half height to even, so merges at 1, 3, 5, 7 sat at
    # 0, 2, 2, 4 ('(s4:4,(s3:2,(s2:2,(s0:0,s1:0):2):0):2);') and R's
    # as.hclust(read.tree()) gave back heights 0, 4, 4, 8
    adata = ad.AnnData(np.array([[0.0], [1.0], [4.0], [9.0], [16.0]]))
    adata.obs_names = [f"s{i}" for i in range(5)]
    gx.tl.hclust(adata, method="single")
    np.testing.assert_array_equal(adata.uns["hclust"]["linkage"][:, 2], [1.0, 3.0, 5.0, 7.0])
    assert gx.io.write_newick(adata, decimals=decimals) == expected


def test_newick_rounds_heights_that_decimals_do_not_hold(tmp_path):
    # merges at 1.3 and 2.6 need more than 0 decimals: their halves are rounded as asked
    # (0.65 -> 1, 1.3 -> 1), with no extra digit; the root (4) sits at its half, 2
    adata = ad.AnnData(np.array([[0.0], [1.3], [3.9], [7.9]]))
    adata.obs_names = [f"s{i}" for i in range(4)]
    gx.tl.hclust(adata, method="single")
    np.testing.assert_allclose(adata.uns["hclust"]["linkage"][:, 2], [1.3, 2.6, 4.0])
    assert gx.io.write_newick(adata, decimals=0) == "(s3:2,(s2:1,(s0:1,s1:1):0):1);"


def test_tree_files_are_utf8_whatever_the_locale(tmp_path):
    # before: tree.cdt, tree.atr and tree.nwk were written in the locale's encoding: under an
    # ASCII locale gexclust run on samples named 'é' failed with "'ascii' codec can't encode
    # character '\\xe9'" naming no file, and a Windows code page (cp1252) wrote bytes that
    # UTF-8 readers (Bio.Phylo, TreeView 3) cannot decode, or refused names such as '日本'
    # the script is ASCII (its command line is decoded as ASCII): 'é 1', '日本', 'Ä' and 'ß'
    script = textwrap.dedent("""
        import sys
        import anndata as ad, numpy as np, gexclust as gx
        adata = ad.AnnData(np.array([[0.0, 1.0], [1.0, 3.0], [4.0, 0.5], [9.0, 2.0]]))
        adata.obs_names = ["\\u00e9 1", "\\u65e5\\u672c", "\\u00c4", "s3"]
        adata.var_names = ["g0", "g1"]
        adata.var["gene_symbol"] = ["\\u00df", "CCL5"]
        gx.tl.hclust(adata)
        gx.io.write_newick(adata, sys.argv[1] + ".nwk")
        gx.io.write_treeview(adata, sys.argv[1])
        adata.obs["type"] = adata.obs_names
        gx.io.write_cumida(adata, sys.argv[1] + ".csv")
    """)
    env = {**os.environ, "LC_ALL": "C", "PYTHONCOERCECLOCALE": "0", "PYTHONUTF8": "0"}
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "t")], env=env,
                          capture_output=True, text=True, encoding="utf-8", check=False)
    assert done.returncode == 0, done.stderr
    newick = (tmp_path / "t.nwk").read_text(encoding="utf-8")
    assert {"'é 1'", "日本", "Ä"} <= set(newick.replace("(", ",").replace(")", ",")
                                          .replace(":", ",").split(","))
    rows = read_rows(tmp_path / "t.cdt")
    assert sorted(rows[0][3:]) == sorted(["é 1", "日本", "Ä", "s3"])
    assert [r[1] for r in rows[3:]] == ["ß", "CCL5"]
    assert gx.io.read_cumida(tmp_path / "t.csv").obs["type"].tolist() == ["é 1", "日本", "Ä", "s3"]


def test_newick_keeps_six_significant_digits_of_a_low_tree(tmp_path):
    # before: golub's values / 1e6 gave a root at 8e-5 written with 6 decimals, so branches
    # kept 1-2 significant digits and cophenetic distances were off by 0.6% of the root
    Phylo = pytest.importorskip("Bio.Phylo")
    adata = ad.AnnData(np.random.default_rng(0).normal(size=(20, 30)) * 1e-6)
    adata.obs_names = [f"s{i}" for i in range(adata.n_obs)]
    gx.tl.hclust(adata, method="average")
    Z = adata.uns["hclust"]["linkage"]
    assert Z[-1, 2] < 1e-4
    gx.io.write_newick(adata, tmp_path / "tree.nwk")
    tree = Phylo.read(tmp_path / "tree.nwk", "newick")
    leaves = {leaf.name: leaf for leaf in tree.get_terminals()}
    cophenetic = squareform(hierarchy.cophenet(Z))
    names = list(adata.obs_names)
    for i, j in itertools.combinations(range(0, 20, 3), 2):
        # a path adds two half heights, each rounded to 6 significant digits of the root
        assert tree.distance(leaves[names[i]], leaves[names[j]]) == pytest.approx(
            cophenetic[i, j], abs=2e-6 * Z[-1, 2])
    # a tree of ordinary heights keeps 6 decimals, as before
    assert significant_decimals(80.4) == 6
    assert significant_decimals(0.5) == 6
    assert significant_decimals(8e-5) == 10


def test_treeview_files_named_with_their_extension_get_it_once(clustered, tmp_path):
    # before: write_treeview(adata, 'out.cdt') wrote out.cdt.cdt and out.cdt.atr
    paths = gx.io.write_treeview(clustered, tmp_path / "out.cdt", gene_key="genes")
    assert [p.name for p in paths] == ["out.cdt", "out.atr", "out.gtr"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.atr", "out.cdt", "out.gtr"]
    assert [p.name for p in gx.io.write_treeview(clustered, tmp_path / "run.1")] == [
        "run.1.cdt", "run.1.atr"]  # any other dot stays part of the name


def test_newick_to_a_gz_name_is_gzip(clustered, tmp_path):
    # before: write_newick(adata, 't.nwk.gz') wrote plain text under a gzip name, which
    # readers that go by the name (gzip.open, pandas, R's read.tree via gzfile) refuse
    import gzip

    text = gx.io.write_newick(clustered, tmp_path / "t.nwk.gz")
    with gzip.open(tmp_path / "t.nwk.gz", "rt", encoding="utf-8") as fh:
        assert fh.read() == text + "\n"
    gx.io.write_newick(clustered, tmp_path / "again.nwk.gz")
    assert (tmp_path / "again.nwk.gz").read_bytes() == (tmp_path / "t.nwk.gz").read_bytes()


def test_entrez_ids_in_a_float_column_label_genes_without_a_fraction(clustered, tmp_path):
    # pandas makes a float column of integer ids with a missing one: the .cdt's NAME column
    # and the plots' gene labels read '7157.0'
    from gexclust.pl._labels import gene_labels

    ids = np.arange(1000.0, 1000.0 + clustered.n_vars)
    ids[1] = np.nan
    clustered.var["entrez_id"] = ids
    cdt, _ = gx.io.write_treeview(clustered, tmp_path / "t", gene_name="entrez_id")
    names = {row[0]: row[1] for row in read_rows(cdt)[3:]}
    assert names[clustered.var_names[0]] == "1000"
    assert names[clustered.var_names[1]] == clustered.var_names[1]  # no id: the probe's name
    assert gene_labels(clustered, [0, 1], gene_symbols="entrez_id") == [
        f"1000 ({clustered.var_names[0]})", str(clustered.var_names[1])]


UNENCODABLE = ("is not UTF-8 text (it holds a lone surrogate, Python's stand-in for a byte it "
               "could not decode); nothing was written: fix {} and write again")


@pytest.mark.parametrize("name", ["t.nwk", "t.nwk.gz"])
def test_newick_names_a_sample_name_it_cannot_encode_and_writes_nothing(tmp_path, name):
    # before: "UnicodeEncodeError: 'utf-8' codec can't encode character '\udcff' in position
    # 137: surrogates not allowed", naming no file and no sample
    clustered = make_clustered(last_sample="s\udcff")
    path = tmp_path / name
    path.write_bytes(b"earlier\n")
    with pytest.raises(ValueError, match="is not UTF-8 text") as refused:
        gx.io.write_newick(clustered, path)
    assert refused.value.args[0] == (f"io.write_newick: {path}: sample name 's\\udcff' (from "
                                     "obs_names) " + UNENCODABLE.format("obs_names"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary left behind
    assert path.read_bytes() == b"earlier\n"
    assert "s\udcff:" in gx.io.write_newick(clustered)  # the string alone holds any text


@pytest.mark.parametrize(("where", "source"), [
    ("sample name 's\\udcff'", "obs_names"),
    ("gene id 'g\\udcff'", "var_names"),
    ("gene name 'SYM\\udcff'", ".var['gene_symbol']"),
])
def test_treeview_names_text_it_cannot_encode_and_writes_nothing(tmp_path, where, source):
    # before: "UnicodeEncodeError: 'utf-8' codec can't encode character '\udcff' in position
    # 44: surrogates not allowed", naming no file, sample or gene
    clustered = make_clustered(last_sample="s\udcff" if source == "obs_names" else None,
                               last_gene="g\udcff" if source == "var_names" else None)
    if source == ".var['gene_symbol']":
        clustered.var["gene_symbol"] = [*clustered.var["gene_symbol"][:-1], "SYM\udcff"]
    (tmp_path / "t.cdt").write_bytes(b"earlier\n")
    with pytest.raises(ValueError, match="is not UTF-8 text") as refused:
        gx.io.write_treeview(clustered, tmp_path / "t", gene_key="genes")
    assert refused.value.args[0] == (f"io.write_treeview: {tmp_path / 't.cdt'}: {where} (from "
                                     f"{source}) " + UNENCODABLE.format(source))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.cdt"]  # no .atr, .gtr, temporary
    assert (tmp_path / "t.cdt").read_bytes() == b"earlier\n"


def _files(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_treeview_set_stays_old_when_a_later_file_cannot_be_written(clustered, tmp_path,
                                                                    monkeypatch):
    # before: each file was renamed into place once written, so a full disk met while writing
    # the .atr left the new run.cdt (new sample order) beside the old run.atr and run.gtr:
    # TreeView drew the old trees over the new rows
    gx.io.write_treeview(clustered, tmp_path / "run", gene_key="genes")
    old = _files(tmp_path)
    clustered.X = clustered.X[:, ::-1].copy()  # other values, other trees
    gx.tl.hclust(clustered, method="complete", metric="euclidean")
    gx.tl.hclust(clustered, axis="var", method="complete", key_added="genes")
    synced = []
    real_fsync = os.fsync

    def fsync_fails_on_the_second_file(fd):
        synced.append(fd)
        if len(synced) == 2:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_fails_on_the_second_file)
    with pytest.raises(OSError, match="No space left"):
        gx.io.write_treeview(clustered, tmp_path / "run", gene_key="genes")
    monkeypatch.undo()
    assert _files(tmp_path) == old  # all three as they were, no temporary left
    new = gx.io.write_treeview(clustered, tmp_path / "run", gene_key="genes")
    assert {p.name for p in new} == set(old)
    assert _files(tmp_path) != old


def test_treeview_without_gene_tree_refuses_to_leave_an_old_gtr_beside_it(clustered, tmp_path):
    # before: the second write replaced run.cdt and run.atr and left the first one's run.gtr
    # beside them, a gene tree of another clustering with the same prefix
    gx.io.write_treeview(clustered, tmp_path / "run", gene_key="genes")
    old = _files(tmp_path)
    gx.tl.hclust(clustered, method="complete", metric="euclidean")
    with pytest.raises(FileExistsError) as err:
        gx.io.write_treeview(clustered, tmp_path / "run")
    message = str(err.value)
    assert "\n" not in message
    assert str(tmp_path / "run.gtr") in message
    assert "remove it, write to another prefix, or pass gene_key=" in message
    assert _files(tmp_path) == old  # nothing written, nothing removed
    (tmp_path / "run.gtr").unlink()  # the user's way out
    assert [p.name for p in gx.io.write_treeview(clustered, tmp_path / "run")] == [
        "run.cdt", "run.atr"]
    assert sorted(_files(tmp_path)) == ["run.atr", "run.cdt"]


@pytest.mark.parametrize(("write", "name", "example"),
                         [("write_cumida", "path", "tumours.csv"),
                          ("write_newick", "path", "tree.nwk"),
                          ("write_treeview", "prefix", "tree")])
@pytest.mark.parametrize("given", ["", "  ", None, 5])
def test_writers_refuse_an_empty_path_or_none_in_one_line(clustered, tmp_path, monkeypatch,
                                                         write, name, example, given):
    """Before: write_cumida(adata, '') said "IsADirectoryError: .: is a folder; give the path
    of the file to write (e.g. 'NAME')", write_treeview "PosixPath('.') has an empty name",
    and None "expected str, bytes or os.PathLike object, not NoneType"."""
    monkeypatch.chdir(tmp_path)
    if given is None and write == "write_newick":
        given = 5.0  # None returns the text alone
    error = ValueError if isinstance(given, str) else TypeError  # empty, or no path at all
    with pytest.raises(error, match=rf"^io\.{write}: {name}") as caught:
        getattr(gx.io, write)(clustered, given)
    message = str(caught.value)
    assert message.startswith(f"io.{write}: {name}")
    assert f"e.g. {example!r}" in message
    assert ("names no file (it is empty or blank" in message if isinstance(given, str)
            else f"got {given!r}" in message)
    assert "\n" not in message
    assert list(tmp_path.iterdir()) == []
