"""Exceptions with messages meant for users: the CLI prints them as one line."""

from __future__ import annotations

import contextlib
import errno as _errno
import os
from collections.abc import Iterator


class InputError(ValueError):
    """Bad user input (a file, a column, a value). The message names where and what was expected."""


class NoSpaceError(OSError):
    """A full disk or quota, named by the folder being written; ``errno`` is the system's.

    The system's own error names no file when a write into an open file fails: "[Errno 28] No
    space left on device" alone.
    """

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.errno = code


#: The errors of a full device or an exhausted quota.
FULL_DISK = frozenset(code for code in (_errno.ENOSPC, getattr(_errno, "EDQUOT", None)) if code)


@contextlib.contextmanager
def full_disk_named(folder: str | os.PathLike, what: str, remedy: str) -> Iterator[None]:
    """A full disk met in the block, as one line naming ``folder``, ``what`` and ``remedy``.

    Only an error that names no file, or a file inside ``folder``, is taken for ``folder``'s
    device; one a nested block named already passes unchanged.
    """
    try:
        yield
    except NoSpaceError:
        raise
    except OSError as err:
        if err.errno not in FULL_DISK or not _inside(err.filename, folder):
            raise
        problem = err.strerror or os.strerror(err.errno)
        problem = problem[:1].lower() + problem[1:]  # the system's "No space ..." mid-sentence
        msg = f"{folder}: {problem} while writing {what}; {remedy}"
        raise NoSpaceError(msg, err.errno) from err


def _inside(filename, folder) -> bool:
    if filename is None:
        return True
    inner, outer = os.path.abspath(os.fsdecode(filename)), os.path.abspath(folder)
    try:
        return os.path.commonpath([inner, outer]) == outer
    except ValueError:  # on Windows, paths on different drives
        return False
