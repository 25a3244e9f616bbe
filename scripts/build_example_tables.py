"""Derive the small tables behind ``gexclust.datasets.gse9476_example`` from real GEO records.

Reads ``../shared/data/GSE9476_meta_info.txt`` (sample table) and ``GPL96.txt.gz`` (platform SOFT)
and writes two compact tables into ``gexclust/datasets/_data``: the 64 GSM ids with their titles and
CuMiDa class, and the GPL96 probe ids with gene symbol and Entrez id. No expression values are
stored; those are simulated at load time.

Usage: python scripts/build_example_tables.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "gexclust" / "datasets" / "_data"

sys.path.insert(0, str(ROOT))
from gexclust.io._geo_types import cumida_type  # noqa: E402


def main(shared: Path) -> None:
    meta = pd.read_csv(shared / "GSE9476_meta_info.txt", sep="\t", dtype=str)
    samples = pd.DataFrame(
        {
            "geo_accession": meta["SampleID"],
            "title": meta["Desc"],
            "type": [cumida_type("GSE9476", t) for t in meta["Desc"]],
        }
    )
    samples.to_csv(OUT / "gse9476_samples.tsv", sep="\t", index=False, lineterminator="\n")

    with gzip.open(shared / "GPL96.txt.gz", "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    start = lines.index("!platform_table_begin") + 1
    stop = lines.index("!platform_table_end")
    header = lines[start].split("\t")
    cols = [header.index(c) for c in ("ID", "Gene Symbol", "ENTREZ_GENE_ID")]
    rows = ["probe_id\tgene_symbol\tentrez_id"]
    for line in lines[start + 1 : stop]:
        fields = line.split("\t")
        rows.append("\t".join(fields[i] if i < len(fields) else "" for i in cols))
    payload = ("\n".join(rows) + "\n").encode()
    # mtime=0 keeps the file byte-identical between rebuilds
    (OUT / "gpl96_probes.tsv.gz").write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data")
