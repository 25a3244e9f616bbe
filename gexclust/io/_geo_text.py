"""Streaming access to (gzipped) GEO text files, with errors that name the file and line."""

from __future__ import annotations

import codecs
import contextlib
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from .._errors import InputError
from .._files import (
    GZIP_MAGIC,
    SizeLimited,
    decode,
    gzipped_twice,
    line_too_long,
    open_input,
    refuse_other_compression,
    too_large,
)
from .._limits import ENV, RATIO_GRACE, Limits, current, size_text
from .._logging import warn_first
from ._cumida_parse import _short
from ._invisible import clean_label

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: Cell values GEO uses for "no value".
GEO_NA = ["", "null", "NULL", "NA", "N/A", "NaN", "nan", "--"]



def geo_numbers(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """``column`` (text) as float64, and a mask of the cells that are not numbers.

    Cells are stripped first, so a blank cell or a missing-value token with spaces around it
    (``' '``, ``' null '``) is missing, as the same cell without the spaces is.
    """
    import numpy as np
    import pandas as pd

    text = column.astype(object).where(column.notna(), "").astype(str).str.strip()
    numbers = pd.to_numeric(text.where(~text.isin(GEO_NA), None), errors="coerce")
    bad = (numbers.isna() & ~text.isin(GEO_NA)).to_numpy()
    return numbers.astype(np.float64), bad


CHUNK = 1 << 23
#: Compressed bytes read at a time.
RAW_CHUNK = 1 << 18

try:  # ISA-L inflates about twice as fast as zlib; same API, same checks (CRC, length)
    from isal import isal_zlib as _inflate_lib
except ImportError:  # pragma: no cover - platforms without isal wheels
    _inflate_lib = zlib

INFLATE_ERRORS = (zlib.error, _inflate_lib.error, EOFError)


class Inflater:
    """Decompress a gzip byte stream chunk by chunk; ``read()`` returns b'' at the end.

    The end-of-stream marker and the CRC are checked, so a truncated or corrupted file raises
    instead of silently yielding less data. Concatenated gzip members are read in turn.
    Output comes in bounded pieces and is counted against ``limits`` (inflate ratio, total
    size), so a decompression bomb is refused early, with memory bounded, naming ``name``.
    """

    def __init__(self, raw: BinaryIO, *, name="gzip data", limits: Limits | None = None) -> None:
        self.raw, self.inflate = raw, _inflate_lib.decompressobj(31)
        self.name, self.limits = name, limits or current()
        self.compressed = self.inflated = 0

    def read(self, size: int = CHUNK) -> bytes:
        """Up to ``size`` bytes of decompressed data."""
        while True:
            if self.inflate.eof:
                data = self._next_member()
                if data is None:
                    return b""
                self.inflate = _inflate_lib.decompressobj(31)
            else:
                data = self.inflate.unconsumed_tail or self._read_raw()
            out = self.inflate.decompress(data, size)
            if not data and not out and not self.inflate.eof:
                msg = "compressed data ended before the end-of-stream marker"
                raise EOFError(msg)
            if out:
                self._count(len(out))
                return out

    def _next_member(self) -> bytes | None:
        """The compressed bytes that start the next gzip member, or None at the end of the data.

        As gzip and Python's gzip module do, zero bytes after a member are padding. Anything
        else must be another member: other bytes (a download with trailing garbage, files
        joined wrongly) are refused as such, with their offset, not called truncated.
        """
        rest = self.inflate.unused_data
        offset = self.compressed - len(rest)  # where the member just read ends
        while True:
            data = rest.lstrip(b"\x00")
            offset += len(rest) - len(data)
            if len(data) >= len(GZIP_MAGIC):
                break
            more = self._read_raw()
            if not more:
                break
            rest = data + more
        if not data:
            return None
        if not data.startswith(GZIP_MAGIC):
            msg = f"{self.name}: trailing data after the end of the gzip stream, at byte offset {offset:,} (starting {data[:16]!r}); not another gzip member (a download with junk at its end, or files joined wrongly?): download the file again"  # noqa: E501
            raise InputError(msg)
        return data

    def _read_raw(self) -> bytes:
        # small compressed reads: real GEO text (3-15x) then inflates within one output piece
        data = self.raw.read(RAW_CHUNK)
        self.compressed += len(data)
        return data

    def _count(self, n: int) -> None:
        self.inflated += n
        limits = self.limits
        if self.inflated > limits.max_inflated_bytes:
            raise too_large(self.name, limits.max_inflated_bytes)
        if self.inflated > max(RATIO_GRACE, limits.max_inflate_ratio * self.compressed):
            msg = f"{self.name}: gzip data inflates more than {limits.max_inflate_ratio:g}x ({size_text(self.compressed)} to over {size_text(self.inflated)}); refused as a likely decompression bomb (GEO text compresses 3-15x; raise {ENV['max_inflate_ratio']} if the file is genuine)"  # noqa: E501
            raise InputError(msg)


@contextlib.contextmanager
def open_binary(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open ``path`` for streaming reads, decompressing gzip (detected by content).

    Empty files and non-gzip data named ``.gz`` fail at once with a clear :class:`InputError`;
    corrupt or truncated gzip streams fail where they break, naming the file.
    """
    path, limits = Path(path), current()
    with open_input(path) as raw:
        head = raw.peek(2)[:2]  # peek, not seek: pipes cannot seek
        if not head:
            msg = f"{path}: file is empty (a failed or interrupted download?)"
            raise InputError(msg)
        refuse_other_compression(path, raw.peek(6)[:6])
        if head == GZIP_MAGIC:
            stream = Inflater(raw, name=path, limits=limits)
        elif path.suffix == ".gz":
            msg = f"{path}: expected gzip data (name ends in .gz) but found plain bytes"
            raise InputError(msg)
        else:
            stream = SizeLimited(raw, path, limits)
        try:
            yield stream
        except INFLATE_ERRORS as err:
            msg = f"{path}: corrupt or truncated gzip data ({err}); download the file again"
            raise InputError(msg) from None


def geo_kind(path: str | os.PathLike) -> str | None:
    """``'soft'`` or ``'series_matrix'`` when ``path`` holds GEO text, by its first line.

    GEO names single records ``GSM11805.txt`` or ``GPL96.txt``: the name alone does not tell.
    None for other content, for files that cannot be opened (their reader says why) and for
    pipes (``<(zcat ...)``), which reading ahead would consume.
    """
    if not Path(path).is_file():
        return None
    try:
        with open_binary(path) as stream:
            head = stream.read(1 << 16)
    except (OSError, InputError, *INFLATE_ERRORS):
        return None
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # the reader says what is wrong with UTF-16 text; here only the kind is told
        head = head[: len(head) // 2 * 2].decode("utf-16", errors="replace").encode()
    first = next((line.strip() for line in head.removeprefix(codecs.BOM_UTF8).splitlines()
                  if line.strip()), b"")
    if first.startswith(b"^"):
        return "soft"
    if first.startswith((b"!Series_", b"!Sample_")):
        return "series_matrix"
    return None


class LineScanner:
    """Lines of a byte stream, plus bulk reads of table bodies without a per-line Python loop."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.buf, self.pos, self.eof, self.lineno = stream, b"", 0, False, 0
        self.max_line = current().max_line_bytes
        self.unterminated = False  # whether the last line read had no line end (the file's last)
        self.stop_line: bytes | None = None  # the line that ended the last read_block

    def _fill(self) -> bool:
        if self.eof:
            return False
        if len(self.buf) - self.pos > self.max_line and self.buf.find(b"\n", self.pos) < 0:
            # no newline in sight: refuse rather than buffer an endless line
            self._check_text(self.buf[self.pos :])
            raise line_too_long(self.name, self.lineno + 1, self.max_line)
        chunk = self.stream.read(CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    @property
    def name(self) -> str:
        return getattr(self.stream, "name", "input")

    def readline(self) -> bytes | None:
        """The next line without its newline, or None at the end."""
        while True:
            end = self.buf.find(b"\n", self.pos)
            if end < 0 and self._fill():
                continue
            if end < 0 and self.pos >= len(self.buf):
                return None
            self.unterminated = end < 0
            end = end if end >= 0 else len(self.buf)
            line = self.buf[self.pos : end]
            self.pos = end + 1
            self.lineno += 1
            if self.lineno == 1:
                self._check_text(line)
            if b"\x00" in line:
                self._refuse_nul(line, self.lineno - 1)
            return line.rstrip(b"\r")

    def _refuse_nul(self, text: bytes, lineno: int) -> None:
        """Refuse a NUL byte in ``text``, whose first line is line ``lineno + 1``.

        pandas' parser ends a cell at a NUL: '0.3', NUL, '010618' read as 0.3, not an error.
        """
        at = lineno + text.count(b"\n", 0, text.find(b"\x00")) + 1
        msg = f"{self.name}, line {at}: NUL byte; expected GEO text (a binary or damaged file?)"
        raise InputError(msg)

    def _check_text(self, first: bytes) -> None:
        """Refuse text that is not in lines of 8-bit characters, saying what it is instead."""
        if (twice := gzipped_twice(self.name, first)) is not None:
            raise twice
        if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            msg = f"{self.name}: the text is UTF-16 (as spreadsheet programs save 'Unicode text'), not UTF-8 as GEO writes it; save it as UTF-8 text or download it again"  # noqa: E501
            raise InputError(msg)
        if b"\r" in first.rstrip():  # not rstrip(b"\r"): CRLF lines with trailing tabs end "\r\t"
            msg = f"{self.name}: lines end in carriage returns only (classic Mac OS text); save it with newline (LF or CRLF) line ends or download it again"  # noqa: E501
            raise InputError(msg)

    def read_block(self, stop: bytes = b"!") -> bytes | None:
        """All lines up to (not including) the next line that starts with ``stop``.

        That line is consumed too, and kept as ``stop_line`` (its number is ``lineno``).
        Returns None if the stream ends first.
        """
        parts = []
        while True:
            found = line_start(self.buf, stop, self.pos)
            if found >= 0:
                self._take(parts, found)
                self.stop_line = self.readline()
                return b"".join(parts)
            last_newline = self.buf.rfind(b"\n", self.pos)
            if last_newline >= self.pos:
                self._take(parts, last_newline + 1)
            if not self._fill():
                return None

    def _take(self, parts: list[bytes], end: int) -> None:
        body = self.buf[self.pos : end]
        if b"\x00" in body:
            self._refuse_nul(body, self.lineno)
        parts.append(body)
        self.lineno += body.count(b"\n")
        self.pos = end


def line_start(buf: bytes, stop: bytes, pos: int) -> int:
    """Index of the first line at or after ``pos`` (a line start) that begins with ``stop``.

    Spaces, tabs and byte-order marks before ``stop`` are allowed (an indented
    ``  !sample_table_end``, a line of files joined with ``cat``), as the line-by-line
    parsers strip them (:func:`text_start`); the index is then that of the line's first byte.
    ``stop`` is one byte: searching for it runs at memory speed, while a search for the two
    bytes newline + ``stop`` runs several times slower. Returns -1 if there is none.
    """
    found = buf.find(stop, pos)
    while found > pos and buf[found - 1] != NEWLINE:
        begin = buf.rfind(b"\n", pos, found) + 1 or pos
        if not buf[begin:found].replace(codecs.BOM_UTF8, b"").strip(b" \t"):
            return begin
        found = buf.find(stop, found + 1)
    return found


NEWLINE = ord("\n")


def header_text(raw: bytes, encodings: set[str]) -> str:
    """A header line (not a table row) as text, without blanks or invisible characters at its ends.

    Its encoding (``'utf-8'``, or Windows-1252 for bytes that are not UTF-8) is added to
    ``encodings``, for the reader to log once. A byte-order mark starting it (the file's, or
    one of files joined with ``cat``) goes with the ends' invisible characters.
    """
    line, encoding = decode(raw)
    encodings.add(encoding)
    return clean_label(line)


def text_start(line: bytes) -> bytes:
    """``line`` from its first character: without blanks or a byte-order mark before it.

    What a line starts with (``^``, ``!``, ``#``) is read past them, as
    :func:`~gexclust.io._invisible.clean_label` reads a decoded line.
    """
    return line.lstrip().removeprefix(codecs.BOM_UTF8).lstrip()


def warn_left_out(path, lines: list[tuple[int, str]], why: str) -> None:
    """One warning for the lines (line number, text) a reader left out: the first, and how many.

    For lines that hold no data but that a user should know were not read (``why`` says
    what they are): one warning per file, not one per line.
    """
    warn_first(lines, lambda line: f"{path}, line {line[0]}: {_short(line[1], 60)!r} left out: {why}",  # noqa: E501
               "such line(s) left out")
