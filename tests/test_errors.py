"""Errors named after the folder they concern (gexclust._errors)."""

from __future__ import annotations

import errno
import os
import re

import pytest

from gexclust._errors import NoSpaceError, full_disk_before, full_disk_named


def test_a_full_disk_is_named_after_the_folder(tmp_path):
    err = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "a.csv"))
    named = full_disk_named(tmp_path, "the outputs", "choose another OUTDIR")
    folder = re.escape(str(tmp_path))  # a Windows path holds backslashes
    with pytest.raises(NoSpaceError, match=rf"^{folder}: no space left on device while "), named:
        raise err


def test_a_file_on_another_drive_keeps_the_systems_error(tmp_path, monkeypatch):
    """On Windows os.path.commonpath raises ValueError for paths on different drives, which
    replaced the full-disk error with "Paths don't have the same drive"; such a file is not
    inside the folder, so the system's error stays as it was."""

    def other_drive(paths):
        msg = "Paths don't have the same drive"
        raise ValueError(msg)

    monkeypatch.setattr(os.path, "commonpath", other_drive)
    err = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "D:\\elsewhere\\a.csv")
    named = full_disk_named(tmp_path, "the outputs", "choose another OUTDIR")
    with pytest.raises(OSError, match="No space left on device") as raised, named:
        raise err
    assert raised.value is err
    assert not isinstance(raised.value, NoSpaceError)


def test_a_full_disk_before_the_writing_is_named_where_it_is(tmp_path):
    """Before, the one wrapper of all of 'gexclust run' blamed OUTDIR for any full disk, even
    one met elsewhere before anything was written there."""
    elsewhere = tmp_path / "tmp" / "x.npy"
    def before():
        return full_disk_before(tmp_path / "out", "the outputs", "choose another OUTDIR")

    with pytest.raises(NoSpaceError) as raised, before():
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(elsewhere))
    assert str(raised.value) == (f"{elsewhere}: no space left on device before the outputs "
                                 f"were written; nothing was written to {tmp_path / 'out'}")
    assert raised.value.errno == errno.ENOSPC
    inside = tmp_path / "out" / ".gexclust-stage-x" / "a.csv"  # still OUTDIR's own disk
    folder = re.escape(str(tmp_path / "out"))
    named = rf"^{folder}: no space left on device while writing the outputs; choose "
    with pytest.raises(NoSpaceError, match=named + "another OUTDIR$"), before():
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(inside))
    other = OSError(errno.EACCES, os.strerror(errno.EACCES), str(elsewhere))
    with pytest.raises(OSError, match="Permission denied") as raised, before():  # unchanged
        raise other
    assert raised.value is other
