"""Exceptions with messages meant for users: the CLI prints them as one line."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input (a file, a column, a value). The message names where and what was expected."""
