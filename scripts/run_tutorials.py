"""Execute the tutorials top to bottom and store them with their outputs.

    python scripts/run_tutorials.py                 # every tutorials/*.ipynb
    python scripts/run_tutorials.py tutorials/02_gse781_geo.ipynb

Each notebook runs in a fresh temporary folder (files it writes are discarded) with the
``python3`` kernel of this interpreter; an error in any cell stops with the cell's traceback.
Real files are read from ``$GEXCLUST_SHARED_DATA``, by default ``../shared/data`` beside the
repository, as the tests read them (a notebook's own default is relative to its folder, which
the temporary folder is not).

No notebook reaches GEO, as in the tests (tests/test_tutorials.py): each kernel is started with
GEO's addresses on a closed local port, an empty GEO cache in the temporary folder and a
download budget of 1 s, so a cell that fetches fails at once, naming the local address, instead
of storing outputs that depend on the network or a user's cache.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import nbformat
from jupyter_client import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 600


#: Where the kernels look for GEO: port 9 (discard) of this machine, where nothing listens.
CLOSED_PORT = "http://127.0.0.1:9"


@contextlib.contextmanager
def offline_geo(folder: Path) -> Iterator[None]:
    """GEO out of reach for kernels started in the block (they inherit the environment)."""
    settings = {"GEXCLUST_GEO_URL": f"{CLOSED_PORT}/geo",
                "GEXCLUST_GEO_QUERY_URL": f"{CLOSED_PORT}/query",
                "GEXCLUST_CACHE_DIR": str(folder / "geo-cache"),
                "GEXCLUST_DOWNLOAD_BUDGET": "1"}
    before = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def execute(path: Path) -> nbformat.NotebookNode:
    """Run ``path`` in a temporary folder, GEO out of reach; return the executed notebook."""
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp, offline_geo(Path(tmp)):
        # the kernel talks to this process over local IPC sockets, not TCP
        # its connection file there too (by default a tmp*.json left in the system's /tmp)
        kernel = KernelManager(kernel_name="python3", transport="ipc",
                               ip=str(Path(tmp) / "kernel"),
                               connection_file=str(Path(tmp) / "kernel.json"))
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
