"""Reading raw bytes of (possibly gzipped) text files with clear errors."""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ._errors import InputError
from ._limits import ENV, Limits, current, size_text
from ._logging import logger

GZIP_MAGIC = b"\x1f\x8b"


def gzipped_twice(path, inflated: bytes) -> InputError | None:
    """The error for gzip data whose inflated text is gzip data again, else None.

    A download saved as ``.gz`` and compressed once more (``gzip`` run on a ``.gz``, or a
    server's transfer encoding kept) read as 'line 1: NUL byte' (a binary or damaged file),
    which sent users to download a file that was whole.
    """
    if not inflated.startswith(GZIP_MAGIC):
        return None
    msg = (f"{path}: gzip data inside gzip data (compressed twice); decompress it once "
           "(gunzip) and read the result")
    return InputError(msg)


#: Compressed formats gexclust does not read, by their magic bytes: (name, command to undo).
#: bzip2's 'BZh' is followed by its block size, a digit 1-9.
OTHER_COMPRESSION = {tuple(b"BZh%d" % size for size in range(1, 10)): ("bzip2", "bunzip2"),
                     b"\xfd7zXZ\x00": ("xz", "unxz"), b"\x28\xb5\x2f\xfd": ("zstd", "unzstd")}


def refuse_other_compression(path, head: bytes) -> None:
    """Refuse a file whose first bytes ``head`` (six or more) are zip, bzip2, xz or zstd data.

    They were read as text: 'line 1: NUL byte; expected comma-separated text (a binary or
    damaged file?)' for a whole ``.csv.bz2``, or a header of compressed bytes.
    """
    if head.startswith(b"PK\x03\x04"):  # a spreadsheet (.xlsx), most likely, or zipped files
        msg = (f"{path}: a zip archive (a spreadsheet such as .xlsx, or zipped files?); gexclust "
               "reads plain text or gzip (.gz): save it as CSV if it is a spreadsheet, or unzip "
               f"it (unzip {Path(path).name})")
        raise InputError(msg)
    for magic, (name, command) in OTHER_COMPRESSION.items():
        if head.startswith(magic):
            msg = (f"{path}: {name}-compressed data; gexclust reads plain text or gzip (.gz): "
                   f"decompress it first ({command} {Path(path).name})")
            raise InputError(msg)


CHUNK = 1 << 23

#: What a path that is neither a regular file nor a pipe is, for messages.
_KINDS = {stat.S_ISCHR: "a character device", stat.S_ISBLK: "a block device",
          stat.S_ISSOCK: "a socket"}


def open_input(path: str | os.PathLike) -> BinaryIO:
    """Open ``path`` for binary reading.

    Only regular files and pipes (FIFOs, ``<(...)`` process substitution) are read: a missing
    file, a folder, a device such as ``/dev/zero`` or a socket is an InputError.
    """
    path = Path(path)
    with _named_errors(path):
        _check_kind(path, os.stat(path).st_mode)
        fh = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    try:
        _check_kind(path, os.fstat(fh.fileno()).st_mode)  # it may have changed since stat
    except InputError:
        fh.close()
        raise
    return fh


def check_readable(path: str | os.PathLike) -> None:
    """Refuse ``path`` as :func:`open_input` would, without opening it.

    For an option's file, checked before the input is read; a pipe is not opened here, since
    what it sends can be read only once.
    """
    path = Path(path)
    with _named_errors(path):
        _check_kind(path, os.stat(path).st_mode)


@contextlib.contextmanager
def _named_errors(path: Path) -> Iterator[None]:
    """A missing, unreadable or unopenable file, or a folder, as an InputError naming ``path``."""
    try:
        yield
    except FileNotFoundError:
        msg = f"{path}: no such file"
        raise InputError(msg) from None
    except IsADirectoryError:
        msg = f"{path}: is a directory, expected a file"
        raise InputError(msg) from None
    except OSError as err:  # no permission, a loop of symbolic links: the system's "[Errno 13]"
        msg = f"{path}: cannot be read ({err.strerror or err})"
        raise InputError(msg) from None


