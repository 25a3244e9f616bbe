"""Atomic writes leave nothing behind, even after a writer was killed."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap

import pytest

import gexclust as gx
from gexclust._atomic import leftover_temporaries
from tests.conftest import written_to_a_terminal

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX locks and signals")

#: A child that writes ``target`` through atomic_open, then waits for a word on stdin: 'kill'
#: (SIGTERM, whose default action skips every 'finally') or 'finish'.
WRITER = textwrap.dedent("""
    import os, signal, sys
    from gexclust._atomic import atomic_open
    with atomic_open(sys.argv[1]) as fh:
        fh.write("half a tree")
        fh.flush()
        print("writing", flush=True)
        if sys.stdin.readline().strip() == "kill":
            os.kill(os.getpid(), signal.SIGTERM)
        fh.write(" and the rest")
""")


def writer(target):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout.readline() == "writing\n"
    return proc


@pytest.fixture
def tree(planted):
    gx.tl.hclust(planted)
    return planted


def test_a_killed_writers_temporary_is_removed_by_the_next_write(tmp_path, tree, caplog):
    # before: a SIGTERM during write_newick (outside gexclust run) left '.tree.nwk.*.part'
    # beside the target for good
    target = tmp_path / "tree.nwk"
    proc = writer(target)
    proc.communicate("kill\n")
    assert proc.returncode == -signal.SIGTERM
    (stale,) = leftover_temporaries(target)
    assert not target.exists()
    with caplog.at_level("INFO", logger="gexclust"):
        text = gx.io.write_newick(tree, target)
    assert target.read_text() == text + "\n"
    assert not stale.exists()
    assert list(tmp_path.iterdir()) == [target]
    assert f"removed {stale}, left by an interrupted write of tree.nwk" in caplog.messages


def test_a_live_writers_temporary_is_left_alone(tmp_path, tree):
    target = tmp_path / "tree.cdt"
    proc = writer(target)
    try:
        (live,) = leftover_temporaries(target)
        gx.io.write_treeview(tree, tmp_path / "tree")  # writes tree.cdt too, meanwhile
        assert live.exists()
        assert "\tGWEIGHT\t" in target.read_text().partition("\n")[0]
    finally:
        proc.communicate("finish\n")
    assert proc.returncode == 0
    assert target.read_text() == "half a tree and the rest"  # the last write wins, whole
    assert leftover_temporaries(target) == []


def test_only_temporaries_of_our_own_naming_are_removed(tmp_path, tree):
    target = tmp_path / "tree.nwk"
    ours = tmp_path / ".tree.nwk.k3_x9ab2.part"  # as mkstemp names them; no writer holds it
    kept = [tmp_path / name for name in (
        ".tree.nwk.part", "tree.nwk.k3_x9ab2.part", ".tree.nwk.gz.k3_x9ab2.part",
        ".tree.nwk.k3_x9ab2.part.bak", ".tree.nwk.k3_x9ab.part", "tree.nwk.notes")]
    for path in [ours, *kept]:
        path.write_text("a user's file")
    gx.io.write_newick(tree, target)
    assert not ours.exists()
    assert all(path.read_text() == "a user's file" for path in kept)


#: A child that writes ``target`` through atomic_open, after checking it cannot list the folder.
DROP_WRITER = textwrap.dedent("""
    import os, sys
    from gexclust._atomic import atomic_open
    try:
        os.listdir(os.path.dirname(sys.argv[1]))
        print("listable")
    except PermissionError:
        with atomic_open(sys.argv[1]) as fh:
            fh.write("dropped")
        print("written")
