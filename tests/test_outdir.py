"""The output folder: complete or absent, and never a file that gexclust did not write."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from gexclust._files import sha256_file
from gexclust._outdir import MANIFEST, STAGE_PREFIX, staged_outdir


def publish(outdir, files: dict[str, str], *, force: bool = False) -> None:
    with staged_outdir(outdir, force=force) as stage:
        for name, text in files.items():
            (stage / name).write_text(text)


def listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def test_a_new_folder_gets_the_files_and_a_manifest(tmp_path):
    out = tmp_path / "a" / "out"
    publish(out, {"clusters.csv": "x\n", "summary.json": "{}\n"})
    assert listing(out) == {"clusters.csv", "summary.json", MANIFEST}
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["files"]["clusters.csv"] == [{"size": 2,
                                                  "sha256": sha256_file(out / "clusters.csv")}]
    assert listing(tmp_path) == {"a"}  # no staging folder beside it


def fail_after_writing(outdir, error: type[BaseException], *, force: bool) -> None:
    with staged_outdir(outdir, force=force) as stage:
        (stage / "clusters.csv").write_text("half")
        raise error


def test_a_failed_run_leaves_no_folder_and_no_stage(tmp_path):
    out = tmp_path / "a" / "out"
    with pytest.raises(RuntimeError):
        fail_after_writing(out, RuntimeError, force=False)
    assert not (tmp_path / "a").exists()  # both folders it created are gone again


def test_a_failed_rerun_keeps_the_earlier_outputs_intact(tmp_path):
    out = tmp_path / "out"
    publish(out, {"clusters.csv": "old\n"})
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(KeyboardInterrupt):
        fail_after_writing(out, KeyboardInterrupt, force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_earlier_outputs_need_force_and_only_they_are_replaced(tmp_path):
    out = tmp_path / "out"
    publish(out, {"clusters.csv": "old\n", "dendrogram.pdf": "old pdf"})
    with pytest.raises(FileExistsError, match="outputs of an earlier run; pass --force"):
        publish(out, {"clusters.csv": "new\n"})
    publish(out, {"clusters.csv": "new\n", "dendrogram.png": "png"}, force=True)
    assert listing(out) == {"clusters.csv", "dendrogram.png", MANIFEST}  # old PDF: was ours
    assert (out / "clusters.csv").read_text() == "new\n"


@pytest.mark.parametrize("force", [False, True])
def test_user_files_and_folders_are_never_touched(tmp_path, force):
    """The repro of issue 9: notes, a subfolder and the input CSV in OUTDIR, with --force."""
    out = tmp_path / "d"
    publish(out, {"clusters.csv": "ours\n"})
    (out / "notes.txt").write_text("precious")
    (out / "small.csv").write_text("samples,type,p1\n")
    (out / "sub").mkdir()
    (out / "sub" / "data.txt").write_text("precious too")
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    with pytest.raises(FileExistsError) as err:
        publish(out, {"clusters.csv": "new\n"}, force=force)
    assert "notes.txt, small.csv, sub/" in str(err.value)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before
    assert (out / "clusters.csv").read_text() == "ours\n"


def test_an_edited_output_is_the_users(tmp_path):
    out = tmp_path / "out"
    publish(out, {"clusters.csv": "ours\n"})
    (out / "clusters.csv").write_text("my corrections\n")
    with pytest.raises(FileExistsError, match=r"clusters.csv \(changed since gexclust wrote"):
        publish(out, {"clusters.csv": "new\n"}, force=True)
    assert (out / "clusters.csv").read_text() == "my corrections\n"


def test_a_home_folder_is_refused_with_force(tmp_path):
    """``-o ~ --force``: a home folder holds the user's files; nothing may be removed."""
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    (home / ".bashrc").write_text("alias x=y")
    for i in range(8):
        (home / f"doc{i}.txt").write_text(str(i))
    with pytest.raises(FileExistsError, match=r"and \d+ more"):
        publish(home, {"clusters.csv": "x"}, force=True)
    assert len(list(home.iterdir())) == 10
    assert not (home / "clusters.csv").exists()