def _check_kind(path: Path, mode: int) -> None:
    if stat.S_ISREG(mode) or stat.S_ISFIFO(mode):
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError
    kind = next((text for test, text in _KINDS.items() if test(mode)), "not a regular file")
    msg = f"{path}: is {kind}, not a file; expected a regular file or a pipe"
    raise InputError(msg)


class SizeLimited:
    """A plain byte stream that refuses to yield more than ``max_inflated_bytes``.

    The same absolute limit as for inflated gzip data, so a pipe that never ends cannot fill
    memory.
    """

    def __init__(self, raw: BinaryIO, name, limits: Limits | None = None) -> None:
        self.raw, self.name, self.total = raw, name, 0
        self.limit = (limits or current()).max_inflated_bytes

    def read(self, size: int = CHUNK) -> bytes:
        """Up to ``size`` bytes; b'' at the end."""
        data = self.raw.read(size)
        self.total += len(data)
        if self.total > self.limit:
            raise too_large(self.name, self.limit)
        return data


def check_given(path: str | os.PathLike, option: str) -> None:
    """Refuse an empty path, which ``Path`` would take for the current folder.

    An empty value is most often a shell variable that was not set (``-o "$OUT"``): writing
    into, or reading, the current folder instead is never what was meant.
    """
    if os.fspath(path) == "":
        msg = (f"{option} is an empty path (an unset shell variable?); give a path ('.' for "
               "the current folder)")
        raise InputError(msg)


