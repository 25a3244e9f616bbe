"""The output folder of ``gexclust run``: written only when complete, never beyond our own files.

A run builds its outputs in a hidden staging folder inside OUTDIR, ``.gexclust-stage-*``, and
moves them into place only once all are written (:func:`staged_outdir`). Each file arrives by
one rename, so a file is there complete or not at all. The manifest, ``.gexclust-manifest.json``,
lists every output with its size and sha256; it is updated before the files it vouches for
change (listing old and new versions while they are swapped), so even a run killed between two
renames leaves only files the manifest recognises. The renames and the removal of the staging
folder run with SIGINT/SIGTERM held back.

What the manifest lists (unchanged since) is gexclust's; everything else is the user's. A
folder that holds anything of the user's is refused, with or without ``--force``, naming what
is there; ``--force`` only allows replacing the outputs of an earlier run. An output made
read-only since (``chmod a-w``) is kept as the user's wish, and refused by name; a manifest
that cannot be read, or a file under its name that gexclust did not write, is never replaced
and stops the run, naming it and why. The staging folder
holds a lock for as long as its run lives: one that can be locked belongs to a run that was
killed (SIGKILL, power loss) and is removed by the next run; one that cannot belongs to a live
run, which makes a second run into the same folder stop.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ._errors import full_disk_before, full_disk_named
from ._files import broken_link, sha256_file
from ._stop import check as check_stop
from ._stop import shielded

MANIFEST = ".gexclust-manifest.json"
STAGE_PREFIX = ".gexclust-stage-"
LOCK = ".lock"
#: How many unknown entries an error message names before it counts the rest.
SHOWN = 5
#: What a full disk under OUTDIR leaves, and what to do (the stage is removed either way).
SPACE_RUN = ("no output was written and earlier ones are as they were: free some space "
             "or choose another OUTDIR")
SPACE_ADD = "nothing in it was changed: free some space and run 'gexclust report' again"
#: What :func:`staged_additions` adds, for messages about a full disk met before the writing.
ADDED = "report.html and report.pdf"


def check_outdir(outdir: str | os.PathLike, *, force: bool) -> dict:
    """Check that ``outdir`` can receive the outputs; return what of ours it holds.

    ``outdir`` may be missing, empty, a folder holding only gexclust's outputs (``force``
    needed to replace them), or a symbolic link to such a folder. Returns ``{name: stat}`` of
    the earlier outputs found: ``{name: (identity, versions listed in the manifest)}``.
    Raises ``FileExistsError`` naming what is in the way.
    """
    outdir = Path(outdir)
    if (problem := broken_link(outdir)) is not None:
        msg = f"{outdir}: {problem}; give a folder for the outputs"
        raise FileExistsError(msg)
    if outdir.exists() and not outdir.is_dir():
        msg = f"{outdir}: exists and is not a folder"
        raise FileExistsError(msg)
    if not outdir.exists():
        return {}
    entries = [e for e in os.scandir(outdir) if not _is_stage(e)]
    listed = load_manifest(outdir / MANIFEST) or {}
    ours, foreign = {}, []
    for entry in entries:
        reason = _not_ours(entry, listed)
        if reason is None:
            ours[entry.name] = (_identity(entry.stat(follow_symlinks=False)),
                                listed.get(entry.name, []))
        else:
            foreign.append(entry.name + reason)
    if foreign:
        shown = ", ".join(sorted(foreign)[:SHOWN])
        more = f" and {len(foreign) - SHOWN} more" if len(foreign) > SHOWN else ""
        msg = (f"{outdir}: holds files gexclust did not write ({shown}{more}); "
               "gexclust replaces only its own outputs: choose another OUTDIR")
        if any(name.startswith(STAGE_PREFIX) for name in foreign):
            # a stage without its lock file: the user's, or left by an older gexclust
            msg += (f" (a {STAGE_PREFIX}* folder without a {LOCK} file may be one an older "
                    "gexclust left: remove it if so)")
        raise FileExistsError(msg)
    _refuse_read_only(outdir, sorted(ours), run=True)
    if ours and not force:
        msg = f"{outdir}: holds the outputs of an earlier run; pass --force to replace them"
        raise FileExistsError(msg)
    return ours


@contextlib.contextmanager
def staged_outdir(outdir: str | os.PathLike, *, force: bool) -> Iterator[Path]:
    """Yield a staging folder inside ``outdir``; when the block succeeds, publish its files.

    Enter it before the long work: it creates ``outdir`` (so permission problems show at
    once), removes staging folders of killed runs, and refuses a folder that holds anything
    gexclust did not write (see :func:`check_outdir`). Every regular file the block leaves
    in the staging folder becomes an output; write them within :func:`writing_outputs`. If
    the block fails or is interrupted, the staging folder is removed, earlier outputs stay as
    they were, and a folder this call created is removed again.
    """
    outdir = Path(outdir)
    check_outdir(outdir, force=force)
    created = _make_folders(outdir)
    try:
        with _locked_stage(outdir) as stage:
            # the block's long work writes nothing here; only its writing, in writing_outputs
            with full_disk_before(outdir, "the outputs", SPACE_RUN):
                earlier = check_outdir(outdir, force=force)
                yield stage
            with shielded(), writing_outputs(stage):
                check_stop()  # a Ctrl-C that Python swallowed still cancels the run
                _publish(stage, outdir, earlier)
        created = []  # success: the folders stay
    finally:
        with shielded():
            for folder in created:  # innermost first; only while empty
                with contextlib.suppress(OSError):
                    folder.rmdir()


def writing_outputs(stage: Path) -> contextlib.AbstractContextManager:
    """Wrap the writing of the outputs into ``stage``: a full disk met there is OUTDIR's.

    The system's error names no file when a write into an open file fails, so only the block
    that writes into the staging folder may blame OUTDIR for it; elsewhere in the block of
    :func:`staged_outdir` such an error says that nothing was written to OUTDIR.
    """
    return full_disk_named(stage.parent, "the outputs", SPACE_RUN)


def check_replaceable(outdir: str | os.PathLike, names) -> None:
    """Refuse when any of ``names`` in ``outdir`` is a file gexclust did not write (or changed).

    Used before writing files into an earlier run's folder (``gexclust report``): only our own
    outputs, unchanged since and not made read-only, may be replaced. The manifest, which
    every addition rewrites, is checked too: one that cannot be read, or a file of the user's
    under its name, is refused (:func:`load_manifest`).
    """
    outdir = Path(outdir)
    listed = load_manifest(outdir / MANIFEST, run=False) or {}
    names = {*names, MANIFEST}
    with os.scandir(outdir) as entries:
        found = [entry for entry in entries if entry.name in names]
    for entry in found:
        reason = _not_ours(entry, listed)
        if reason == "/":  # the mark of a folder in a list of names, not a reason
            reason = " (a folder)"
        if reason is not None:
            msg = (f"{outdir / entry.name}: not written by gexclust{reason}; not replaced "
                   "(move it away first)")
            raise FileExistsError(msg)
    _refuse_read_only(outdir, sorted(entry.name for entry in found), run=False)


def _refuse_read_only(outdir: Path, names: list[str], *, run: bool) -> None:
    """Refuse to replace outputs of ours in ``outdir`` that were made read-only since.

    A rename replaces a read-only file as it replaces any other (the folder's permission is
    what counts), so ``--force`` replaced a ``clusters.csv`` its user had locked with
    ``chmod a-w``. A file no one may write, or this user may not, is taken as one to keep.
    ``run``: for ``gexclust run`` (else ``gexclust report``, which has no ``--force`` and
    writes into the run's folder only), what the message advises.
    """
    locked = [name for name in names if read_only(outdir / name)]
    if not locked:
        return
    shown = ", ".join(locked[:SHOWN])
    more = f" and {len(locked) - SHOWN} more" if len(locked) > SHOWN else ""
    them = "it" if len(locked) == 1 else "them"
    if run:
        keep = ", with or without --force"
        way = f"make {them} writable (chmod u+w) or choose another OUTDIR"
    else:
        keep, way = "", f"make {them} writable (chmod u+w) to write the report again"
    msg = (f"{outdir}: {shown}{more} {'is' if len(locked) == 1 else 'are'} read-only; gexclust "
           f"does not replace outputs made read-only{keep}: {way}")
    raise PermissionError(msg)


def read_only(path: Path) -> bool:
    """Whether ``path`` has no write permission for anyone, or none for this user.

    The mode bits first: root may write any file, but ``chmod a-w`` still says "keep it".
    """
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(mode) or not stat.S_ISREG(mode):
        return False
    return not mode & 0o222 or not os.access(path, os.W_OK)


@contextlib.contextmanager
def staged_additions(outdir: str | os.PathLike) -> Iterator[Path]:
    """Yield a staging folder inside an earlier run's ``outdir``; add its files when done.

    For files written after the run (``gexclust report``): they replace only unchanged outputs
    of ours (:func:`check_replaceable`), the manifest lists both versions while they are
    swapped, as :func:`staged_outdir` does, and the staging folder's lock keeps a run into the
    same folder out meanwhile. Nothing else in ``outdir`` is touched; a failed or interrupted
    block changes nothing.
    """
    outdir = Path(outdir)
    with _locked_stage(outdir, run=False) as stage:
        # the block's reading and drawing write nothing here; only its writing, within
        # writing_additions, may blame OUTDIR for a full disk
        with full_disk_before(outdir, ADDED, SPACE_ADD):
            yield stage
        with shielded(), writing_additions(stage):
            check_stop()
            _add(stage, outdir)


def writing_additions(stage: Path) -> contextlib.AbstractContextManager:
    """Wrap the writing of files into the ``stage`` of :func:`staged_additions`.

    As :func:`writing_outputs` for a run: a full disk met there is OUTDIR's, one met
    elsewhere in the block says where it was and that OUTDIR was not changed.
    """
    return full_disk_named(stage.parent, "the report", SPACE_ADD)


@contextlib.contextmanager
def _locked_stage(outdir: Path, *, run: bool = True) -> Iterator[Path]:
    """A new staging folder in ``outdir``, locked while the block runs, then removed.

    Stale staging folders of dead runs are removed first; the lock tells live ones apart.
    ``run``: for ``gexclust run`` (else ``gexclust report``), what a refusal advises.
    """
    stage, lock = _new_stage(outdir, run=run)
    try:
        _remove_stale_stages(outdir, keep=stage, run=run)
        yield stage
    finally:
        with shielded():
            _release(lock)
            _remove_stage(stage)


def _new_stage(outdir: Path, *, run: bool) -> tuple[Path, int]:
    """A new staging folder in ``outdir``, and the lock on it (see :func:`_try_lock`).

    Until its lock is taken, a new folder looks like the stage of a run killed before it took
    one: another run clearing dead runs' stages (:func:`_remove_stale_stages`) may remove it
    meanwhile. Such a run removes a stage only while it holds its lock, so a lock taken here
    on the lock file that is still in the folder is the run's for good; otherwise the folder
    is gone (or going), and another is made.
    """
    for _ in range(STAGE_ATTEMPTS):
        try:
            # absolute, as mkdtemp returns it from Python 3.12 on: a relative '~/...' stage
            # would be taken for $HOME by pandas' to_csv, which expands a leading '~'
            stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=outdir.absolute()))
        except OSError as err:
            msg = f"{outdir}: cannot write there ({err.strerror})"
            raise PermissionError(msg) from err
        lock = _try_lock(stage / LOCK)
        if _holds(lock, stage / LOCK):
            return stage, lock
        _release(lock)
        with shielded():
            _remove_stage(stage)  # what another run left of it, if any
    this = "run" if run else "report"
    msg = (f"{outdir}: other gexclust runs or reports removed this {this}'s staging folder "
           f"{STAGE_ATTEMPTS} times; wait for them to finish"
           f"{' or choose another OUTDIR' if run else ''}")
    raise FileExistsError(msg)


#: New staging folders a run makes before it gives up (see :func:`_new_stage`).
STAGE_ATTEMPTS = 5


def _holds(lock: int | None, path: Path) -> bool:
    """Whether ``lock`` (from :func:`_try_lock`) locks the file that is at ``path`` now."""
    if lock is None:
        return False
    if lock < 0:
        return True  # no POSIX locks (Windows): nothing to hold
    try:
        there = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(lock)
    return (there.st_dev, there.st_ino) == (mine.st_dev, mine.st_ino)


def _add(stage: Path, outdir: Path) -> None:
    """Move the staged files into ``outdir``, the manifest first; see :func:`staged_additions`."""
    names = sorted(p.name for p in stage.iterdir() if p.is_file() and p.name != LOCK)
    check_replaceable(outdir, names)
    listed = load_manifest(outdir / MANIFEST, run=False) or {}
    new = {name: [{"size": (stage / name).stat().st_size, "sha256": sha256_file(stage / name)}]
           for name in names}
    both = {name: new[name] + listed.get(name, []) for name in names}
    _write_manifest(stage, outdir, {**listed, **both})  # vouches for old and new while they swap
    for name in names:
        os.replace(stage / name, outdir / name)
    _write_manifest(stage, outdir, {**listed, **new})


def _publish(stage: Path, outdir: Path, earlier: dict) -> None:
    """Move the staged outputs into ``outdir``, replacing the earlier ones; see the module doc."""
    names = sorted(p.name for p in stage.iterdir() if p.is_file() and p.name != LOCK)
    for name in {*names, *earlier, MANIFEST}:
        # nothing may have appeared or changed under our names since the run began
        if _identity_of(outdir / name) != earlier.get(name, (None,))[0]:
            msg = f"{outdir / name}: changed while gexclust was running; outputs not written"
            raise FileExistsError(msg)
    new = {name: [{"size": (stage / name).stat().st_size, "sha256": sha256_file(stage / name)}]
           for name in names}
    both = {name: new.get(name, []) + earlier[name][1] for name in earlier if name != MANIFEST}
    _write_manifest(stage, outdir, {**new, **both})  # vouches for old and new while they swap
    for name in names:
        os.replace(stage / name, outdir / name)
    for name in set(earlier) - {*names, MANIFEST}:
        (outdir / name).unlink()
    _write_manifest(stage, outdir, new)


def _write_manifest(stage: Path, outdir: Path, files: dict) -> None:
    text = json.dumps({"gexclust_manifest": 1, "files": files}, indent=1, sort_keys=True)
    (stage / MANIFEST).write_text(text + "\n")
    os.replace(stage / MANIFEST, outdir / MANIFEST)


def changed_since_written(path: str | os.PathLike) -> bool:
    """Whether ``path``, an output its folder's manifest lists, differs from what was written.

    False for a file the manifest does not list (or a folder without one): nothing to compare.
    """
    path = Path(path)
    listed = _read_manifest(path.parent / MANIFEST)
    if path.name not in listed:
        return False
    size = path.stat().st_size
    hashes = {v.get("sha256") for v in listed[path.name] if v.get("size") == size}
    return not (hashes and sha256_file(path) in hashes)


def listed_outputs(outdir: str | os.PathLike) -> set[str]:
    """The names the manifest of ``outdir`` lists (none without a manifest of ours)."""
    return set(_read_manifest(Path(outdir) / MANIFEST))


def written_unchanged(path: str | os.PathLike) -> bool:
    """Whether ``path`` is an output its folder's manifest lists, unchanged since written."""
    path = Path(path)
    listed = _read_manifest(path.parent / MANIFEST)
    if path.name not in listed or path.is_symlink() or not path.is_file():
        return False
    return not changed_since_written(path)


def _not_ours(entry: os.DirEntry, listed: dict) -> str | None:
    """``None`` if ``entry`` is an unchanged output listed in the manifest, else why not."""
    if entry.is_symlink():
        return " (symbolic link)"
    if entry.is_dir():
        return "/"
    if entry.name == MANIFEST:
        return None  # read by load_manifest already, which refuses one that is not ours
    if entry.name not in listed:
        return ""
    size = entry.stat().st_size
    hashes = {v.get("sha256") for v in listed[entry.name] if v.get("size") == size}
    if hashes and sha256_file(entry.path) in hashes:
        return None
    return " (changed since gexclust wrote it)"


def _read_manifest(path: Path) -> dict:
    """``{name: [version, ...]}`` of the manifest at ``path``; ``{}`` if it is not ours.

    For questions a missing answer cannot hurt (is this figure the run's own?). Before
    anything in its folder is replaced, read it with :func:`load_manifest`.
    """
    try:
        return load_manifest(path) or {}
    except ManifestError:
        return {}


class ManifestError(FileExistsError):
    """The manifest of a folder cannot be read, or its name holds a file gexclust did not write."""


def load_manifest(path: Path, *, run: bool = True) -> dict | None:
    """``{name: [version, ...]}`` of the manifest at ``path``; ``None`` when there is none.

    Raises :class:`ManifestError` naming ``path`` when it cannot be read (no permission) or is
    not a manifest gexclust wrote (not UTF-8 JSON of its shape, a folder, a symbolic link): a
    file of the user's under that name is never replaced, and without the manifest gexclust
    cannot tell its outputs from the user's files. Both were taken for "no manifest", so that
    the run called every output "not written by gexclust", and ``gexclust report`` replaced
    the user's file with a manifest of its own. ``run``: for ``gexclust run`` (else ``gexclust
    report``, which writes into the run's folder only), what the message advises.
    """
    outdir = path.parent
    way = " or choose another OUTDIR" if run else " to write the report again"
    try:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode) or not stat.S_ISREG(mode):
            why = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
            raise ManifestError(_not_a_manifest(path, why, run=run))
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except ManifestError:
        raise
    except OSError as err:
        reason = err.strerror or str(err)
        msg = (f"{path}: cannot be read ({reason}); gexclust tells its own outputs in "
               f"{outdir} by this manifest, so it replaces none of them without it: make it "
               f"readable{way}")
        raise ManifestError(msg) from None
    except UnicodeDecodeError:
        raise ManifestError(_not_a_manifest(path, "not UTF-8 text", run=run)) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        why = f"not valid JSON: line {err.lineno}: {err.msg}"
        raise ManifestError(_not_a_manifest(path, why, run=run)) from None
    files = data.get("files") if isinstance(data, dict) else None
    if (not isinstance(data, dict) or data.get("gexclust_manifest") != 1
            or not isinstance(files, dict)
            or not all(isinstance(v, list) and all(isinstance(x, dict) for x in v)
                       for v in files.values())):
        raise ManifestError(_not_a_manifest(path, "JSON, but not what gexclust writes there",
                                            run=run))
    return files