def test_dot_outdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    publish(Path("."), {"clusters.csv": "1\n"})
    publish(Path("."), {"clusters.csv": "2\n"}, force=True)
    assert listing(tmp_path) == {"clusters.csv", MANIFEST}
    (tmp_path / "input.csv").write_text("samples,type\n")
    with pytest.raises(FileExistsError, match=r"\(input.csv\)"):
        publish(Path("."), {"clusters.csv": "3\n"}, force=True)
    assert (tmp_path / "clusters.csv").read_text() == "2\n"


def test_a_symlinked_outdir_is_written_through(tmp_path):
    target = tmp_path / "real"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    publish(link, {"clusters.csv": "1\n"})
    publish(link, {"clusters.csv": "2\n"}, force=True)
    assert link.is_symlink()
    assert os.readlink(link) == str(target)
    assert (target / "clusters.csv").read_text() == "2\n"
    assert listing(target) == {"clusters.csv", MANIFEST}


def test_a_symlink_inside_outdir_is_not_ours(tmp_path):
    out = tmp_path / "out"
    publish(out, {"clusters.csv": "1\n"})
    (tmp_path / "mine.csv").write_text("mine")
    (out / "clusters.csv").unlink()
    (out / "clusters.csv").symlink_to(tmp_path / "mine.csv")
    with pytest.raises(FileExistsError, match="symbolic link"):
        publish(out, {"clusters.csv": "2\n"}, force=True)
    assert (tmp_path / "mine.csv").read_text() == "mine"


def test_a_stale_stage_of_a_killed_run_is_removed(tmp_path):
    out = tmp_path / "out"
    stale = out / f"{STAGE_PREFIX}killed"
    stale.mkdir(parents=True)
    (stale / ".lock").write_text("")  # nobody holds it: its run is gone
    (stale / "adata.h5ad").write_text("half-written")
    publish(out, {"clusters.csv": "1\n"})
    assert listing(out) == {"clusters.csv", MANIFEST}


@contextlib.contextmanager
def _unremovable(path: Path):
    """``path`` (a file) cannot be removed in the block: immutable for root, else its folder
    read-only (a file another program holds open on Windows)."""
    if os.geteuid() == 0:
        if shutil.which("chattr") is None or subprocess.run(
                ["chattr", "+i", path], capture_output=True, check=False).returncode:
            pytest.skip("needs chattr +i as root")
        undo = ["chattr", "-i", path]
    else:
        path.parent.chmod(0o500)
        undo = None
    try:
        yield
    finally:
        if undo:
            subprocess.run(undo, check=True)
        else:
            path.parent.chmod(0o700)


def test_a_stage_that_cannot_be_emptied_keeps_its_lock_file(tmp_path):
    """Before: the lock file went even when a file of the stage could not be removed, so the
    folder then passed for the user's and every later run refused: "out: holds files
    gexclust did not write (.gexclust-stage-killed/)". Now it stays a stage, removed later."""
    out = tmp_path / "out"
    stale = out / f"{STAGE_PREFIX}killed"
    (stale / "figures").mkdir(parents=True)
    (stale / ".lock").write_text("")  # nobody holds it: its run is gone
    (stale / "figures" / "tree.png").write_text("half-written")
    with _unremovable(stale / "figures" / "tree.png"):
        publish(out, {"clusters.csv": "1\n"})
        assert listing(stale) == {".lock", "figures"}
        publish(out, {"clusters.csv": "2\n"}, force=True)
    publish(out, {"clusters.csv": "3\n"}, force=True)
    assert listing(out) == {"clusters.csv", MANIFEST}
    assert (out / "clusters.csv").read_text() == "3\n"


@pytest.mark.parametrize("force", [False, True])
def test_a_folder_of_the_users_named_like_a_stage_is_never_removed(tmp_path, force):
    """Before: OUTDIR/.gexclust-stage-mine/notes.txt was taken for the stage of a killed run and
    deleted, with or without --force (and by gexclust report); now only a folder holding its
    lock file, or nothing, is a stage, and one of the user's makes the run refuse."""
    from gexclust._outdir import staged_additions

    out = tmp_path / "out"
    publish(out, {"clusters.csv": "ours\n"})
    mine = out / f"{STAGE_PREFIX}mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious")
    with pytest.raises(FileExistsError) as err:
        publish(out, {"clusters.csv": "new\n"}, force=force)
    assert f"did not write ({STAGE_PREFIX}mine/)" in str(err.value)
    assert "may be one an older gexclust left: remove it if so" in str(err.value)
    with staged_additions(out) as stage:
        (stage / "report.html").write_text("report")
    assert (mine / "notes.txt").read_text() == "precious"
    assert listing(mine) == {"notes.txt"}


