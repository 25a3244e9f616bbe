"""The resampling tools refuse, before any replicate, what cannot fit in memory."""

from __future__ import annotations

import time
import tracemalloc

import anndata as ad
import numpy as np
import pytest

import gexclust as gx
from gexclust.tl._resample_memory import (
    check_bootstrap_memory,
    check_consensus_memory,
    consensus_bytes_per_pair,
)


@pytest.fixture
def cells():
    adata = ad.AnnData(np.random.default_rng(0).normal(size=(300, 20)))
    gx.tl.hclust(adata, method="average", metric="correlation")
    return adata


def test_bootstrap_beyond_memory_is_refused_before_any_replicate(cells, monkeypatch):
    monkeypatch.setenv("GEXCLUST_MAX_MEMORY", "2M")  # 300^2 x 32 + 300 x 20 x 24 B = 2.9 MiB
    bootstrap = gx.tl.bootstrap  # imported (numba: ~1 s) before the clock starts
    start = time.perf_counter()
    with pytest.raises(MemoryError, match=r"bootstrap \(n_jobs=None\) on 300 observations needs"
                       r" n x n matrices and copies of the data, about 2.9 MiB, but the limit "
                       r"here is 2.0 MiB.*about 248"):
        bootstrap(cells, n_boot=10_000, progress=False)
    assert time.perf_counter() - start < 1.0
    assert "support" not in cells.uns["hclust"]


def test_consensus_beyond_memory_is_refused_before_any_resample(cells, monkeypatch):
    monkeypatch.setenv("GEXCLUST_MAX_MEMORY", "20M")  # 300^2 x 280 bytes = 24 MiB
    with pytest.raises(MemoryError, match=r"consensus \(9 values of k\) on 300 samples.*k_range"):
        gx.tl.consensus(cells, progress=False)
    # 300^2 x 320 + 300 x 20 x 56 bytes (3 copies of the data, 2 more per worker)
    with pytest.raises(MemoryError, match=r"consensus \(9 values of k, 2 local workers\) on 300 "
                       r"samples needs n x n matrices and copies of the data, about 27.8 MiB"):
        gx.tl.consensus(cells, progress=False, n_jobs=2)
    assert "consensus" not in cells.uns


def test_the_copies_of_many_genes_count_as_well_as_the_pairs(monkeypatch):
    """300 samples x 20,000 genes: the n x n counts fit in 100 MB, the data copies do not.

    Before, only the pairs were counted (300^2 x 84 bytes = 7.2 MiB for two values of k), and
    the copies of the data (3 x 48 MB, measured) were allocated anyway.
    """
    adata = ad.AnnData(np.random.default_rng(2).normal(size=(300, 20_000)))
    gx.tl.hclust(adata, method="average", metric="correlation")
    monkeypatch.setenv("GEXCLUST_MAX_MEMORY", "100M")
    tracemalloc.start()
    with pytest.raises(MemoryError, match=r"consensus \(2 values of k\) on 300 samples needs n x "
                       r"n matrices and copies of the data, about 144.5 MiB.*about 210 "
                       r"samples"):
        gx.tl.consensus(adata, k_range=range(2, 4), progress=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 10e6  # refused before the 48 MB copy (the NaN check takes 1 byte a value)
    with pytest.raises(MemoryError, match=r"bootstrap \(n_jobs=None\) on 300 observations needs "
                       r"n x n matrices and copies of the data, about 140.1 MiB"):
        gx.tl.bootstrap(adata, n_boot=10, progress=False)
    assert "consensus" not in adata.uns
    assert "support" not in adata.uns["hclust"]


def test_100k_cells_are_refused_fast_without_allocating(caplog):
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(MemoryError, match=r"100,000 samples needs n x n matrices and copies of "
                       r"the data, about 2,607.7"):
        check_consensus_memory(100_000, n_ks=9, n_jobs=None)
    with pytest.raises(MemoryError, match=r"100,000 observations needs n x n matrices and "
                       r"copies of the data, about 298"):
        check_bootstrap_memory(100_000, n_jobs=None, client=None, what="observations",
                               n_replicates=10_000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert time.perf_counter() - start < 1.0
    assert peak < 1e6
    assert consensus_bytes_per_pair(9, 1) == 280  # >= the 250 measured at 1,500 samples
    # before: the refused bootstrap was first warned to 'expect hours'
    assert not caplog.records


def test_consensus_memory_does_not_grow_with_the_number_of_resamples():
    """Chunks are added into the totals as they arrive, not all kept until the end.

    Before, 120 resamples (12 chunks of int32 counts, 10 per pair each) peaked about 13 MB
    above 20 resamples (4 chunks) at 200 samples.
    """
    adata = ad.AnnData(np.random.default_rng(1).normal(size=(200, 10)))
    peaks = []
    for n_resamples in (20, 120):
        tracemalloc.start()
        gx.tl.consensus(adata, n_resamples=n_resamples, progress=False, copy=True)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] + 2e6, peaks


def test_a_bootstrap_of_thousands_of_objects_is_warned_to_take_hours(caplog):
    check_bootstrap_memory(2000, n_jobs=None, client=None, what="observations",
                           n_replicates=10_000)
    assert not caplog.records
    check_bootstrap_memory(2001, n_jobs=None, client=None, what="observations",
                           n_replicates=10_000)
    assert "10000 replicates each recluster 2001 observations" in caplog.text
    assert "expect hours" in caplog.text


def test_run_refuses_a_consensus_that_cannot_fit_before_clustering(tmp_path, monkeypatch,
                                                                   capsys):
    from gexclust.cli import main

    monkeypatch.setenv("GEXCLUST_MAX_MEMORY", "100K")  # the example's 64 samples: 2.6 MB
    with pytest.raises(MemoryError, match=r"consensus \(9 values of k\) on 64 samples"):
        main(["run", "--consensus", "10", "-o", str(tmp_path / "out"), "--debug"])
    assert not (tmp_path / "out").exists()
    shown = capsys.readouterr()
    assert "reading" in shown.out + shown.err
    assert "clustering" not in shown.out + shown.err  # refused before clustering
