"""Defaults shared by the library and the command line; imports nothing."""

from __future__ import annotations

#: Default number of variable genes. On the labelled benchmark panel (benchmarks/recipes.py)
#: 500-2,000 genes scored best and 5,000 or all genes clearly worse: beyond the main
#: programmes, more genes add noise.
DEFAULT_N_TOP = 1000
#: How the default recipe ranks genes: the median absolute deviation, which one outlying sample
#: cannot inflate (variance ties with it on the panel at the true k).
DEFAULT_FLAVOR = "mad"
#: Most resamples tl.consensus (gexclust run --consensus) accepts: 100 times
#: ConsensusClusterPlus's usual 1,000. Far more is a typo (its bookkeeping alone would
#: exhaust memory: 10^9 resamples ended in the kernel's OOM killer).
MAX_RESAMPLES = 100_000
