"""Defaults shared by the library and the command line; imports nothing."""

from __future__ import annotations

#: Default number of variable genes: enough to carry the main cell-type programs of an array,
#: few enough that thousands of unexpressed, noisy probes do not dominate the distances.
DEFAULT_N_TOP = 2000