def _not_a_manifest(path: Path, why: str, *, run: bool) -> str:
    way = ("move it away if it is yours (or damaged), or choose another OUTDIR" if run else
           "move it away if it is yours (or damaged) to write the report again")
    return (f"{path}: not a manifest gexclust wrote ({why}); gexclust never overwrites it, and "
            f"without its manifest cannot tell its own outputs in {path.parent} from yours: "
            f"{way}")


def unfinished_run(outdir: Path) -> str | None:
    """What the staging folder in ``outdir`` says of a run that has not finished, or ``None``.

    For a folder without a run's outputs: a run writing into it now, or one that was stopped
    (killed, or the machine went down) before it put its outputs in place.
    """
    stages = _stages(outdir) if outdir.is_dir() else []
    for path in stages:
        lock = _try_lock(Path(path) / LOCK, mine=False)
        if lock is None:
            return "a gexclust run is writing into it now; wait for it to finish"
        _release(lock)
    if stages:
        return (f"it holds only the staging folder of a run that was stopped before it "
                f"finished ({Path(stages[0]).name}); run 'gexclust run' into it again")
    return None


def _stages(outdir: Path) -> list[str]:
    """Staging folders in ``outdir`` (see :func:`_is_stage`)."""
    return [e.path for e in os.scandir(outdir) if _is_stage(e)]


