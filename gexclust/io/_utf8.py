r"""Text a UTF-8 file cannot hold, refused before anything is written.

Python holds bytes it could not decode (in file names, or text read with
``errors='surrogateescape'``) as lone surrogates (``'\udcff'``). Written, they raised a bare
UnicodeEncodeError naming no file and no sample, and the writers now name both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn


def encodable(text: str) -> bool:
    """Whether UTF-8 can hold ``text`` (it holds no lone surrogate)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def refuse_unencodable(path, texts: Iterable, *, what: str, source: str) -> None:
    """Refuse the first of ``texts`` UTF-8 cannot hold: ``what`` it is, from ``source``."""
    texts = [str(text) for text in texts]
    if encodable("".join(texts)):  # the common case, in one call
        return
    first = next(text for text in texts if not encodable(text))
    refuse_text(path, f"{what} {first!r} (from {source})", source)


def refuse_text(path, where: str, source: str) -> NoReturn:
    """Say that ``where`` in the file ``path`` is no UTF-8 text and ``source`` must be fixed."""
    msg = (f"{path}: {where} is not UTF-8 text (it holds a lone surrogate, Python's stand-in "
           f"for a byte it could not decode); nothing was written: fix {source} and write again")
    raise ValueError(msg)
