"""Up-front memory checks of the resampling tools, whose every replicate is n x n.

:func:`~gexclust.tl.bootstrap` reclusters all objects from their distance matrix in each
replicate, and :func:`~gexclust.tl.consensus` counts co-clustering for every pair at every k.
Both are meant for tens to a few thousand samples (pvclust, ConsensusClusterPlus); on 100,000
cells they would need hundreds of GB. The byte counts below were measured (peak resident
memory, /proc/self/status VmHWM) at 2,000 and 5,000 objects.
"""

from __future__ import annotations

from .._logging import logger
from .._memory import refuse_pairwise
from ._parallel import effective_jobs

#: float64 copies of the data both tools hold at their peak besides the AnnData's own (the
#: data read from the AnnData, the centred copy resamples are drawn from, one replicate's
#: weighted or subsampled copy): 3.0 for bootstrap and 2.7 for consensus measured
#: (tracemalloc) at 200 x 20,000.
DATA_COPIES = 3
#: More float64 copies for each local worker process when there are several (the data it is
#: sent, one replicate's weighted copy): 2 measured (resident memory) at 200 x 20,000.
WORKER_COPIES = 2


def _data_bytes(n_features: int, workers: int) -> int:
    """Bytes per object of the data copies a tool holds, with ``workers`` local workers."""
    copies = DATA_COPIES + (WORKER_COPIES * workers if workers > 1 else 0)
    return copies * 8 * n_features


#: Beyond this many objects a bootstrap is warned to take hours (each replicate is O(n^2)).
BOOTSTRAP_WARN_N = 2000

#: Peak bytes per pair of objects of one bootstrap replicate (weighted Gram matrix, squared
#: distances, condensed distances, linkage), per local worker: 25 measured at 5,000.
BOOTSTRAP_BYTES_PER_PAIR = 32


def check_bootstrap_memory(n: int, *, n_jobs: int | None, client, what: str,
                           n_replicates: int, n_features: int = 0) -> None:
    """Refuse a bootstrap whose replicates cannot fit in memory, before any is run.

    Its float64 copies of the data (``n_features`` per object) count too. One that fits
    but reclusters thousands of objects in every replicate is warned about.
    """
    workers = 1 if client is not None else effective_jobs(n_jobs)  # dask: its workers' memory
    # refused first: a run that cannot start is not also told it would take hours
    refuse_pairwise(
        n, BOOTSTRAP_BYTES_PER_PAIR * workers, task=f"bootstrap (n_jobs={n_jobs})", what=what,
        holds="n x n matrices and copies of the data",
        bytes_per_item=_data_bytes(n_features, workers),
        alternatives="bootstrap a tree of fewer objects (cluster means, a subsample, or the "
        "samples of an array series; pvclust is meant for tens to a few thousand), fewer "
        "n_jobs, or a dask client",
    )
    if n > BOOTSTRAP_WARN_N:
        logger.warning(
            "tl.bootstrap: %d replicates each recluster %d %s from their %d x %d distances; at "
            "this size expect hours (pvclust is meant for tens to a few thousand objects): lower "
            "n_boot, or spread the replicates with n_jobs= or client=",
            n_replicates, n, what, n, n)


def consensus_chunks(n_resamples: int, n_jobs: int | None) -> list[range]:
    """Resamples run together (a few per worker and chunk, at most 10 a chunk)."""
    size = max(1, min(10, -(-n_resamples // (4 * effective_jobs(n_jobs)))))
    return [range(s, min(s + size, n_resamples)) for s in range(0, n_resamples, size)]


def consensus_bytes_per_pair(n_ks: int, n_workers: int) -> int:
    """Peak bytes per pair of samples of consensus with ``n_ks`` values of k.

    Each local worker fills int32 counts per k (and of co-sampling) for its chunk of
    resamples; every chunk is added into int64 totals as it arrives, then come the float
    consensus matrices and their summaries. However many resamples: 250 measured for 9 k at
    1,500 samples, serial (612 for 200 resamples, before chunks were added as they arrived).
    """
    return 4 * (n_ks + 1) * n_workers + 24 * (n_ks + 1)


def check_consensus_memory(n: int, *, n_ks: int, n_jobs: int | None, client=None,
                           n_features: int = 0) -> None:
    """Refuse a consensus clustering whose n x n counts cannot fit in memory.

    Its float64 copies of the data (``n_features`` per sample) count too.
    """
    workers = 1 if client is not None else effective_jobs(n_jobs)  # dask: its workers' memory
    on = f", {workers} local workers" if workers > 1 else ""
    refuse_pairwise(
        n, consensus_bytes_per_pair(n_ks, workers),
        task=f"consensus ({n_ks} values of k{on})", what="samples",
        holds="n x n matrices and copies of the data",
        bytes_per_item=_data_bytes(n_features, workers),
        alternatives="fewer values in k_range, fewer n_jobs, consensus of a subsample or of "
        "cluster means, or tl.hclust + tl.choose_k (which scale to 100,000 cells)",
    )
