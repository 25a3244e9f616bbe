"""Errors named after the folder they concern (gexclust._errors)."""

from __future__ import annotations

import errno
import os

import pytest

from gexclust._errors import NoSpaceError, full_disk_named


def test_a_full_disk_is_named_after_the_folder(tmp_path):
    err = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "a.csv"))
    named = full_disk_named(tmp_path, "the outputs", "choose another OUTDIR")
    with pytest.raises(NoSpaceError, match=rf"^{tmp_path}: no space left on device while "), named:
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
