"""Atomic writes: write to a temporary file in the target's folder, then rename over the target.

A crash or a concurrent run therefore never leaves a half-written file under the final name.
A writer holds a lock on its temporary file while it writes; the operating system drops it
when the process dies, however it dies (SIGKILL, a SIGTERM outside ``gexclust run``). The next
write of the same target removes such unlocked temporaries, and only those of its own naming.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ._logging import logger
from ._stop import shielded

try:
    import fcntl
except ImportError:  # pragma: no cover - no POSIX locks (Windows): leftovers are never removed
    fcntl = None


def current_umask() -> int:
    """The process umask (reading it requires setting it; restored at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` if the block succeeds."""
    with atomic_paths([target]) as (tmp,):
        yield tmp


@contextlib.contextmanager
def atomic_paths(targets) -> Iterator[list[Path]]:
    """Yield a temporary path beside each target; rename them all only once the block succeeds.

    For files read as a set (TreeView's ``.cdt`` with its ``.atr`` and ``.gtr``): a failure
    or a stop while any of them is written leaves every target as it was, never a new file
    beside an old one. The renames run with SIGINT/SIGTERM held back, so a Ctrl-C cannot
    split the set either. A target that is a character device (``/dev/null``, a terminal)
    is yielded itself and written to directly: a rename would put a file in its place.
    """
    targets = [Path(t) for t in targets]
    with contextlib.ExitStack() as stack:
        # as root, a rename replaced /dev/null itself with a regular file
        tmps = [target if _is_device(target) else stack.enter_context(_temporary(target))
                for target in targets]
        yield tmps
        mode = 0o666 & ~current_umask()  # mkstemp creates 0600; give a plain open()'s
        renamed = [(tmp, target) for tmp, target in zip(tmps, targets, strict=True)
                   if tmp is not target]
        for tmp, _ in renamed:
            os.chmod(tmp, mode)
        with shielded():
            for tmp, target in renamed:
                os.replace(tmp, target)


def _is_device(target: Path) -> bool:
    """Whether ``target`` is a character device (``/dev/null``, a terminal), no file to replace.

    A named pipe is replaced as a file is: one left in gexclust's GEO cache would make a
    write into it wait for a reader for ever.
    """
    try:
        return stat.S_ISCHR(os.stat(target).st_mode)
    except OSError:  # not there (or not reachable): a file is made
        return False


@contextlib.contextmanager
def _temporary(target: Path) -> Iterator[Path]:
    """A locked temporary file beside ``target``, removed on the way out unless renamed."""
    if target.is_dir():  # the rename would fail, after a temporary was made in its parent
        msg = (f"{target}: is a folder; give the path of the file to write (e.g. "
               f"'{target / 'NAME'}')")
        raise IsADirectoryError(msg)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    try:
        fd, tmp_path = _locked_temporary(target)
    except OSError as err:  # the system names the temporary file, which nobody asked for
        raise type(err)(err.errno, err.strerror, os.fspath(target)) from err
    try:
        yield tmp_path
    finally:
        tmp_path.unlink(missing_ok=True)
        if fd is not None:
            os.close(fd)  # releases the lock, once the temporary name is gone


def _locked_temporary(target: Path) -> tuple[int | None, Path]:
    """A new temporary file beside ``target`` and its descriptor, locked (None: no locks here)."""
    while True:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
        if fcntl is None:
            os.close(fd)  # Windows cannot rename a file that is open
            return None, Path(tmp)
        if _lock(fd) is not False and os.fstat(fd).st_nlink:
            return fd, Path(tmp)
        # another write, between creation and lock, took it for a leftover: take a new one
        os.close(fd)


def _lock(fd: int) -> bool | None:
    """Lock ``fd`` exclusively: True, False if another process holds it, None if unsupported."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:  # a file system without locks
        return None
    return True


def remove_stale_temporaries(target: str | os.PathLike) -> None:
    """Remove the temporaries of ``target`` that no live write holds (left by killed ones)."""
    if fcntl is None:
        return
    for path in leftover_temporaries(target):
        try:
            fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue  # gone meanwhile, a link, or not ours to write
        try:
            # the name must still be the file locked: a write may have renamed it meanwhile
            if (_lock(fd) and stat.S_ISREG(os.fstat(fd).st_mode)
                    and os.path.samestat(os.fstat(fd), os.lstat(path))):
                path.unlink()
                logger.info("removed %s, left by an interrupted write of %s", path,
                            Path(target).name)
        except OSError:
            pass  # gone meanwhile
        finally:
            os.close(fd)


def leftover_temporaries(target: str | os.PathLike) -> list[Path]:
    """Temporary files of :func:`atomic_path` for ``target`` present in its folder.

    Any seen while no write of ``target`` runs (its caller holds a lock) were left by a
    killed process. Matches mkstemp's 8 random characters exactly, so never the temporaries
    of another file whose name extends this one (``NAME.gz`` for ``NAME``). A folder that
    cannot be listed (one that may be written but not read, mode 333) shows none: writing
    there works as before.
    """
    target = Path(target)
    prefix = f".{target.name}."
    own = re.compile(rf"{re.escape(prefix)}[a-z0-9_]{{8}}\.part")
    try:
        names = os.listdir(target.parent)
    except OSError:  # missing, not a folder, or not readable
        return []
    # a string test first: a write into a folder of 20,000 files lists it every time
    return [target.parent / name for name in names
            if name.startswith(prefix) and own.fullmatch(name)]


@contextlib.contextmanager
def atomic_open(target: str | os.PathLike, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open a temporary file for writing that replaces ``target`` only once fully written."""
    with atomic_path(target) as tmp, synced_open(tmp, mode, **kwargs) as fh:
        yield fh


@contextlib.contextmanager
def synced_open(path: str | os.PathLike, mode: str = "w", **kwargs) -> Iterator[IO]:
    """``open(path, mode, **kwargs)``, its data flushed to the disk once the block succeeds."""
    with open(path, mode, **kwargs) as fh:
        yield fh
        fh.flush()
        sync(fh.fileno())


def sync(fd: int) -> None:
    """Flush the data of file descriptor ``fd`` to the disk (a device has none: EINVAL)."""
    if stat.S_ISREG(os.fstat(fd).st_mode):
        os.fsync(fd)


def synced_text(path: str | os.PathLike) -> contextlib.AbstractContextManager[IO[str]]:
    """``path`` (a temporary of :func:`atomic_paths`) opened for UTF-8 text, synced when done."""
    return synced_open(path, "w", encoding="utf-8", newline="")


@contextlib.contextmanager
def atomic_text(path: str | os.PathLike) -> Iterator[IO[str]]:
    """``path`` opened for UTF-8 text, atomically; gzip-compressed when its name ends in ``.gz``.

    Readers take a ``.gz`` name for gzip data (gexclust's and pandas' refuse plain text under
    it); the gzip header holds no time, so equal data give equal files.
    """
    if not os.fspath(path).endswith(".gz"):
        with atomic_open(path, "w", encoding="utf-8", newline="") as fh:
            yield fh
        return
    with (atomic_path(path) as tmp, open(tmp, "wb") as raw,
          gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed,
          io.TextIOWrapper(packed, encoding="utf-8", newline="") as fh):
        yield fh
        fh.flush()
        packed.close()  # writes the gzip trailer before the data are synced
        raw.flush()
        sync(raw.fileno())
