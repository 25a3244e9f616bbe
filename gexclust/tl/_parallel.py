"""Running independent resampling chunks serially, on local processes or on a dask cluster.

Every chunk derives its random numbers from ``(seed, replicate index)`` alone (see
:func:`replicate_rng`), and results are either returned in chunk order or folded into exact,
order-free totals (integer counts), so the numbers do not depend on the backend or on the
number of workers.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._logging import logger


def replicate_rng(seed: int, *key: int) -> np.random.Generator:
    """The random generator of one replicate, a pure function of ``seed`` and ``key``.

    ``SeedSequence(seed, spawn_key=key)`` is what ``SeedSequence(seed).spawn`` gives its
    children, so streams of different replicates are independent, and a replicate draws the
    same numbers whichever worker runs it.
    """
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


def check_seed(seed: int, *, name: str = "random_state") -> int:
    """A non-negative integer seed, or a clear error naming the parameter ``name``."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        msg = f"{name} must be a non-negative integer, got {seed!r}"
        raise ValueError(msg)
    return int(seed)


def effective_jobs(n_jobs: int | None) -> int:
    """``None`` or 1: serial; -1: every core; a negative ``n``: all cores but ``-n - 1``."""
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int | np.integer) or n_jobs == 0:
        msg = f"n_jobs must be a positive integer, -1 (all cores) or None, got {n_jobs!r}"
        raise ValueError(msg)
    n_cores = os.cpu_count() or 1
    return int(n_jobs) if n_jobs > 0 else max(1, n_cores + 1 + int(n_jobs))


def progress_bar(total: int, *, desc: str, show: bool):
    """A tqdm bar of ``total`` steps, removed when done; nothing is printed unless ``show``.

    Shown on terminals and, as a widget, in notebooks; not when the output is no terminal.
    """
    if show:
        from tqdm.auto import tqdm  # a widget in notebooks, text on terminals
    else:
        # tqdm.auto warns in a notebook without ipywidgets ('IProgress not found') even for
        # a bar that is never shown: show=False must print nothing
        from tqdm import tqdm
    return tqdm(total=total, desc=desc, disable=None if show else True, leave=False)


def map_chunks(
    func: Callable[..., Any],
    chunks: Sequence[Any],
    *,
    shared: Any,
    n_jobs: int | None = None,
    client: Any = None,
    progress: bool = True,
    desc: str = "resampling",
    add: Callable[[Any, Any], Any] | None = None,
) -> Any:
    """``[func(chunk, shared) for chunk in chunks]``, on the chosen backend, in chunk order.

    ``func`` must be a module-level function (it is pickled to worker processes); ``shared``
    is sent once per worker, not once per chunk.

    With ``add``, each result is added to a running total as soon as it arrives
    (``total = add(total, result)``, starting from ``total = None``) and the total is returned
    instead of the list, so memory holds one total however many chunks there are. Results
    arrive in any order: ``add`` must be exact and order-free (integer counts are).
    """
    bar = progress_bar(len(chunks), desc=desc, show=progress)
    sink = _Results(len(chunks), add)
    try:
        if client is not None:
            _on_dask(func, chunks, shared, client, sink, bar)
        elif (jobs := min(effective_jobs(n_jobs), len(chunks))) > 1:
            _on_processes(func, chunks, shared, jobs, sink, bar)
        else:
            for i, chunk in enumerate(chunks):
                sink.put(i, func(chunk, shared))
                bar.update()
    finally:
        bar.close()
    return sink.value()


class _Results:
    """The results of the chunks by index, or their running total when given ``add``."""

    def __init__(self, n_chunks: int, add: Callable[[Any, Any], Any] | None) -> None:
        self._add = add
        self._total: Any = None
        self._list: list[Any] = [None] * n_chunks

    def put(self, i: int, result: Any) -> None:
        if self._add is None:
            self._list[i] = result
        else:
            self._total = self._add(self._total, result)

    def value(self) -> Any:
        return self._list if self._add is None else self._total


def _indexed(func, i, chunk, shared):
    return i, func(chunk, shared)


def _on_processes(func, chunks, shared, jobs, sink, bar) -> None:
    from joblib import Parallel, delayed

    logger.info("resampling on %d local processes", jobs)
    parallel = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")
    for i, result in parallel(
        delayed(_indexed)(func, i, chunk, shared) for i, chunk in enumerate(chunks)
    ):
        sink.put(i, result)
        bar.update()


def _on_dask(func, chunks, shared, client, sink, bar) -> None:
    try:
        from distributed import as_completed
    except ImportError as error:  # pragma: no cover - only without the optional extra
        msg = "client= needs dask.distributed: pip install 'gexclust[dask]'"
        raise ImportError(msg) from error
    logger.info("resampling on dask cluster %s", getattr(client, "dashboard_link", client))
    [shared_future] = client.scatter([shared], broadcast=True)
    futures = [
        client.submit(_indexed, func, i, chunk, shared_future, pure=False)
        for i, chunk in enumerate(chunks)
    ]
    try:
        for future in as_completed(futures):
            i, result = future.result()
            sink.put(i, result)
            bar.update()
    finally:
        client.cancel([*futures, shared_future])
