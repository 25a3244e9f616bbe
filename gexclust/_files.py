"""Reading raw bytes of (possibly gzipped) text files with clear errors."""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from pathlib import Path

from ._errors import InputError

GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path: str | os.PathLike) -> tuple[bytes, str]:
    """Return the decompressed content of ``path`` and the sha256 of the file as stored.

    Gzip is detected from the magic bytes, not the extension, so a mislabelled file still reads.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        msg = f"{path}: no such file"
        raise InputError(msg) from None
    except IsADirectoryError:
        msg = f"{path}: is a directory, expected a file"
        raise InputError(msg) from None
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


def decode_text(raw: bytes, path: str | os.PathLike) -> str:
    """Decode UTF-8 (with or without BOM), falling back to Latin-1 which GEO files sometimes use."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
