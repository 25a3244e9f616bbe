"""End-to-end: the original script vs ``gexclust run`` on the same 64 x 22,283 CuMiDa CSV.

Both run as fresh processes (imports included, as a user experiences them), alternating, in
one invocation of this script, and the ratio of medians is printed: for ``gexclust run`` as
it comes (PNG figures and the report; the original writes two PNGs and a PDF report), with
``--no-report``, and with ``--formats png,pdf``. Also
times the CSV load alone (pandas read_csv + apply(to_numeric) vs gexclust.io.read_cumida) in
this process and ``gexclust --help``.

gexclust's modules are byte-compiled first, as ``pip install`` does: where
``PYTHONDONTWRITEBYTECODE`` is set (as on the development machines), an editable checkout would
otherwise recompile the ~30 modules a run imports, every time (~0.08 s); no installed copy does.

Usage: python benchmarks/bench_run.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import compileall

    import gexclust as gx
    from gexclust.io import write_cumida

    compileall.compile_dir(Path(gx.__file__).parent, quiet=1)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv = tmp / "Leukemia_GSE9476.csv"
        write_cumida(gx.datasets.gse9476_example(), csv)
        print(f"input: {csv.name}, {csv.stat().st_size / 1e6:.1f} MB (simulated values)")

        variants = {"": [], " --no-report": ["--no-report"],
                    " --formats png,pdf": ["--formats", "png,pdf"]}
        original, ours = [], {label: [] for label in variants}
        run = [sys.executable, "-m", "gexclust.cli", "run", str(csv), "--quiet", "-o"]
        for i in range(args.repeats):
            out_a = tmp / f"orig{i}"
            out_a.mkdir()
            original.append(timed([sys.executable, str(HERE / "original_script.py"), str(csv), str(out_a)]))  # noqa: E501
            for j, (label, extra) in enumerate(variants.items()):
                ours[label].append(timed([*run, str(tmp / f"gx{i}-{j}"), *extra]))
        t_orig = statistics.median(original)
        for label, times in ours.items():
            t_gx = statistics.median(times)
            print(f"end to end   original script {t_orig:6.2f} s   gexclust run{label} "
                  f"{t_gx:6.2f} s   speed-up x{t_orig / t_gx:.2f}")

        import pandas as pd

        load_pd, load_gx = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            df = pd.read_csv(csv)
            df.drop(columns=["samples", "type"]).apply(pd.to_numeric)
            load_pd.append(time.perf_counter() - start)
            start = time.perf_counter()
            gx.io.read_cumida(csv)
            load_gx.append(time.perf_counter() - start)
        t_pd, t_load = statistics.median(load_pd), statistics.median(load_gx)
        print(f"CSV load     pandas+to_numeric {t_pd:6.2f} s   read_cumida {t_load:6.2f} s   "
              f"speed-up x{t_pd / t_load:.2f}")

    helps = [timed([sys.executable, "-m", "gexclust.cli", "--help"]) for _ in range(args.repeats)]
    print(f"gexclust --help {statistics.median(helps):.2f} s (target < 0.5 s)")


if __name__ == "__main__":
    main()
