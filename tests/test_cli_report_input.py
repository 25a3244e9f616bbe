"""``gexclust report OUTDIR`` meeting an adata.h5ad that is damaged, edited or not a run's."""

from __future__ import annotations

import re

import h5py
import numpy as np
import pytest


def _run(cli, out, small_csv) -> dict[str, bytes]:
    cli("run", small_csv, "-o", out, "--quiet", "--n-clusters", "3")
    return {p.name: p.read_bytes() for p in out.iterdir()}


@pytest.mark.parametrize("damage", ["dangling link", "bytes of another encoding"])
def test_a_damaged_adata_h5ad_is_one_line_naming_it(cli, tmp_path, small_csv, damage):
    # before: "gexclust: error: Unable to synchronously open object (component not found)"
    # (h5py's KeyError) and "gexclust: error: 'utf-8' codec can't decode byte 0xb8 ..."
    # (a UnicodeDecodeError), neither naming the file; a damaged header gives either
    out = tmp_path / "out"
    _run(cli, out, small_csv)
    with h5py.File(out / "adata.h5ad", "r+") as f:
        if damage == "dangling link":
            del f["obs"]
            f["obs"] = h5py.SoftLink("/nowhere")
        else:
            f["obs"].attrs["_index"] = np.bytes_(b"\xb8\xff")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = cli("report", out, check=False)
    assert result.returncode == 1
    assert result.stdout == ""
    path = re.escape(str(out / "adata.h5ad"))
    assert re.fullmatch(rf"gexclust: error: {path}: cannot be read as an \.h5ad file \(changed "
                        r"since gexclust run wrote it\) \([^\n]+\)\n", result.stderr), \
        result.stderr
    assert "('Unable" not in result.stderr  # a KeyError's text without its quotes
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing lost


def test_an_adata_h5ad_changed_since_the_run_is_said_to_be(cli, tmp_path, small_csv):
    # before: values changed in adata.h5ad (a damaged copy that still reads, or an edit)
    # were reported on without a word, replacing the run's own report
    out = tmp_path / "out"
    _run(cli, out, small_csv)
    with h5py.File(out / "adata.h5ad", "r+") as f:
        f["X"][0, 0] = 1e30
    result = cli("report", out)
    assert result.stderr == (f"gexclust: warning: {out / 'adata.h5ad'}: changed since gexclust "
                             "run wrote it (not the file its manifest records); the report "
                             "shows it as it is now\n")
    assert result.stdout == f"{out / 'report.html'}\n{out / 'report.pdf'}\n"
    again = cli("run", small_csv, "-o", tmp_path / "fresh", "--quiet", "--n-clusters", "3")
    assert again.stderr == ""
    assert cli("report", tmp_path / "fresh").stderr == ""  # an unchanged run's: no warning


