"""Errors of a public function start with its name as a user calls it (``tl.cut: ...``).

Imports nothing heavy: every public module applies :func:`named` when it is imported.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable
from typing import TypeVar

from ._checks import check_flag
from ._errors import InputError

F = TypeVar("F", bound=Callable)

#: A message that already names a public function (``tl.hclust: ...`` raised for tl.consensus
#: by the tree it builds): kept as it is, it says which step refused.
_QUALIFIED = re.compile(r"(pp|tl|pl|io|datasets)\.\w+: ")


def named(qualified: str) -> Callable[[F], F]:
    """Decorate the public function ``qualified`` (``'tl.cut'``) so its errors start with it.

    A ``ValueError``, ``KeyError`` or ``TypeError`` whose message starts with no public name
    gets ``'tl.cut: '`` in front (one that starts with the bare ``'cut: '`` gets it qualified),
    so that every message says which call refused, as ``pl.markers: ...`` did and ``cut: ...``
    or ``scales must be positive numbers`` did not. An :class:`~gexclust._errors.InputError`
    names the file or sheet it is about first, and is left so. The exception is re-raised
    itself (its type and traceback kept), only its message changed. Python's own refusal of
    the call reads ``'tl.compare() takes 1 positional argument ...'``, not
    ``'tl.compare: compare() takes ...'``.
    """
    bare = qualified.split(".", 1)[1] + ": "

    def decorate(func: F) -> F:
        flags = _flags(func)

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                for key in flags.keys() & kwargs.keys():
                    check_flag(key, kwargs[key], caller=qualified, none=flags[key])
                return func(*args, **kwargs)
            except (ValueError, KeyError, TypeError) as err:
                _name(err, qualified, bare, called=f"{func.__name__}() ")
                raise

        return wrapper  # type: ignore[return-value]

    return decorate


def _flags(func: Callable) -> dict[str, bool]:
    """The keywords of ``func`` annotated ``bool`` (False) or ``bool | None`` (True).

    Checked on every call (:func:`~gexclust._checks.check_flag`): a text is always true to
    Python, so ``copy='no'`` returned a copy and ``inplace='False'`` wrote in place, without
    a word. Read from the annotations' text (``from __future__ import annotations``).
    """
    kinds = {"bool": False, "bool | None": True, "None | bool": True}
    return {name: kinds[str(annotation)] for name, annotation in func.__annotations__.items()
            if name != "return" and str(annotation) in kinds}


def _name(err: Exception, qualified: str, bare: str, *, called: str) -> None:
    """Start ``err``'s message with ``qualified`` unless it names a public function already.

    Only where the message is ``args[0]``: a ``UnicodeError``'s first argument is the codec,
    which its message reads from fields of its own, so the name would change the codec only;
    a ``KeyError`` of one word is the key a lookup missed (``KeyError('method')``), which
    ``'pl.dendrogram: method'`` would rename.
    """
    if isinstance(err, InputError) or not err.args or not isinstance(err.args[0], str):
        return
    text = err.args[0]
    if _QUALIFIED.match(text) or isinstance(err, UnicodeError):
        return
    if isinstance(err, KeyError) and len(text.split()) == 1:
        return
    if isinstance(err, TypeError) and text.startswith(called):  # Python refused the call
        renamed = f"{qualified}() {text.removeprefix(called)}"
    else:
        renamed = f"{qualified}: {text.removeprefix(bare)}"
    err.args = (renamed, *err.args[1:])


def renamed(old: str, new: str, *, qualified: str) -> Callable[[F], F]:
    """Let the public function ``qualified`` still take keyword ``old``, now called ``new``.

    ``old=`` works as ``new=`` with a ``FutureWarning`` pointing at the caller's line, so code
    written for the old name keeps its results while it is updated; both at once is refused.
    Put it above :func:`named`, so that the warning's ``stacklevel`` reaches the caller.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if old in kwargs:
                if new in kwargs:
                    msg = f"{qualified}() got both {old}= and {new}=; pass {new}= only"
                    raise TypeError(msg)
                warnings.warn(f"{qualified}: {old}= is now called {new}=, as in scanpy; "
                              f"{old}= will be removed in a later version",
                              FutureWarning, stacklevel=2)
                kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