def test_a_stage_loses_its_lock_file_last(tmp_path, monkeypatch):
    """A run killed while its stage is removed leaves a folder the next run still knows."""
    removed = []
    unlink = os.unlink

    def recorded(path, *args, **kwargs):
        removed.append(Path(path).name)
        unlink(path, *args, **kwargs)

    monkeypatch.setattr(os, "unlink", recorded)
    publish(tmp_path / "out", {"clusters.csv": "1\n", "z.csv": "2\n"}, force=True)
    with pytest.raises(RuntimeError):
        fail_after_writing(tmp_path / "out", RuntimeError, force=True)
    assert removed[-1] == ".lock"
    assert "clusters.csv" in removed  # the failed run's half-written file, before its lock


@pytest.mark.parametrize("n_renames", [0, 1, 2, 3])
def test_a_run_killed_between_renames_leaves_only_recognised_files(tmp_path, monkeypatch,
                                                                    n_renames):
    """However many renames of a publish happened, the next run recognises every file."""
    import gexclust._outdir as outdir_module

    out = tmp_path / "out"
    publish(out, {"clusters.csv": "old\n", "linkage.csv": "old\n", "old.pdf": "old"})
    calls = []
    real_replace = os.replace

    def dying_replace(src, dst):
        if len(calls) == n_renames:
            raise SystemExit("killed")  # as far as OUTDIR can tell, the run stopped here
        calls.append(dst)
        real_replace(src, dst)

    monkeypatch.setattr(outdir_module.os, "replace", dying_replace)
    with pytest.raises(SystemExit):
        publish(out, {"clusters.csv": "new\n", "linkage.csv": "new\n"}, force=True)
    monkeypatch.undo()
    publish(out, {"clusters.csv": "again\n"}, force=True)
    assert listing(out) == {"clusters.csv", MANIFEST}


