"""A context variable set for the length of a ``with`` block."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")


@contextlib.contextmanager
def set_within(variable: contextvars.ContextVar[T], value: T) -> Iterator[T]:
    """``variable`` holds ``value`` inside the block, and what it held before after it.

    A context variable, not a global: a thread or task started elsewhere keeps its own value.
    """
    token = variable.set(value)
    try:
        yield value
    finally:
        variable.reset(token)