def check_text_name(path: str | os.PathLike, option: str) -> None:
    r"""Refuse a path that is not UTF-8 text, before any work: ``gexclust run`` records it.

    Linux allows any bytes in a name (``\xff`` from a Latin-1 system); Python holds such a
    byte as a lone surrogate, which summary.json, adata.h5ad and the report cannot store as
    text: the run failed at its end with "'utf-8' codec can't encode character '\udcff'".
    """
    name = os.fspath(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        msg = (f"{shown}: the path given as {option} is not UTF-8 text; gexclust records it in "
               "summary.json, adata.h5ad and the report: rename it (or the folder holding it)")
        raise InputError(msg) from None


def broken_link(path: str | os.PathLike) -> str | None:
    """What is wrong with ``path`` if it is a symbolic link that leads to no file, else ``None``.

    ``Path.exists`` is False for both a link to a missing folder and a loop of links: the
    messages tell the two apart (``mkdir`` would say "File exists" of the first).
    """
    if not os.path.islink(path):
        return None
    try:
        os.stat(path)
    except FileNotFoundError:
        return f"is a symbolic link to a missing folder ({os.readlink(path)})"
    except OSError as err:  # ELOOP: a link that leads back to itself
        return f"is a symbolic link that cannot be followed ({err.strerror})"
    return None


def too_large(name, limit: int) -> InputError:
    """The error for input beyond ``max_inflated_bytes``."""
    msg = f"{name}: more than {size_text(limit)} of text; refused (raise {ENV['max_inflated_bytes']} if the file is genuine)"  # noqa: E501
    return InputError(msg)


def line_too_long(name, lineno: int, limit: int) -> InputError:
    """The error for a line beyond ``max_line_bytes``."""
    msg = f"{name}, line {lineno}: line longer than {size_text(limit)}; not a text table (raise {ENV['max_line_bytes']} if the file is genuine)"  # noqa: E501
    return InputError(msg)


class LineBound:
    """Checks, chunk by chunk, that no line of a stream is longer than ``max_line_bytes``."""

    def __init__(self, name, limit: int) -> None:
        self.name, self.limit, self.run, self.lineno = name, limit, 0, 1

    def check(self, chunk: bytes) -> None:
        """Account for the next ``chunk``; raise naming the first line that is too long."""
        first, last = chunk.find(b"\n"), chunk.rfind(b"\n")
        if first < 0:
            self.run += len(chunk)
            if self.run > self.limit:
                raise line_too_long(self.name, self.lineno, self.limit)
            return
        if self.run + first > self.limit:
            raise line_too_long(self.name, self.lineno, self.limit)
        if last - first > self.limit:  # a long line may hide inside the chunk
            import numpy as np

            ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
            long = np.flatnonzero(np.diff(ends) - 1 > self.limit)
            if long.size:
                raise line_too_long(self.name, self.lineno + int(long[0]) + 1, self.limit)
        self.lineno += chunk.count(b"\n")
        self.run = len(chunk) - last - 1
        if self.run > self.limit:
            raise line_too_long(self.name, self.lineno, self.limit)


class _Hashing:
    """A raw stream that hashes what is read through it."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw, self.digest = raw, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open_input(path) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_bytes(path: str | os.PathLike, *, limits: Limits | None = None) -> tuple[bytes, str]:
    """Return the decompressed content of ``path`` and the sha256 of the file as stored.

    Gzip is detected from the magic bytes, not the extension, so a mislabelled file still reads.
    The content is read in chunks within ``limits`` (inflate ratio, total size, line length),
    so a decompression bomb or an endless pipe stops early with a clear error.
    """
    from .io._geo_text import INFLATE_ERRORS, Inflater

    path, limits = Path(path), limits or current()
    with open_input(path) as fh:
        raw = _Hashing(fh)
        head = fh.peek(2)[:2]
        refuse_other_compression(path, fh.peek(6)[:6])
        if head == GZIP_MAGIC:
            stream = Inflater(raw, name=path, limits=limits)
        elif path.suffix == ".gz":
            what = "an empty file" if not head else "not gzip data"
            msg = f"{path}: expected gzip data (name ends in .gz) but found {what}"
            raise InputError(msg)
        else:
            stream = SizeLimited(raw, path, limits)
        lines, chunks = LineBound(path, limits.max_line_bytes), []
        try:
            while chunk := stream.read(CHUNK):
                lines.check(chunk)
                chunks.append(chunk)
        except INFLATE_ERRORS as err:
            msg = f"{path}: corrupt or truncated gzip data ({err}); download the file again"
            raise InputError(msg) from None
    return b"".join(chunks), raw.digest.hexdigest()


#: The five bytes Windows-1252 leaves undefined: read as Latin-1 (a control character each).
CP1252_UNDEFINED = b"\x81\x8d\x8f\x90\x9d"
#: What :func:`decode` returns as the encoding of text that is not all UTF-8.
LEGACY = "utf-8, else windows-1252"
#: Codec error handler (``bytes.decode(..., errors=LEGACY_ERRORS)``, pandas'
#: ``encoding_errors``): bytes that are not UTF-8 are read as Windows-1252.
LEGACY_ERRORS = "gexclust-windows-1252"


def _legacy_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    """Read each byte of ``error``'s invalid UTF-8 as Windows-1252 (Latin-1 where undefined).

    Files saved on Windows are Windows-1252 (curly quotes 0x93/0x94, the ellipsis 0x85,
    dashes 0x96/0x97); older GEO records are Latin-1, which equals it outside 0x80-0x9f.
    Decided byte by byte, a file that is UTF-8 but for a few bytes (a label pasted from a
    Windows program, a GEO family of submissions from different years) keeps its UTF-8 text:
    'é' is 'é' in both, never 'Ã©' in one of them, which would split a class in two.
    """
    bad = error.object[error.start:error.end]
    text = "".join(bytes([b]).decode("latin-1" if b in CP1252_UNDEFINED else "cp1252")
                   for b in bad)
    return text, error.end


codecs.register_error(LEGACY_ERRORS, _legacy_bytes)


def decode(raw: bytes) -> tuple[str, str]:
    """``raw`` as text, and how it was read: ``'utf-8'``, or :data:`LEGACY`.

    :data:`LEGACY` when some bytes are not UTF-8: those are read as Windows-1252
    (:func:`_legacy_bytes`), the rest as UTF-8.
    """
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors=LEGACY_ERRORS), LEGACY


def decode_text(raw: bytes) -> str:
    """``raw`` as text: UTF-8, and Windows-1252 for the bytes that are not UTF-8."""
    return decode(raw)[0]


def log_encoding(where, encoding: str) -> None:
    """Say (at INFO level) that the text of ``where`` is not all UTF-8 and how it was read."""
    if encoding != "utf-8":
        logger.info("%s: not UTF-8; bytes that are not UTF-8 read as Windows-1252", where)
