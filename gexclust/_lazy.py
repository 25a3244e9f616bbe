"""Subpackages that import their members on first use.

``import gexclust.io`` or ``gexclust.pl`` then costs nothing until a member is used, so the
command line and scripts pay only for the modules they need.
"""

from __future__ import annotations

import importlib


def lazy_members(package: str, members: dict[str, str]):
    """``__getattr__`` and ``__dir__`` for ``package`` exporting ``{name: '.module'}``."""

    def __getattr__(name: str):
        if name in members:
            value = getattr(importlib.import_module(members[name], package), name)
            globals_of_package = importlib.import_module(package).__dict__
            globals_of_package[name] = value  # later look-ups skip __getattr__
            return value
        msg = f"module {package!r} has no attribute {name!r}"
        raise AttributeError(msg)

    def __dir__() -> list[str]:
        # the members and private names, each once: a member used is also in the module's
        # namespace, and its imports (TYPE_CHECKING, lazy_members) are not its API
        namespace = importlib.import_module(package).__dict__
        return sorted({name for name in namespace if name.startswith("_")} | set(members))

    return __getattr__, __dir__
