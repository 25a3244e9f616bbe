"""benchmarks/run.py's notes: what --merge keeps of the last results, and what a note says."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def bench():
    spec = importlib.util.spec_from_file_location("gexclust_benchmark_run",
                                                  ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def leaf_note(n: int, seconds: float) -> str:
    return (f"On the {n:,}-leaf tree: tl.cut(n_clusters=10) {seconds:.2f} s, pl.dendrogram "
            f"(truncated to the top 50 clusters, PNG) {seconds * 4:.2f} s.")


def test_a_remeasured_note_replaces_its_own_only_in_its_place():
    """Before: notes were matched by their text up to the first comma, which cut numbers at
    their digit groups: a note on the 100,500-leaf tree removed that on the 100,000-leaf one
    ('On the 100'); and a re-measured note moved to the end of the list."""
    old = {"rows": [], "loads": [0.5, 0.5],
           "notes": ["Start-up rows compare with a bare Python start: old.",
                     leaf_note(100_000, 1.0), leaf_note(100_500, 1.0), "Two-way: as it was."]}
    new = ["Start-up rows compare with a bare Python start: new.", leaf_note(100_500, 2.0),
           "scipy at 100,500: not run, its distance matrix alone is 40 GB."]
    notes = bench().merged(old, [], new, [0.5, 0.5])[1]
    assert notes == ["Start-up rows compare with a bare Python start: new.",
                     leaf_note(100_000, 1.0), leaf_note(100_500, 2.0), "Two-way: as it was.",
                     "scipy at 100,500: not run, its distance matrix alone is 40 GB."]


def test_merging_the_stored_notes_again_changes_nothing():
    stored = json.loads((ROOT / "benchmarks" / "RESULTS.json").read_text())
    for measured in (stored["notes"], stored["notes"][-3:], stored["notes"][:1]):
        assert bench().merged(stored, [], list(measured), [0, 0])[1] == stored["notes"]


def test_a_two_way_note_says_more_than_half_only_of_what_is():
    """Before: 'more than half of seaborn's peak before either has done anything' was said of
    gexclust's resident set at the start whenever gexclust's *peak* was above half of seaborn's,
    so also of 180 MB against a peak of 405."""
    peer = {"peak_mb": 405.0, "start_mb": 176.0}
    level = bench().twoway_note("ward/euclidean", "seaborn.clustermap (+fastcluster)", peer,
                                {"peak_mb": 376.0, "start_mb": 272.0})
    assert level.endswith("gexclust's 272 MB (anndata, numba and its loaded kernels besides), "
                          "more than half of seaborn's peak before either has done anything")
    low = bench().twoway_note("ward/euclidean", "seaborn.clustermap (+fastcluster)", peer,
                              {"peak_mb": 300.0, "start_mb": 180.0})
    assert "Process peaks 405 / 300 MB" in low
    assert "more than half" not in low
