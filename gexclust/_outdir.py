"""Publishing a folder of results atomically: build it aside, then swap it into place."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ._atomic import current_umask


def check_outdir(outdir: Path, *, force: bool) -> None:
    """Refuse an existing non-empty ``outdir`` unless ``force``; refuse a file in its place."""
    if outdir.exists() and not outdir.is_dir():
        msg = f"{outdir}: exists and is not a folder"
        raise FileExistsError(msg)
    if outdir.is_dir() and any(outdir.iterdir()) and not force:
        msg = f"{outdir}: folder is not empty; pass --force to replace it"
        raise FileExistsError(msg)


@contextlib.contextmanager
def staged_outdir(outdir: str | os.PathLike, *, force: bool) -> Iterator[Path]:
    """Yield a hidden staging folder beside ``outdir``; on success it replaces ``outdir``.

    If the block fails, the staging folder is removed and ``outdir`` is untouched, so a crashed
    run never leaves a partial result under the final name.
    """
    outdir = Path(outdir)
    check_outdir(outdir, force=force)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", suffix=".part", dir=outdir.parent))
    os.chmod(stage, 0o777 & ~current_umask())  # mkdtemp creates 0700
    try:
        yield stage
        check_outdir(outdir, force=force)  # another run may have filled it meanwhile
        old = None
        if outdir.exists():
            old = outdir.with_name(f".{outdir.name}.{os.getpid()}.old")
            os.replace(outdir, old)
        os.replace(stage, outdir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