@pytest.mark.parametrize("alive", [False, True], ids=["stopped", "writing"])
def test_a_folder_of_an_unfinished_run_is_named_as_one(cli, tmp_path, alive):
    # before: "OUT/adata.h5ad: not found; is OUT the folder of a 'gexclust run'?" for the
    # folder of a run killed half way (or still writing), whose staging folder is there
    import fcntl
    import os

    from gexclust._outdir import LOCK, STAGE_PREFIX

    out = tmp_path / "out"
    stage = out / f"{STAGE_PREFIX}k1ll3d"
    stage.mkdir(parents=True)
    (stage / "adata.h5ad").write_bytes(b"\x89HDF\r\n")  # half written
    fd = os.open(stage / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        if alive:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = cli("report", out, check=False)
    finally:
        os.close(fd)
    why = ("a gexclust run is writing into it now; wait for it to finish" if alive else
           f"it holds only the staging folder of a run that was stopped before it finished "
           f"({stage.name}); run 'gexclust run' into it again")
    assert (result.returncode, result.stdout, result.stderr) == (
        1, "", f"gexclust: error: {out / 'adata.h5ad'}: not found; {why}\n")
    assert sorted(p.name for p in stage.iterdir()) == sorted([LOCK, "adata.h5ad"])


def test_a_file_given_as_outdir_is_named_as_a_file(cli, tmp_path, small_csv):
    # before: "in.csv/adata.h5ad: not found; is in.csv the folder of a 'gexclust run'?"
    result = cli("report", small_csv, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (
        1, "", f"gexclust: error: {small_csv}: is a file, not the folder of a 'gexclust run'\n")
    assert small_csv.read_text().startswith("samples,")


def _edit_h5ad(path, edit) -> None:
    import anndata

    adata = anndata.read_h5ad(path)
    edit(adata)
    adata.write_h5ad(path)


def _relabel_one_type(adata) -> None:
    # a user 'fixing' a sample's label: cluster 1's first sample gets cluster 2's type
    types = adata.obs["type"].astype(str)
    clusters = adata.obs["cluster"].astype(str)
    types.iloc[int(np.flatnonzero(clusters == "1")[0])] = types[clusters == "2"].iloc[0]
    adata.obs["type"] = types.astype("category")


def _cut_again(adata) -> None:
    import gexclust as gx

    gx.tl.cut(adata, n_clusters=4)


def _tree_again(adata) -> None:
    import gexclust as gx

    gx.tl.hclust(adata, method="average", metric="correlation")
    gx.tl.cut(adata, n_clusters=3)


def _drop_genes(adata) -> None:
    adata._inplace_subset_var(adata.var_names[:30])


@pytest.mark.parametrize(("edit", "said"), [
    (_relabel_one_type, "ARI vs type 0.828 (summary.json: 1.000)"),
    (_drop_genes, "30 genes (summary.json: 40 clustered)"),
    (_tree_again, "a tree of cophenetic correlation 0.997 (summary.json: 0.996)"),
    (_cut_again, "4 clusters of 6, 6, 2, 4 samples (summary.json: 3 of 6, 6, 6)"),
], ids=["a type relabelled", "genes left out", "another tree", "the tree cut again"])
def test_an_h5ad_whose_clusters_or_types_were_edited_is_not_reported_with_the_old_numbers(
        cli, tmp_path, small_csv, edit, said):
    # before: the report of an edited adata.h5ad took ARI, NMI and purity from summary.json
    # and the clusters and their crosstab from the h5ad: bladder with one cluster's Normal
    # samples relabelled Biopsy read 'ARI 0.371, NMI 0.525, purity 0.860' beside a crosstab
    # whose ARI is 0.451 and purity 0.947; the tree cut again at k=4 was described with the
    # ARI of the run's k=3; with genes left out, the silhouette and markers were of those left;
    # a tree rebuilt (average/correlation) and cut into the same sizes was shown with the
    # cophenetic correlation of the run's ward tree
    out = tmp_path / "out"
    _run(cli, out, small_csv)
    _edit_h5ad(out / "adata.h5ad", edit)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = cli("report", out, check=False)
    assert result.returncode == 1
    assert result.stderr == (
        f"gexclust: error: {out / 'adata.h5ad'}: {said}: it no longer holds what "
        f"{out / 'summary.json'} records of the run, and a report would show both; "
        "rerun gexclust run (the report of an edited AnnData: gexclust.tl.compare and the "
        "plots in Python)\n")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # nothing replaced


def test_an_edited_h5ad_copied_without_the_manifest_is_refused_too(cli, tmp_path, small_csv):
    # 'cp run/* copy/' leaves the hidden manifest behind, so nothing says the file changed:
    # before, the relabelled copy was reported with summary.json's ARI 1.000 beside a
    # crosstab of ARI 0.828
    out, copy = tmp_path / "out", tmp_path / "copy"
    _run(cli, out, small_csv)
    copy.mkdir()
    for path in out.iterdir():
        if not path.name.startswith(".") and not path.name.startswith("report."):
            (copy / path.name).write_bytes(path.read_bytes())
    _edit_h5ad(copy / "adata.h5ad", _relabel_one_type)
    result = cli("report", copy, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith(f"gexclust: error: {copy / 'adata.h5ad'}: ARI vs type 0.828 "
                                    "(summary.json: 1.000): it no longer holds what ")
    assert not (copy / "report.html").exists()


def _embedded_pngs(html: str) -> list[bytes]:
    import base64

    return [base64.b64decode(data)
            for data in re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)]


@pytest.mark.parametrize("manifest", [True, False], ids=["with its manifest", "copied with cp"])
def test_the_figures_of_another_run_are_not_reported_beside_its_numbers(cli, tmp_path,
                                                                        small_csv, manifest):
    # before: adata.h5ad and summary.json of a run at k = 2 copied into the folder of a run at
    # k = 3 were reported (a warning said the h5ad had changed) with the k = 3 run's
    # dendrogram.png and cluster_heatmap.png, as if they showed the two clusters described
    three, two = tmp_path / "three", tmp_path / "two"
    _run(cli, three, small_csv)
    cli("run", small_csv, "-o", two, "--quiet", "--n-clusters", "2")
    for name in ("adata.h5ad", "summary.json"):
        (three / name).write_bytes((two / name).read_bytes())
    if not manifest:  # 'cp run/* copy/' without the old report: nothing vouches for a file
        for name in (".gexclust-manifest.json", "report.html", "report.pdf"):
            (three / name).unlink()
    figures = {name: {run: (run / f"{name}.png").read_bytes() for run in (two, three)}
               for name in ("dendrogram", "cluster_heatmap")}
    cli("report", three)
    shown = _embedded_pngs((three / "report.html").read_text())
    for name, drawn in figures.items():
        assert drawn[two] in shown, name  # drawn again from the AnnData reported
        assert drawn[three] not in shown, name
        assert (three / f"{name}.png").read_bytes() == drawn[three]  # the folder's own: kept


def test_an_unchanged_runs_figures_are_taken_from_its_folder(cli, tmp_path, small_csv):
    # the run's own figures, as its manifest records them, are embedded as they are
    out = tmp_path / "out"
    _run(cli, out, small_csv)
    dendrogram = (out / "dendrogram.png").read_bytes()
    cli("report", out)
    assert dendrogram in _embedded_pngs((out / "report.html").read_text())


def _edit_summary(out, **values) -> None:
    import json

    path = out / "summary.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **values}, indent=2))


@pytest.mark.parametrize(("values", "said"), [
    # before: "gexclust: error: invalid literal for int() with base 10: 'abc'", no file named
    ({"n_probes": "abc"}, "'n_probes' is \"abc\", not a whole number"),
    # before: "<out>/adata.h5ad: 18 samples (summary.json: 18): it no longer holds what ..."
    ({"n_samples": "18"}, "'n_samples' is \"18\", not a whole number"),
    ({"cluster_sizes": {"1": 6, "2": 6, "3": 6.0}}, "'cluster_sizes.3' is 6.0, not a whole number"),
    ({"ari_vs_type": "1.0"}, "'ari_vs_type' is \"1.0\", not a number"),
], ids=["n_probes", "n_samples", "cluster_sizes", "ari_vs_type"])
def test_a_summary_value_edited_to_text_is_named_in_summary_json(cli, tmp_path, small_csv,
                                                                  values, said):
    out = tmp_path / "out"
    _run(cli, out, small_csv)
    _edit_summary(out, **values)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = cli("report", out, check=False)
    assert (result.returncode, result.stdout, result.stderr) == (1, "", (
        f"gexclust: error: {out / 'summary.json'}: {said}; not the summary.json of a "
        "'gexclust run'\n"))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_summary_number_edited_is_blamed_on_summary_json_not_the_h5ad(cli, tmp_path,
                                                                         small_csv):
    # before: "<out>/adata.h5ad: ARI vs type 1.000 (summary.json: 0.500): it no longer holds
    # what <out>/summary.json records of the run ... rerun gexclust run", where only
    # summary.json had been edited and the manifest said so
    out = tmp_path / "out"
    _run(cli, out, small_csv)
    _edit_summary(out, ari_vs_type=0.5)
    result = cli("report", out, check=False)
    assert (result.returncode, result.stderr) == (1, (
        f"gexclust: error: {out / 'summary.json'}: changed since gexclust run wrote it, and "
        f"{out / 'adata.h5ad'} holds ARI vs type 1.000 (summary.json: 0.500); restore it, or "
        "run gexclust run again\n"))


def test_a_summary_edited_where_the_report_cannot_check_it_is_said_to_be(cli, tmp_path,
                                                                         small_csv):
    # before: the report said 'k = 9 was given (--n-clusters)' beside its 3 clusters without a
    # word, where an edited adata.h5ad is warned about
    out = tmp_path / "out"
    _run(cli, out, small_csv)
    _edit_summary(out, parameters={"n_clusters": 9})
    result = cli("report", out)
    assert result.stderr == (f"gexclust: warning: {out / 'summary.json'}: changed since "
                             "gexclust run wrote it (not the file its manifest records); the "
                             "report shows it as it is now\n")


def test_an_edited_clusters_csv_is_said_not_to_show_in_the_report(cli, tmp_path, small_csv):
    # before: clusters renamed in clusters.csv by hand ('1' -> 'tumour') were left out of the
    # rebuilt report without a word, which showed adata.h5ad's clusters 1, 2 and 3
    out = tmp_path / "out"
    _run(cli, out, small_csv)
    table = out / "clusters.csv"
    edited = table.read_text().replace(",1\n", ",tumour\n")
    table.write_text(edited)
    result = cli("report", out)
    assert result.stderr == (f"gexclust: warning: {table}: changed since gexclust run wrote "
                             "it; the report does not read it: it shows the clusters of "
                             f"{out / 'adata.h5ad'}, as the run cut them\n")
    assert table.read_text() == edited  # the user's table stays as it is
    assert "tumour" not in (out / "report.html").read_text()
    table.unlink()  # a table deleted says nothing
    assert cli("report", out).stderr == ""


def test_an_h5ad_whose_choice_of_k_was_made_again_is_not_reported(cli, tmp_path, small_csv):
    # before: tl.choose_k run again on the run's adata.h5ad (here over k without the run's)
    # was reported as the run's choice: 'How many clusters: k=4 (highest mean silhouette)'
    # beside the run's 3 clusters, and its p-value of k = 4 given as that of 'this run's k = 3'
    import anndata

    import gexclust as gx

    out = tmp_path / "out"
    cli("run", small_csv, "-o", out, "--quiet")
    adata = anndata.read_h5ad(out / "adata.h5ad")
    k = int(adata.uns["choose_k"]["k"])
    gx.tl.choose_k(adata, k_range=[kk for kk in range(2, 8) if kk != k])
    again = int(adata.uns["choose_k"]["k"])
    adata.write_h5ad(out / "adata.h5ad")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = cli("report", out, check=False)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith(
        f"gexclust: error: {out / 'adata.h5ad'}: a choice of k = {again} in .uns['choose_k'] "
        f"(summary.json: the run chose and cut at k = {k}): it no longer holds what ")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_summary_json_without_read_permission_is_one_line_naming_it(cli, tmp_path,
                                                                      small_csv):
    """Before: "gexclust: error: [Errno 13] Permission denied: 'out/summary.json'", the
    system's words; now the house's line: the file, then what went wrong."""
    import subprocess
    import sys

    from tests.conftest import unprivileged

    out = tmp_path / "out"
    before = _run(cli, out, small_csv)
    preexec = unprivileged()
    (out / "summary.json").chmod(0)
    try:
        proc = subprocess.run([sys.executable, "-m", "gexclust", "report", str(out)],
                              capture_output=True, text=True, preexec_fn=preexec,
                              timeout=120, check=False)
    finally:
        (out / "summary.json").chmod(0o644)
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", (
        f"gexclust: error: {out / 'summary.json'}: cannot be read (Permission denied)\n"))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_summary_json_that_is_not_utf8_is_one_line_naming_it(cli, tmp_path, small_csv):
    """Before: "gexclust: error: 'utf-8' codec can't decode byte 0xff in position 7: invalid
    start byte", naming no file."""
    out = tmp_path / "out"
    _run(cli, out, small_csv)
    (out / "summary.json").write_bytes(b'{"a": "\xff"}')
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = cli("report", out, check=False)
    assert (result.returncode, result.stderr) == (1, (
        f"gexclust: error: {out / 'summary.json'}: not UTF-8 text (byte 0xff at offset 7); "
        "not the summary.json of a 'gexclust run'\n"))
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
