"""GEO parsing: gexclust.io.read_soft vs GEOparse on a GSE9476-sized family SOFT.

Writes a family SOFT of 64 samples x 22,283 probes (simulated values on the real GSM ids and
GPL96 probes) with the real GPL96 platform table (16 columns, from ../shared/data/GPL96.txt.gz
when present), then, in separate fresh processes run one after the other, measures wall time
and peak memory (ru_maxrss) of

- GEOparse: get_GEO(filepath=...) + pivot_samples('VALUE');
- gexclust: read_soft(path);
- gexclust: read_series_matrix on the same data as a series matrix.

Two figures for each, with the ratios:

- parse only: each process imports its library first, then measures wall time and the peak
  resident memory added on top of the post-import baseline;
- fresh process: what a user who runs a script pays, imports included: wall time of the whole
  process (from this script) and its total peak resident memory (VmHWM).

CPU time is printed beside wall time: on a machine loaded by other work, wall time mostly
measures the load (read_soft's CPU time counts both of its threads).

Runs alternate between the peers, so load from other work on the machine hits both alike.
gexclust is byte-compiled first, as ``pip install`` does (see bench_run.py).
Usage: python benchmarks/bench_geo.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED_GPL96 = Path(__file__).resolve().parents[2] / "shared" / "data" / "GPL96.txt.gz"

# Fresh process: import, parse, report total peak memory; the caller times the process.
FRESH = r"""
import json, sys
kind, path = sys.argv[1], sys.argv[2]
if kind == "geoparse":
    import logging
    logging.disable(logging.CRITICAL)
    import GEOparse
    shape = GEOparse.get_GEO(filepath=path, silent=True).pivot_samples("VALUE").shape[::-1]
else:
    import gexclust as gx
    shape = gx.io.read_soft(path).shape
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps({"peak_mb": int(status["VmHWM"].split()[0]) / 1024, "shape": list(shape)}))
"""

MEASURE = r"""
import json, os, sys, time, logging
kind, path = sys.argv[1], sys.argv[2]
if kind == "geoparse":
    logging.disable(logging.CRITICAL)
    import GEOparse
else:
    import gexclust as gx
    gx.io.read_soft, gx.io.read_series_matrix  # gexclust.io is lazy: import the readers now
page_mb = os.sysconf("SC_PAGE_SIZE") / 2**20
baseline_mb = int(open("/proc/self/statm").read().split()[1]) * page_mb
start, cpu_start = time.perf_counter(), time.process_time()
if kind == "geoparse":
    gse = GEOparse.get_GEO(filepath=path, silent=True)
    shape = gse.pivot_samples("VALUE").shape[::-1]
elif kind == "soft":
    shape = gx.io.read_soft(path).shape
else:
    shape = gx.io.read_series_matrix(path).shape
seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across fork+exec
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
peak_mb = int(status["VmHWM"].split()[0]) / 1024 - baseline_mb
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak_mb, "shape": list(shape)}))
"""


def family_soft_with_real_platform(example) -> str:
    from gexclust.datasets._geo_files import family_soft_text

    text = family_soft_text(example)
    if not SHARED_GPL96.exists():
        print("note: real GPL96 record not found; using the 3-column bundled table")
        return text
    with gzip.open(SHARED_GPL96, "rt") as fh:
        real = fh.read()
    columns = "".join(line + "\n" for line in real.splitlines() if line.startswith("#"))
    table = real[real.index("!platform_table_begin") : real.index("!platform_table_end")]
    begin = text.index("#ID = ")
    end = text.index("!platform_table_end")
    return text[:begin] + columns + table + text[end:]


def run(kind: str, path: Path, *, fresh: bool = False) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", FRESH if fresh else MEASURE, kind, str(path)],
                         check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if fresh:
        result["seconds"] = seconds
        result["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result


def report(title: str, results: dict) -> None:
    med = {k: (statistics.median(r["seconds"] for r in v),
               statistics.median(r["cpu"] for r in v), max(r["peak_mb"] for r in v))
           for k, v in results.items()}
    print(title)
    for kind, (sec, cpu, mb) in med.items():
        print(f"  {kind:9s} {sec:6.2f} s wall  {cpu:6.2f} s CPU  peak {mb:6.0f} MB  "
              f"shape {results[kind][0]['shape']}")
    (g_s, g_cpu, g_mb), (o_s, o_cpu, o_mb) = med["geoparse"], med["soft"]
    print(f"  read_soft vs GEOparse: x{g_s / o_s:.2f} faster by wall time, x{g_cpu / o_cpu:.2f} "
          f"by CPU time (read_soft uses two threads), {o_mb / g_mb:.2f} of its peak memory "
          "(targets: >= 5x, <= 0.5)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import compileall

    import gexclust as gx
    from gexclust.datasets._geo_files import series_matrix_text

    compileall.compile_dir(Path(gx.__file__).parent, quiet=1)

    example = gx.datasets.gse9476_example()
    with tempfile.TemporaryDirectory() as tmp:
        soft = Path(tmp) / "GSE9476_family.soft.gz"
        soft.write_bytes(gzip.compress(family_soft_with_real_platform(example).encode(), 6))
        matrix = Path(tmp) / "GSE9476_series_matrix.txt.gz"
        matrix.write_bytes(gzip.compress(series_matrix_text(example).encode(), 6))
        print(f"family SOFT {soft.stat().st_size / 1e6:.1f} MB gz, series matrix "
              f"{matrix.stat().st_size / 1e6:.1f} MB gz (simulated values)")
        results = {"geoparse": [], "soft": [], "matrix": []}
        fresh = {"geoparse": [], "soft": []}
        for _ in range(args.repeats):
            results["geoparse"].append(run("geoparse", soft))
            results["soft"].append(run("soft", soft))
            results["matrix"].append(run("matrix", matrix))
            fresh["geoparse"].append(run("geoparse", soft, fresh=True))
            fresh["soft"].append(run("soft", soft, fresh=True))
    report("parse only (after imports; peak above the post-import baseline):", results)
    matrix_s = statistics.median(r["seconds"] for r in results["matrix"])
    print(f"  read_series_matrix: {matrix_s:.2f} s (target: well under 1 s)")
    report("fresh process (imports included; total peak memory):", fresh)


if __name__ == "__main__":
    main()
