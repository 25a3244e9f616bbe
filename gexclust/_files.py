"""Reading raw bytes of (possibly gzipped) text files with clear errors."""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from pathlib import Path
from typing import BinaryIO

from ._errors import InputError

GZIP_MAGIC = b"\x1f\x8b"


def open_input(path: str | os.PathLike) -> BinaryIO:
    """Open ``path`` for binary reading; a missing file or a folder is an InputError."""
    path = Path(path)
    try:
        return open(path, "rb")
    except FileNotFoundError:
        msg = f"{path}: no such file"
        raise InputError(msg) from None
    except IsADirectoryError:
        msg = f"{path}: is a directory, expected a file"
        raise InputError(msg) from None


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open_input(path) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_bytes(path: str | os.PathLike) -> tuple[bytes, str]:
    """Return the decompressed content of ``path`` and the sha256 of the file as stored.

    Gzip is detected from the magic bytes, not the extension, so a mislabelled file still reads.
    """
    path = Path(path)
    with open_input(path) as fh:
        raw = fh.read()
    digest = hashlib.sha256(raw).hexdigest()
    if raw[:2] == GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as err:
            msg = f"{path}: corrupt or truncated gzip file ({err}); download it again"
            raise InputError(msg) from None
    elif path.suffix == ".gz":
        what = "an empty file" if not raw else "not gzip data"
        msg = f"{path}: expected gzip data (name ends in .gz) but found {what}"
        raise InputError(msg)
    return raw, digest


def decode_text(raw: bytes) -> str:
    """Decode UTF-8 (with or without BOM), falling back to Latin-1 which GEO files sometimes use."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
