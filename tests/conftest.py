"""Small, seeded datasets shared by the tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("MPLBACKEND", "Agg")

import anndata as ad
import numpy as np
import pandas as pd
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_file(name: str) -> Path:
    """Path of a real file in ../shared/data, skipping the test when it is absent."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"real reference file {name} not found in {SHARED_DATA}")
    return path


def make_planted(
    n_per_group: int = 8, n_groups: int = 3, n_genes: int = 60, seed: int = 0
) -> ad.AnnData:
    """Samples in ``n_groups`` well-separated groups: group g shifts genes [10g, 10g+10) by 4."""
    rng = np.random.default_rng(seed)
    n_obs = n_per_group * n_groups
    X = rng.normal(7.0, 0.5, size=(n_obs, n_genes))
    groups = np.repeat(np.arange(n_groups), n_per_group)
    for g in range(n_groups):
        X[groups == g, 10 * g : 10 * g + 10] += 4.0
    order = rng.permutation(n_obs)  # so recovery cannot rely on input order
    obs = pd.DataFrame(
        {"type": pd.Categorical([f"group{g}" for g in groups[order]])},
        index=[f"s{i}" for i in range(n_obs)],
    )
    var = pd.DataFrame(index=[f"g{j}" for j in range(n_genes)])
    return ad.AnnData(X=X[order], obs=obs, var=var)


@pytest.fixture
def planted() -> ad.AnnData:
    return make_planted()


@pytest.fixture(scope="session")
def example_session():
    import gexclust as gx

    return gx.datasets.gse9476_example()


@pytest.fixture
def example(example_session) -> ad.AnnData:
    return example_session.copy()


def fill_the_disk(*_args, **_kwargs) -> None:
    """A write meeting a full disk: the system's ENOSPC, which names no file (/dev/full's)."""
    with open("/dev/full", "wb") as fh:
        fh.write(b"(")
        fh.flush()


def unprivileged() -> Callable[[], None] | None:
    """A ``preexec_fn`` for a subprocess that permissions bind even if this one is root.

    Folder and file modes do not stop root, whose capabilities CAP_DAC_OVERRIDE,
    CAP_DAC_READ_SEARCH and CAP_FOWNER bypass them: the child drops them before it starts
    (prctl PR_CAPBSET_DROP), so a read-only folder is read-only to it, as to any user. None
    when this process is not root. Skips the test where they cannot be dropped.
    """
    if sys.platform == "win32":  # no euid, and a folder's mode does not make it read-only
        pytest.skip("folder modes do not make a folder read-only on Windows: cannot test here")
    if os.geteuid() != 0:
        return None
    if sys.platform != "linux":
        pytest.skip("root ignores folder modes and capabilities are Linux's: cannot test here")
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, overrides = 24, (1, 2, 3)  # <linux/prctl.h>, <linux/capability.h>

    def drop() -> None:
        for cap in overrides:
            if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")

    try:
        subprocess.run([sys.executable, "-c", "pass"], preexec_fn=drop, check=True)
    except (OSError, subprocess.SubprocessError):
        pytest.skip("running as root without CAP_SETPCAP: cannot make folder modes bind")
    return drop


def written_to_a_terminal(write: Callable[[Path], object], link: Path, *, end: bytes) -> bytes:
    """The bytes ``write(link)`` writes into a pseudo-terminal (a character device, as
    ``/dev/null`` is, but one that can be read), ``link`` being a symbolic link to it (whose
    name gives the format), up to ``end``. Skips where there is no pseudo-terminal."""
    import threading

    if sys.platform == "win32":
        pytest.skip("no pseudo-terminals on Windows")
    import tty

    try:
        leader, follower = os.openpty()
    except OSError:
        pytest.skip("no pseudo-terminal to write to")
    tty.setraw(follower)  # bytes as written: no '\n' made '\r\n'
    link.symlink_to(os.ttyname(follower))
    received = bytearray()

    def read() -> None:  # a terminal holds a few KB: read while the writer writes
        try:
            while not received.endswith(end):
                received.extend(os.read(leader, 1 << 16))
        except OSError:  # closed below
            return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        write(link)
        reader.join(timeout=10)
    finally:
        os.close(follower)
        os.close(leader)
    return bytes(received)


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.fixture
def tiny_csv(tmp_path) -> Path:
    return write_csv(
        tmp_path / "tiny.csv",
        "samples,type,p1,p2,p3\n1,AML,1.5,2.0,3.25\n2,PB,4.0,5.5,6.0\n3,AML,7.0,8.0,9.5\n",
    )


def planted_csv(n_per_group: int = 6) -> str:
    """A CuMiDa CSV of three planted groups; one type name is outside Latin-1."""
    adata = make_planted(n_per_group=n_per_group, n_groups=3, n_genes=40)
    names = {"group0": "β-thalassaemia", "group1": "AML", "group2": "PB"}
    lines = ["samples,type," + ",".join(adata.var_names)]
    for sample, kind, row in zip(adata.obs_names, adata.obs["type"], adata.X, strict=True):
        lines.append(f"{sample},{names[kind]}," + ",".join(f"{v:.5f}" for v in row))
    return "\n".join(lines) + "\n"


SMALL_CSV = planted_csv()


@pytest.fixture
def small_csv(tmp_path) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(SMALL_CSV)
    return path


@pytest.fixture
def cli(capsys):
    """``gexclust`` run in this process (no import cost); same result fields as a subprocess."""
    from types import SimpleNamespace

    from gexclust.cli import main

    def run(*args, check=True):
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        if check:
            assert code == 0, err
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run