def test_a_live_run_in_the_same_folder_stops_a_second_one(tmp_path):
    out = tmp_path / "out"
    live = out / f"{STAGE_PREFIX}live"
    live.mkdir(parents=True)
    fd = os.open(live / ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(FileExistsError, match="another gexclust run or report is writing"):
            publish(out, {"clusters.csv": "1\n"})
        assert live.exists()
    finally:
        os.close(fd)
    assert listing(out) == {live.name}


def test_without_file_locks_a_leftover_stage_is_not_called_a_live_run(tmp_path, monkeypatch):
    # Windows has no fcntl: a stage a stopped run left behind was reported as "another
    # gexclust run is writing into this folder", even with --force and no run in sight
    import sys

    out = tmp_path / "out"
    left = out / f"{STAGE_PREFIX}dead1"
    left.mkdir(parents=True)
    monkeypatch.setitem(sys.modules, "fcntl", None)  # import fcntl raises ImportError
    with pytest.raises(FileExistsError) as err:
        publish(out, {"clusters.csv": "1\n"}, force=True)
    message = str(err.value)
    assert "is writing into this folder (" not in message  # the live-run message
    assert (f"a gexclust staging folder is there ({left.name}), of a run still writing or of "
            "one that was stopped; without file locks on this system") in message
    assert "remove that staging folder and run again" in message
    assert listing(out) == {left.name}  # nothing of it removed on a guess, no stage of ours


def test_without_file_locks_a_stage_still_holds_its_lock_file(tmp_path, monkeypatch):
    """Before: without fcntl (Windows) a stage had no lock file, so one a stopped run left with
    its files in it was taken for a folder of the user's ("holds files gexclust did not
    write"), not for a stage to remove if no run is writing."""
    import sys

    out = tmp_path / "out"
    monkeypatch.setitem(sys.modules, "fcntl", None)  # import fcntl raises ImportError

    def stopped(outdir):
        with staged_outdir(outdir, force=False) as stage:
            (stage / "adata.h5ad").write_text("half")
            shutil.copytree(stage, outdir / f"{STAGE_PREFIX}dead1")  # what a stopped run leaves
            raise RuntimeError

    with pytest.raises(RuntimeError):
        stopped(out)
    assert listing(out / f"{STAGE_PREFIX}dead1") == {".lock", "adata.h5ad"}
    with pytest.raises(FileExistsError, match="a gexclust staging folder is there"):
        publish(out, {"clusters.csv": "1\n"})


def test_a_new_stage_another_run_removes_before_it_is_locked_is_made_again(tmp_path,
                                                                          monkeypatch):
    """Before: between making its staging folder and locking it, a run's new folder looked
    like that of a run killed before it took its lock; a second run into the same folder,
    clearing dead runs' stages, removed it and stopped early (a bad input). The first run
    went on with no staging folder and no lock, and failed at the end: FileNotFoundError
    '.../.gexclust-stage-xxxx/clusters.csv'."""
    import tempfile

    from gexclust import _outdir

    out = tmp_path / "out"
    made = []
    real = tempfile.mkdtemp

    def mkdtemp(*args, **kwargs):  # the second run starts right after the first made its stage
        stage = real(*args, **kwargs)
        made.append(Path(stage).name)
        if len(made) == 1:
            with pytest.raises(ValueError, match="bad input"), staged_outdir(out, force=False):
                raise ValueError("bad input")
            assert not Path(stage).exists()
        return stage

    monkeypatch.setattr(_outdir.tempfile, "mkdtemp", mkdtemp)
    publish(out, {"clusters.csv": "1\n"})
    assert len(made) == 3  # the first run's stage, the second's, the first run's new one
    assert listing(out) == {"clusters.csv", MANIFEST}
    assert (out / "clusters.csv").read_text() == "1\n"

def test_a_file_where_the_folder_should_be(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(FileExistsError, match="not a folder"):
        publish(tmp_path / "f", {})
    with pytest.raises(PermissionError, match="cannot create the output folder"):
        publish(tmp_path / "f" / "out", {})
    assert (tmp_path / "f").read_text() == "x"


def test_a_broken_link_as_the_folder_says_how_it_is_broken(tmp_path):
    """Before: a loop of links was called "a symbolic link to a missing folder" too."""
    (tmp_path / "gone").symlink_to("nowhere")
    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(FileExistsError) as err:
        publish(tmp_path / "gone", {})
    assert str(err.value) == (f"{tmp_path / 'gone'}: is a symbolic link to a missing folder "
                              "(nowhere); give a folder for the outputs")
    with pytest.raises(FileExistsError) as err:
        publish(tmp_path / "loop", {})
    assert str(err.value) == (f"{tmp_path / 'loop'}: is a symbolic link that cannot be "
                              "followed (Too many levels of symbolic links); give a folder for "
                              "the outputs")
    assert listing(tmp_path) == {"gone", "loop"}


def test_a_cache_folder_inside_outdir_is_refused_up_front(cli, tmp_path, monkeypatch):
    """Before: ``run GSE9476 -o out --cache-dir out/cache`` wrote its outputs beside the
    cache, and every later ``--force`` run into ``out`` was refused ('holds files gexclust
    did not write (cache/)'): the cache is the user's to keep, not an output to replace."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GEXCLUST_CACHE_DIR", raising=False)
    for cache in ("out/cache", "out", "out/../out/geo"):
        proc = cli("run", "GSE9476", "-o", "out", "--cache-dir", cache, "--offline",
                   check=False)
        assert proc.returncode == 1
        assert proc.stderr.strip().splitlines() == [
            f"gexclust: error: --cache-dir {cache} is inside -o out, which may hold only the "
            "run's outputs (a later run with --force would refuse the cache as not its own); "
            "put the cache elsewhere"]
    monkeypatch.setenv("GEXCLUST_CACHE_DIR", str(tmp_path / "out" / "geo"))
    proc = cli("run", "GSE9476", "-o", "out", "--offline", check=False)
    assert proc.stderr.strip() == (
        f"gexclust: error: $GEXCLUST_CACHE_DIR {tmp_path}/out/geo is inside -o out, which may "
        "hold only the run's outputs (a later run with --force would refuse the cache as not "
        "its own); put the cache elsewhere")
    assert not (tmp_path / "out").exists()
    # a cache beside OUTDIR, or one whose name merely starts as OUTDIR's, is not refused for it
    for cache in ("cache", "outer"):
        proc = cli("run", "GSE9476", "-o", "out", "--cache-dir", cache, "--offline",
                   check=False)
        assert "is inside -o" not in proc.stderr
        assert "not in the cache" in proc.stderr


def add(outdir, files: dict[str, str]) -> None:
    """Add files to an earlier run's folder, as ``gexclust report`` does."""
    from gexclust._outdir import staged_additions

    with staged_additions(outdir) as stage:
        for name, text in files.items():
            (stage / name).write_text(text)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.parametrize("force", [False, True])
def test_a_read_only_output_is_refused_by_name_and_kept(tmp_path, force):
    """Before: an output made read-only (chmod a-w clusters.csv) was replaced by --force
    without a word (a rename needs only the folder's permission). Now refused, naming it,
    root included (the mode says "keep it" even to those who may write anyway)."""
    out = tmp_path / "out"
    publish(out, {"clusters.csv": "ours\n", "summary.json": "{}\n"})
    (out / "clusters.csv").chmod(0o444)
    before = snapshot(out)
    expected = (f"{out}: clusters.csv is read-only; gexclust does not replace outputs made "
                "read-only, with or without --force: make it writable (chmod u+w) or choose "
                "another OUTDIR")
    with pytest.raises(PermissionError, match=f"^{re.escape(expected)}$"):
        publish(out, {"clusters.csv": "new\n"}, force=force)
    assert snapshot(out) == before
    (out / "clusters.csv").chmod(0o644)
    publish(out, {"clusters.csv": "new\n"}, force=True)  # writable again: replaced
    assert (out / "clusters.csv").read_text() == "new\n"


def test_a_read_only_output_is_not_replaced_by_an_addition(tmp_path):
    """``gexclust report``: a read-only report.html, or manifest, is refused by name. The
    advice is the report's: it has no --force, and no OUTDIR to choose (it was "with or
    without --force: ... or choose another OUTDIR", a run's)."""
    out = tmp_path / "out"
    publish(out, {"report.html": "old\n", "summary.json": "{}\n"})
    for locked in ("report.html", MANIFEST):
        (out / locked).chmod(0o444)
        before = snapshot(out)
        expected = (f"{out}: {locked} is read-only; gexclust does not replace outputs made "
                    "read-only: make it writable (chmod u+w) to write the report again")
        with pytest.raises(PermissionError, match=f"^{re.escape(expected)}$"):
            add(out, {"report.html": "new\n"})
        assert snapshot(out) == before
        (out / locked).chmod(0o644)
    add(out, {"report.html": "new\n"})
    assert (out / "report.html").read_text() == "new\n"


NOT_A_MANIFEST = {  # what the file under the manifest's name holds: why it is not one
    "my notes\n": "not valid JSON: line 1: Expecting value",
    "{bad\n": "not valid JSON: line 1: Expecting property name enclosed in double quotes",
    '{"a": 1}\n': "JSON, but not what gexclust writes there",
    '{"gexclust_manifest": 1, "files": {"x": 1}}\n': "JSON, but not what gexclust writes there",
    "\udcff": "not UTF-8 text",
}


@pytest.mark.parametrize("text", list(NOT_A_MANIFEST))
@pytest.mark.parametrize("how", ["run --force", "report"])
def test_a_file_under_the_manifests_name_that_is_not_one_is_named_and_never_overwritten(
        tmp_path, text, how):
    """Before: a corrupt manifest (or the user's own file under its name) made the run call
    every output "not written by gexclust" (.gexclust-manifest.json (not a gexclust
    manifest), adata.h5ad, ... and 9 more), and gexclust report replaced it with a manifest of
    its own when no report file was there yet. Now named, with why, and left as it was."""
    out = tmp_path / "out"
    publish(out, {"clusters.csv": "ours\n", "summary.json": "{}\n"})
    (out / MANIFEST).write_bytes(text.encode("utf-8", "surrogateescape"))
    before = snapshot(out)
    way = ("or choose another OUTDIR" if how == "run --force" else
           "to write the report again")  # the report writes into the run's folder only
    expected = (f"{out / MANIFEST}: not a manifest gexclust wrote ({NOT_A_MANIFEST[text]}); "
                "gexclust never overwrites it, and without its manifest cannot tell its own "
                f"outputs in {out} from yours: move it away if it is yours (or damaged)"
                f"{',' if how == 'run --force' else ''} {way}")
    write = ((lambda: add(out, {"report.html": "new\n"})) if how == "report" else
             (lambda: publish(out, {"clusters.csv": "new\n"}, force=True)))
    with pytest.raises(FileExistsError, match=f"^{re.escape(expected)}$"):
        write()
    assert snapshot(out) == before
    assert listing(out) == {"clusters.csv", "summary.json", MANIFEST}  # no stage left


def test_a_manifest_that_is_a_link_is_not_replaced_by_an_addition(tmp_path):
    """Before: gexclust report replaced a symbolic link named like the manifest."""
    out = tmp_path / "out"
    publish(out, {"summary.json": "{}\n"})
    (tmp_path / "mine.json").write_text("mine\n")
    (out / MANIFEST).unlink()
    (out / MANIFEST).symlink_to(tmp_path / "mine.json")
    with pytest.raises(FileExistsError, match=r"not a manifest gexclust wrote \(a symbolic link"):
        add(out, {"report.html": "new\n"})
    assert (out / MANIFEST).is_symlink()
    assert (tmp_path / "mine.json").read_text() == "mine\n"
    assert not (out / "report.html").exists()


@pytest.mark.parametrize("command", ["run", "report"])
def test_an_unreadable_manifest_is_named_with_the_reason(cli, small_csv, tmp_path, command):
    """Before: a manifest without read permission was taken for none, and the run said the
    outputs were "not written by gexclust" (the report: "report.pdf: not written by
    gexclust"), a false claim. Now the manifest is named, with the system's reason."""
    import sys

    from tests.conftest import unprivileged

    out = tmp_path / "out"
    cli("run", small_csv, "-o", out, "--quiet")
    preexec = unprivileged()
    before = snapshot(out)
    (out / MANIFEST).chmod(0)
    args = ["run", small_csv, "-o", out, "--force"] if command == "run" else ["report", out]
    try:
        proc = subprocess.run([sys.executable, "-m", "gexclust", *map(str, args), "--quiet"],
                              capture_output=True, text=True, preexec_fn=preexec,
                              timeout=120, check=False)
    finally:
        (out / MANIFEST).chmod(0o644)
    assert (proc.returncode, proc.stderr) == (1, (
        f"gexclust: error: {out / MANIFEST}: cannot be read (Permission denied); gexclust "
        f"tells its own outputs in {out} by this manifest, so it replaces none of them "
        "without it: make it readable "
        f"{'or choose another OUTDIR' if command == 'run' else 'to write the report again'}\n"))
    assert snapshot(out) == before


@pytest.mark.parametrize("how", ["run", "report"])
def test_a_live_run_or_stages_taken_away_advise_what_applies_to_the_command(tmp_path,
                                                                           monkeypatch, how):
    """A run may choose another OUTDIR; the report writes into the run's folder only (it
    said "wait for it to finish or choose another OUTDIR", a run's advice, before dff65af)."""
    from gexclust import _outdir

    out = tmp_path / "out"
    publish(out, {"summary.json": "{}\n"})
    write = ((lambda: add(out, {"report.html": "new\n"})) if how == "report" else
             (lambda: publish(out, {"summary.json": "new\n"}, force=True)))
    other = " or choose another OUTDIR" if how == "run" else ""
    live = out / f"{STAGE_PREFIX}live"
    live.mkdir()
    fd = os.open(live / ".lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        expected = (f"{out}: another gexclust run or report is writing into this folder "
                    f"({live.name}); wait for it to finish{other}")
        with pytest.raises(FileExistsError, match=f"^{re.escape(expected)}$"):
            write()
    finally:
        os.close(fd)
    shutil.rmtree(live)
    monkeypatch.setattr(_outdir, "_holds", lambda lock, path: False)  # taken away each time
    expected = (f"{out}: other gexclust runs or reports removed this {how}'s staging folder "
                f"{_outdir.STAGE_ATTEMPTS} times; wait for them to finish{other}")
    with pytest.raises(FileExistsError, match=f"^{re.escape(expected)}$"):
        write()
    assert listing(out) == {"summary.json", MANIFEST}
