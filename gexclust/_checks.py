"""Argument checks that import nothing heavy (the CLI runs them before anything is loaded)."""

from __future__ import annotations

from collections.abc import Iterable


def check_choice(name: str, value, options: Iterable) -> None:
    """Raise a ValueError naming the valid options when ``value`` is not one of them."""
    options = tuple(options)
    if value not in options:
        msg = f"{name}={value!r} is not valid; choose one of {', '.join(map(repr, options))}"
        raise ValueError(msg)
