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


def test_a_folder_that_cannot_be_listed_is_still_written(tmp_path):
    # before: the removal of killed writers' temporaries listed the folder first, so writing
    # into one that may be entered and written but not read (mode 333, a drop box) failed
    # with "PermissionError: [Errno 13] Permission denied: '<folder>'"
    drop = tmp_path / "drop"
    drop.mkdir()
    drop.chmod(0o333)
    command = [sys.executable, "-c", DROP_WRITER, str(drop / "out.txt")]
    if os.geteuid() == 0:  # root reads every folder: run without that capability
        if shutil.which("setpriv") is None:
            pytest.skip("root reads every folder, and setpriv is missing to run without that")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        drop.chmod(0o755)
    if "Operation not permitted" in proc.stderr and proc.returncode and os.geteuid() == 0:
        pytest.skip("setpriv may not drop capabilities here")
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
