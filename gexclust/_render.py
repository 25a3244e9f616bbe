"""The helper process of ``gexclust run``: parse the CSV, warm up matplotlib, draw the figures.

Most of a short run is spent importing AnnData, pandas and scipy, and laying out figure text,
on a machine that may have only two cores. So the helper is forked first thing, before the main
process imports anything heavy. While the main process imports, the helper parses the CSV with
numpy alone and hands the arrays back (in a temporary file), then imports matplotlib and loads
its fonts. Once the main process has clustered, it sends plain figure specs (numpy arrays and
strings, no AnnData), and the helper forks once more so that both halves of the figures are
drawn in parallel by processes that paid for the imports once. Where fork is unavailable,
everything runs in-process.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

FIGURES = ("dendrogram", "cluster_heatmap", "clustermap")
#: Figures per process, balanced by measured drawing time.
GROUPS = (("clustermap",), ("dendrogram", "cluster_heatmap"))
#: Where each figure's drawing half lives (modules that import only numpy and matplotlib).
DRAWERS = {
    "dendrogram": ("._dendrogram", "draw_dendrogram_figure"),
    "cluster_heatmap": ("._cluster_heatmap", "draw_cluster_heatmap"),
    "clustermap": ("._clustermap", "draw_clustermap"),
}


class Helper:
    """The helper process. Use as a context manager around the whole run."""

    def __init__(self) -> None:
        import multiprocessing

        self.pool, self.futures, self._parsing = None, [], None
        if "fork" in multiprocessing.get_all_start_methods():
            from concurrent.futures import ProcessPoolExecutor

            import numpy  # noqa: F401 - both processes need it: import it once, before the fork

            context = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(max_workers=1, mp_context=context,
                                            initializer=_ignore_interrupts)

    def __enter__(self) -> Helper:
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            for future in self.futures:
                future.cancel()
            self.pool.shutdown(wait=True, cancel_futures=True)
            _discard_values(self._parsing)

    def parse_cumida(self, path):
        """Start parsing a CuMiDa CSV; returns a callable that gives the parsed table."""
        if self.pool is None:
            from .io._cumida_parse import parse_cumida

            return lambda: parse_cumida(path)
        self._parsing = self.pool.submit(_parse_to_file, path)
        return lambda: _take_values(self._parsing.result())

    def warm_up(self) -> None:
        """Let the helper import the drawing stack once it is free."""
        if self.pool is not None:
            self.pool.submit(_warm_up)

    def draw(self, specs: dict, stage: Path) -> None:
        """Start drawing every figure of ``specs`` as PNG and PDF into ``stage``."""
        self._specs, self._stage = specs, stage
        if self.pool is not None:
            self.futures = [self.pool.submit(render_split, specs, stage)]

    def wait(self) -> None:
        """Block until all figures are written; re-raise a helper's error."""
        if self.pool is None:
            render_group(FIGURES, self._specs, self._stage)
            return
        for future in self.futures:
            future.result()

    def settle(self) -> None:
        """Block until the helper has stopped drawing, whatever the outcome (run failed)."""
        if self.futures:
            from concurrent.futures import wait

            wait(self.futures)


def _ignore_interrupts() -> None:
    """In the helper: leave Ctrl-C to the main process, which stops the run and cleans up."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _parse_to_file(path):
    """In the helper: parse, and leave the values in a temporary ``.npy`` file.

    Returned through the executor's pipe, 10+ MB of values would be read in 64 kB pieces by a
    thread of the main process, which is busy importing; the helper would wait on the pipe
    instead of warming up. The file is removed by :func:`_take_values` (or on exit). Where no
    file can be written, the values go through the pipe after all.
    """
    import os
    import tempfile

    import numpy as np

    from .io._cumida_parse import parse_cumida

    table = parse_cumida(path)
    try:
        fd, name = tempfile.mkstemp(prefix="gexclust-values-", suffix=".npy")
    except OSError:
        return table  # no usable temporary folder: the pipe is slower but works
    try:
        with os.fdopen(fd, "wb") as file:
            np.save(file, table.values, allow_pickle=False)
    except OSError:  # e.g. a full temporary folder
        with contextlib.suppress(OSError):
            os.unlink(name)
        return table
    table.values = name
    return table


def _take_values(table):
    """Load the values that :func:`_parse_to_file` left in a file, and remove the file."""
    import os

    import numpy as np

    if isinstance(table.values, str):
        name, table.values = table.values, None
        try:
            table.values = np.load(name, allow_pickle=False)
        finally:
            os.unlink(name)
    return table


def _discard_values(future) -> None:
    """Remove the values file of a parse whose result was never taken (the run failed)."""
    import os

    if future is None or not future.done() or future.cancelled() or future.exception():
        return
    table = future.result()
    if isinstance(table.values, str):
        with contextlib.suppress(OSError):
            os.unlink(table.values)


def figure_specs(adata) -> dict:
    """What each figure of a run shows, read from the clustered ``adata`` in the main process."""
    from .pl._cluster_heatmap import cluster_heatmap_spec
    from .pl._clustermap import clustermap_spec
    from .pl._dendrogram import dendrogram_spec

    return {
        "dendrogram": dendrogram_spec(adata),
        "cluster_heatmap": cluster_heatmap_spec(adata, layer="expression"),
        "clustermap": clustermap_spec(adata),
    }


def _warm_up() -> None:
    """Import the drawing stack and load fonts once, before any real work."""
    import io

    from matplotlib.figure import Figure

    from .pl import _cluster_heatmap, _clustermap, _dendrogram  # noqa: F401
    from .pl._base import _pdf_core_fonts

    fig = Figure(figsize=(1, 1))
    for weight, style in (("normal", "normal"), ("bold", "normal"), ("normal", "italic")):
        fig.text(0.5, 0.5, "warm-up 0.123", fontweight=weight, style=style)  # the figures' fonts
    for fmt in ("png", "pdf"):
        with _pdf_core_fonts(fmt == "pdf"):
            fig.savefig(io.BytesIO(), format=fmt)


def render_split(specs: dict, stage: Path) -> None:
    """Draw ``GROUPS[1]`` in a forked child (sharing the warm imports) and ``GROUPS[0]`` here.

    A failure in the child comes back as one line through a pipe and is raised here, so the
    command line can report it like any other error.
    """
    import os

    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        status = 1
        try:  # nothing may leave this branch but os._exit: the child is a copy of a pool worker
            os.close(read_end)
            render_group(GROUPS[1], specs, stage)
            status = 0
        except BaseException as err:  # reported to the parent, then exit
            with contextlib.suppress(BaseException):
                os.write(write_end, f"{type(err).__name__}: {err}".encode()[:4000])
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        render_group(GROUPS[0], specs, stage)
    finally:
        with os.fdopen(read_end, "rb") as pipe:
            message = pipe.read().decode(errors="replace")
        os.waitpid(child, 0)
    if message:
        msg = f"drawing {', '.join(GROUPS[1])} failed: {message}"
        raise RuntimeError(msg)


def render_group(names, specs: dict, stage: Path) -> None:
    """Draw the named figures from their specs; save each as PNG and PDF in ``stage``."""
    import importlib

    from .pl._base import save_figure

    for name in names:
        module, function = DRAWERS[name]
        draw = getattr(importlib.import_module(module, "gexclust.pl"), function)
        fig = draw(specs[name])
        fig = getattr(fig, "figure", fig)  # the dendrogram's drawer returns its Axes
        save_figure(fig, [stage / f"{name}.png", stage / f"{name}.pdf"])
