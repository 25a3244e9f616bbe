"""Atomic writes: write to a temporary file in the target's folder, then rename over the target.

A crash or a concurrent run therefore never leaves a half-written file under the final name.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def current_umask() -> int:
    """The process umask (reading it requires setting it; restored at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it onto ``target`` if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        # mkstemp creates 0600; give the result the permissions a plain open() would
        os.chmod(tmp_path, 0o666 & ~current_umask())
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


def leftover_temporaries(target: str | os.PathLike) -> list[Path]:
    """Temporary files of :func:`atomic_path` for ``target`` present in its folder.

    Any seen while no write of ``target`` runs (its caller holds a lock) were left by a
    killed process. Matches mkstemp's 8 random characters exactly, so never the temporaries
    of another file whose name extends this one (``NAME.gz`` for ``NAME``).
    """
    target = Path(target)
    own = re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}\.part")
    if not target.parent.is_dir():
        return []
    return [path for path in target.parent.iterdir() if own.fullmatch(path.name)]


@contextlib.contextmanager
def atomic_open(target: str | os.PathLike, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open a temporary file for writing that replaces ``target`` only once fully written."""
    with atomic_path(target) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