def _is_stage(entry: os.DirEntry) -> bool:
    """Whether ``entry`` is the staging folder of a gexclust run, live or killed.

    A real folder with our prefix that holds its lock file (taken as it is made, removed last:
    :func:`_remove_stage`), or holds nothing yet (a run killed before it took its lock). A
    folder of the user's that is merely named so is neither: it is never removed, and the
    folder that holds it is refused as any other file of the user's.
    """
    if not entry.name.startswith(STAGE_PREFIX) or not entry.is_dir(follow_symlinks=False):
        return False
    try:
        if stat.S_ISREG(os.lstat(os.path.join(entry.path, LOCK)).st_mode):
            return True
    except FileNotFoundError:
        pass
    try:
        return not os.listdir(entry.path)
    except FileNotFoundError:  # removed meanwhile: it was a stage, ending
        return True


def _remove_stage(stage: str | os.PathLike) -> None:
    """Remove a staging folder, its lock file last, so that until then it is known for ours.

    An entry that cannot be removed (a file another program holds open on Windows) keeps the
    lock file: without it the folder would pass for the user's, and block every later run.
    """
    with contextlib.suppress(FileNotFoundError), os.scandir(stage) as entries:
        for entry in [e for e in entries if e.name != LOCK]:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
    with contextlib.suppress(OSError):
        if set(os.listdir(stage)) - {LOCK}:
            return
    for remove, path in ((os.unlink, os.path.join(stage, LOCK)), (os.rmdir, stage)):
        with contextlib.suppress(OSError):
            remove(path)


