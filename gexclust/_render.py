"""Drawing the run's figures in a worker that warms up while the data are computed.

Text layout dominates matplotlib's time and the figures are independent. One worker is forked
early (after AnnData is importable, before the data are read); it imports matplotlib and loads
fonts while the main process reads and clusters, then receives the finished AnnData and forks
once more, so the two halves of the figures are drawn in parallel by processes that paid for
the imports only once. Where fork is unavailable, figures are drawn in-process.
"""

from __future__ import annotations

from pathlib import Path

FIGURES = ("dendrogram", "cluster_heatmap", "clustermap")
#: Figures per worker, balanced by measured drawing time.
GROUPS = (("clustermap",), ("dendrogram", "cluster_heatmap"))


class FigureRenderer:
    """The figure worker. Use as a context manager around the whole run."""

    def __init__(self) -> None:
        import multiprocessing

        self.pool, self.futures = None, []
        if "fork" in multiprocessing.get_all_start_methods():
            from concurrent.futures import ProcessPoolExecutor

            context = multiprocessing.get_context("fork")
            self.pool = ProcessPoolExecutor(max_workers=1, mp_context=context,
                                            initializer=_warm_up)
            # the first submit forks the worker, which then warms up in the background
            self.pool.submit(int)

    def __enter__(self) -> FigureRenderer:
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            for future in self.futures:
                future.cancel()
            self.pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, adata, stage: Path) -> None:
        """Start drawing every figure of ``adata`` as PNG and PDF into ``stage``."""
        if self.pool is None:
            self.futures = []
            self._adata, self._stage = adata, stage
            return
        self.futures = [self.pool.submit(render_split, adata, stage)]

    def wait(self) -> None:
        """Block until all figures are written; re-raise a worker's error."""
        if self.pool is None:
            render_group(FIGURES, self._adata, self._stage)
            return
        for future in self.futures:
            future.result()


def _warm_up() -> None:
    """Import the drawing stack and load fonts once per worker, before any real work."""
    import io

    from matplotlib.figure import Figure

    from .pl._base import _pdf_core_fonts

    fig = Figure(figsize=(1, 1))
    fig.text(0.5, 0.5, "warm-up 0.123")
    for fmt in ("png", "pdf"):
        with _pdf_core_fonts(fmt == "pdf"):
            fig.savefig(io.BytesIO(), format=fmt)


def render_split(adata, stage: Path) -> None:
    """Draw ``GROUPS[1]`` in a forked child (sharing the warm imports) and ``GROUPS[0]`` here."""
    import os
    import traceback

    child = os.fork()
    if child == 0:
        try:
            render_group(GROUPS[1], adata, stage)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    try:
        render_group(GROUPS[0], adata, stage)
    finally:
        _, status = os.waitpid(child, 0)
    if status != 0:
        msg = f"drawing {', '.join(GROUPS[1])} failed (see the message above)"
        raise RuntimeError(msg)


def render_group(names, adata, stage: Path) -> None:
    """Draw the named figures of ``adata`` and save each as PNG and PDF in ``stage``."""
    from . import pl
    from .pl._base import save_figure

    for name in names:
        kwargs = {"layer": "expression"} if name == "cluster_heatmap" else {}
        fig = getattr(pl, name)(adata, show=False, **kwargs)
        fig = getattr(fig, "figure", fig)  # dendrogram returns its Axes
        save_figure(fig, [stage / f"{name}.png", stage / f"{name}.pdf"])