""")


def run_in_folder_of_mode(folder, mode: int, code: str, name: str):
    """Run ``code`` with ``folder/name`` as its argument, ``folder`` made with ``mode``.

    Root reads and writes every folder whatever its mode: as root, the code runs without that
    capability (setpriv), or the test is skipped where it cannot be dropped.
    """
    folder.mkdir()
    folder.chmod(mode)
    command = [sys.executable, "-c", code, str(folder / name)]
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("root reads and writes every folder, and setpriv is missing to run "
                        "without that")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        folder.chmod(0o755)
    if "Operation not permitted" in proc.stderr and proc.returncode and os.geteuid() == 0:
        pytest.skip("setpriv may not drop capabilities here")
    return proc


def test_a_folder_that_cannot_be_listed_is_still_written(tmp_path):
    # before: the removal of killed writers' temporaries listed the folder first, so writing
    # into one that may be entered and written but not read (mode 333, a drop box) failed
    # with "PermissionError: [Errno 13] Permission denied: '<folder>'"
    drop = tmp_path / "drop"
    proc = run_in_folder_of_mode(drop, 0o333, DROP_WRITER, "out.txt")
    assert (proc.stdout, proc.stderr) == ("written\n", "")
    assert (drop / "out.txt").read_text() == "dropped"
    assert list(drop.iterdir()) == [drop / "out.txt"]


def test_a_folder_given_as_the_file_is_refused_naming_it(tmp_path, tree):
    # before: a temporary was created in the folder's parent (in / for '/tmp') and the
    # rename onto the folder failed with "[Errno 21] Is a directory: '/.tmp.x3k2.part' ->
    # '/tmp'", naming a file the user never asked for
    folder = tmp_path / "results"
    folder.mkdir()
    calls = {"io.write_newick": lambda: gx.io.write_newick(tree, folder),
             "io.write_cumida": lambda: gx.io.write_cumida(tree, folder),
             "pl.dendrogram": lambda: gx.pl.dendrogram(tree, save=folder)}
    for call in calls.values():
        with pytest.raises(IsADirectoryError, match=rf"^{folder}: is a folder; give the path "
                                                    r"of the file to write \(e\.g\. "):
            call()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]
    assert not list(folder.iterdir())


@pytest.mark.parametrize("name", ["tree.nwk", "tree.nwk.gz"])
def test_a_file_written_to_a_device_goes_into_it(tmp_path, name):
    # before: the finished temporary was renamed over the target, a regular file in the
    # device's place (as root, writing to /dev/null replaced /dev/null), and the device got
    # nothing; written into directly, fsync then refused it (OSError: [Errno 22] Invalid
    # argument). Here a link to a terminal, which can be read.
    import gzip

    import anndata as ad
    import numpy as np

    adata = ad.AnnData(np.arange(12, dtype=float).reshape(4, 3) ** 1.5)
    gx.tl.hclust(adata)
    newick = "((0:6.036440,1:6.036440):19.111135,(2:11.346970,3:11.346970):13.800605);\n"
    link = tmp_path / name
    # a gzip stream ends in the length of its text
    end = newick[-2:].encode() if name.endswith(".nwk") else len(newick).to_bytes(4, "little")
    data = written_to_a_terminal(lambda path: gx.io.write_newick(adata, path), link, end=end)
    assert (gzip.decompress(data) if name.endswith(".gz") else data).decode() == newick
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary left


def test_a_named_pipe_is_replaced_as_a_file_is(tmp_path):
    # a pipe left where a file is written (in gexclust's GEO cache, say) is no destination:
    # a write into it would wait for a reader for ever
    pipe = tmp_path / "tree.nwk"
    os.mkfifo(pipe)
    with gx._atomic.atomic_text(pipe) as fh:
        fh.write("(a,b);\n")
    assert pipe.read_text() == "(a,b);\n"


#: A child that saves a figure into a folder it may not write, printing the error.
READ_ONLY_SAVER = textwrap.dedent("""
    import sys
    import anndata as ad, numpy as np
    import gexclust as gx
    adata = ad.AnnData(np.arange(18, dtype=float).reshape(6, 3) ** 1.5)
    gx.tl.hclust(adata)
    try:
        gx.pl.dendrogram(adata, save=sys.argv[1], show=False)
    except OSError as err:
        print(type(err).__name__, err)
""")


def test_a_folder_that_cannot_be_written_is_named_with_the_file_asked_for(tmp_path):
    # before: "PermissionError: [Errno 13] Permission denied: '<folder>/.tree.png.ab12cd34.part'",
    # a temporary file the user never asked for
    folder = tmp_path / "read-only"
    proc = run_in_folder_of_mode(folder, 0o555, READ_ONLY_SAVER, "tree.png")
    assert (proc.stdout, proc.stderr) == (
        f"PermissionError [Errno 13] Permission denied: '{folder / 'tree.png'}'\n", "")
    assert list(folder.iterdir()) == []