def _remove_stale_stages(outdir: Path, *, keep: Path, run: bool) -> None:
    """Remove staging folders whose run is gone; refuse to run beside a live one."""
    for path in _stages(outdir):
        if Path(path).name == keep.name:  # by name: mkdtemp returns absolute paths on 3.12+
            continue
        lock = _try_lock(Path(path) / LOCK, mine=False)
        if lock is None and not _has_locks():
            # no POSIX locks (Windows): a live run and a stopped one look the same
            msg = (f"{outdir}: a gexclust staging folder is there ({Path(path).name}), of a run "
                   "still writing or of one that was stopped; without file locks on this "
                   "system gexclust cannot tell which: if no gexclust run is writing into "
                   "this folder, remove that staging folder and run again")
            raise FileExistsError(msg)
        if lock is None:
            msg = (f"{outdir}: another gexclust run or report is writing into this folder "
                   f"({Path(path).name}); wait for it to finish"
                   f"{' or choose another OUTDIR' if run else ''}")
            raise FileExistsError(msg)
        with shielded():
            # removed under its lock: a run whose new stage this is cannot lock it meanwhile
            # (a run killed before it took its lock left none: ours is created for it)
            _remove_stage(path)
            _release(lock)


def _has_locks() -> bool:
    """Whether this system has the POSIX file locks that tell a live run from a dead one."""
    try:
        import fcntl  # noqa: F401
    except ImportError:
        return False
    return True


