"""Exceptions with messages meant for users: the CLI prints them as one line."""

from __future__ import annotations

import contextlib
import errno as _errno
import os
from collections.abc import Iterator


class InputError(ValueError):
    """Bad user input (a file, a column, a value). The message names where and what was expected."""


class MissingValuesError(InputError):
    """Missing values refused under ``missing='error'``; ``n_samples`` is how many the file has.

    ``gexclust run`` reads the count so that a file it cannot cluster anyway (one sample) is
    refused for that, not sent through ``--missing drop`` first.
    """

    def __init__(self, message: str, n_samples: int) -> None:
        super().__init__(message)
        self.n_samples = n_samples


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
        raise _named(err, folder, what, remedy) from err


@contextlib.contextmanager
def full_disk_before(folder: str | os.PathLike, what: str, remedy: str) -> Iterator[None]:
    """A full disk met in a block that writes nothing into ``folder``, as one true line.

    For the work before the writing (reading, clustering): an error naming a file inside
    ``folder`` is ``folder``'s, as in :func:`full_disk_named`; any other (a file elsewhere, or
    no file: a full temporary folder, say) says where, if the system said, and that nothing
    was written to ``folder``. Wrap the writing itself in :func:`full_disk_named`.
    """
    try:
        yield
    except NoSpaceError:
        raise
    except OSError as err:
        if err.errno not in FULL_DISK:
            raise
        if err.filename is not None and _inside(err.filename, folder):
            raise _named(err, folder, what, remedy) from err
        problem = _problem(err)
        if err.filename is not None:
            where = f"{os.fsdecode(err.filename)}: {problem}"
        else:
            import tempfile

            # the system names no file when a write into an open one fails
            where = (f"{problem} (the system named no file; a full temporary folder, "
                     f"{tempfile.gettempdir()}, is a common cause: TMPDIR chooses another)")
        msg = f"{where} before {what} were written; nothing was written to {folder}"
        raise NoSpaceError(msg, err.errno) from err


def _named(err: OSError, folder, what: str, remedy: str) -> NoSpaceError:
    msg = f"{folder}: {_problem(err)} while writing {what}; {remedy}"
    return NoSpaceError(msg, err.errno)


def _problem(err: OSError) -> str:
    """The system's "No space ..." to go mid-sentence."""
    problem = err.strerror or os.strerror(err.errno)
    return problem[:1].lower() + problem[1:]


def _inside(filename, folder) -> bool:
    if filename is None:
        return True
    inner, outer = os.path.abspath(os.fsdecode(filename)), os.path.abspath(folder)
    try:
        return os.path.commonpath([inner, outer]) == outer
    except ValueError:  # on Windows, paths on different drives
        return False
