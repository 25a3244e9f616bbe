"""Argument checks that import nothing heavy (the CLI runs them before anything is loaded)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from numbers import Integral, Real


def check_choice(name: str, value, options: Iterable, *, caller: str = "") -> None:
    """Raise a ValueError naming the valid options when ``value`` is not one of them.

    ``caller`` (``'io.read_geo'``) starts the message, for functions whose errors are not
    named by :func:`gexclust._api.named`.
    """
    options = tuple(options)
    if value not in options:
        msg = f"{name}={value!r} is not valid; choose one of {', '.join(map(repr, options))}"
        raise ValueError(f"{caller}: {msg}" if caller else msg)


def check_whole(name: str, value, *, minimum: int = 0, caller: str, what: str = "") -> None:
    """Refuse anything but a whole number of at least ``minimum`` (``True`` is no count)."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        msg = f"{caller}: {name} must be a whole number of at least {minimum}{what}, got {value!r}"
        raise ValueError(msg)


def check_positive(name: str, value, *, caller: str, what: str = "",
                   at_most: float | None = None) -> None:
    """Refuse anything but a number above 0 (and at most ``at_most``); NaN is refused too."""
    fits = (not isinstance(value, bool) and isinstance(value, Real) and value > 0
            and (at_most is None or value <= at_most))
    if not fits:
        bound = f" and at most {at_most:g}" if at_most is not None else ""
        msg = f"{caller}: {name} must be a number above 0{bound}{what}, got {value!r}"
        raise ValueError(msg)


def whole_numbers(name: str, values: Iterable, *, caller: str, what: str = "") -> list:
    """``values`` as a list, refusing any that is not a whole number (``True`` is none).

    ``int()`` would take 2.5 for 2, ``True`` for 1 and ``'3'`` for 3 without a word. A single
    number (``k_range=5``) is no list (Python's "'int' object is not iterable"), and a text
    (``'2-5'``) would be read character by character: both are refused as a whole.
    """
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        # the number given, as a list, when it is a k at all ([1] would be refused next)
        one = (max(int(values), 2) if isinstance(values, Integral)
               and not isinstance(values, bool) else 5)
        msg = (f"{caller}: {name} must be a list or range of whole numbers{what} (e.g. "
               f"range(2, {one + 1}), or [{one}] for one k), got {values!r}")
        raise ValueError(msg)
    values = list(values)
    for value in values:
        if isinstance(value, bool) or not isinstance(value, Integral):
            msg = f"{caller}: {name} must hold whole numbers{what}, got {value!r}"
            raise ValueError(msg)
    return values


def check_key_added(key_added, *, caller: str) -> None:
    """Refuse a ``key_added`` that is not a text, or is empty or only blanks.

    ``key_added=''`` stored the result under ``.uns['']`` (and ``.obs['']``) without a word,
    where no plot or later tool looks for it; a number or ``None`` was stored the same way.
    """
    if not isinstance(key_added, str):
        msg = (f"{caller}: key_added must be a text (the name the result is stored under), "
               f"got {key_added!r}")
        raise TypeError(msg)
    if not key_added.strip():
        msg = (f"{caller}: key_added={key_added!r} is empty or blank; give the name the result "
               "is stored under (or leave key_added out for the default)")
        raise ValueError(msg)
    if "/" in key_added:  # anndata warns now and will refuse to write it to .h5ad
        msg = (f"{caller}: key_added={key_added!r} holds '/', which .h5ad files cannot store "
               f"(a path separator there); use another name, e.g. "
               f"{key_added.replace('/', '_')!r}")
        raise ValueError(msg)


def check_flag(name: str, value, *, caller: str, none: bool = False) -> None:
    """Refuse anything but ``True`` or ``False`` (numpy's too) for the flag ``name``.

    A text is always true to Python: ``offline='no'`` went online, ``annotate='false'``
    annotated, without a word. ``none=True``: ``None`` (a default decided later) too.
    """
    if value is None and none:
        return
    numpy = sys.modules.get("numpy")  # numpy's bool (a flag read back from .h5ad), if loaded
    if not (isinstance(value, bool) or (numpy is not None and isinstance(value, numpy.bool_))):
        options = "True, False or None" if none else "True or False"
        msg = f"{caller}: {name} must be {options}, got {value!r}"
        raise TypeError(msg)


def check_output_path(path, *, caller: str, name: str = "path", example: str = "out.csv") -> None:
    """Refuse an output path that is empty or no path at all, before anything is written.

    ``''`` is the current folder to :class:`pathlib.Path` ("'.': is a folder"), and ``None`` or
    a number gave Python's "expected str, bytes or os.PathLike object".
    """
    if isinstance(path, bool) or not isinstance(path, str | bytes | os.PathLike):
        msg = (f"{caller}: {name} must be the path of the file to write (e.g. {example!r}), "
               f"got {path!r}")
        raise TypeError(msg)
    if not os.fspath(path).strip():
        msg = (f"{caller}: {name}={os.fspath(path)!r} names no file (it is empty or blank: an "
               f"unset variable?); give the file to write, e.g. {example!r}")
        raise ValueError(msg)