def _try_lock(path: Path, *, mine: bool = True):
    """An exclusive lock on ``path`` (a file descriptor), or ``None`` if a live process holds it.

    The lock file is created if missing. ``mine``: the lock of this run's own stage; else of
    another stage, which is stale (``-1``, nothing to remove) if its folder is gone. The
    operating system drops the lock when its process dies, however it dies.
    """
    try:
        import fcntl
    except ImportError:  # no POSIX locks (Windows): a leftover staging folder is never removed
        if not mine:
            return None
        with contextlib.suppress(OSError):
            path.touch()  # unlocked, it still marks the folder as a stage (see _is_stage)
        return -1
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:  # its folder was removed
        return None if mine else -1
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def _release(lock) -> None:
    if lock is not None and lock >= 0:
        os.close(lock)  # closing the descriptor releases the lock


def _make_folders(outdir: Path) -> list[Path]:
    """Create ``outdir`` and missing parents; return those created, innermost first."""
    missing = []
    folder = outdir
    while not folder.exists() and not folder.is_symlink():
        missing.append(folder)
        folder = folder.parent
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        msg = f"{outdir}: cannot create the output folder ({err.strerror})"
        raise PermissionError(msg) from err
    return missing


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _identity_of(path: Path) -> tuple[int, int, int, int] | None:
    try:
        return _identity(path.stat(follow_symlinks=False))
    except FileNotFoundError:
        return None
