"""Execute the tutorials top to bottom and store them with their outputs.

    python scripts/run_tutorials.py                 # every tutorials/*.ipynb
    python scripts/run_tutorials.py tutorials/02_gse781_geo.ipynb

Each notebook runs in a fresh temporary folder (files it writes are discarded) with the
``python3`` kernel of this interpreter; an error in any cell stops with the cell's traceback.
Real files are read from ``$GEXCLUST_SHARED_DATA``, by default ``../shared/data`` beside the
repository, as the tests read them (a notebook's own default is relative to its folder, which
the temporary folder is not).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from jupyter_client import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 600


def execute(path: Path) -> nbformat.NotebookNode:
    """Run ``path`` in a temporary folder and return the executed notebook."""
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        # the kernel talks to this process over local IPC sockets, not TCP
        kernel = KernelManager(kernel_name="python3", transport="ipc",
                               ip=str(Path(tmp) / "kernel"))
        NotebookClient(nb, km=kernel, timeout=TIMEOUT,
                       resources={"metadata": {"path": tmp}}).execute()
    return nb


def main(paths: list[str]) -> None:
    os.environ.setdefault("GEXCLUST_SHARED_DATA", str(ROOT.parent / "shared" / "data"))
    notebooks = [Path(p) for p in paths] or sorted((ROOT / "tutorials").glob("*.ipynb"))
    for path in notebooks:
        print(f"running {path.name}", flush=True)
        nb = execute(path)
        nbformat.write(nb, path)


if __name__ == "__main__":
    main(sys.argv[1:])
