"""Local input: only regular files and pipes; bombs, endless lines and endless pipes refused."""

from __future__ import annotations

import gzip
import os
import re
import socket
import subprocess
import sys
import threading
import zlib

import numpy as np
import pytest

import gexclust as gx
from gexclust._files import LineBound, read_bytes
from gexclust._limits import Limits
from gexclust.io._geo_text import Inflater
from tests.io.test_download_safety import bomb, run_cli

CSV = b"samples,type,p1,p2\ns1,A,1.0,2.0\ns2,B,3.0,4.5\n"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused(device):
    with pytest.raises(gx.InputError, match=rf"{device}: is a character device, not a file"):
        gx.io.read_cumida(device)
    with pytest.raises(gx.InputError, match="is a character device"):
        gx.io.read_series_matrix(device)


def test_folder_and_socket_are_refused(tmp_path):
    with pytest.raises(gx.InputError, match="is a directory"):
        gx.io.read_cumida(tmp_path)
    path = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(gx.InputError, match=r"s.sock: is a socket, not a file"):
            gx.io.read_cumida(path)


def test_a_file_that_cannot_be_opened_is_named(tmp_path, cli):
    """Before: "[Errno 40] Too many levels of symbolic links: 'loop.csv'" for INPUT and
    "[Errno 13] Permission denied: 'sheet.csv'" for a sheet (as a user without the right)."""
    (tmp_path / "loop.csv").symlink_to("loop.csv")
    result = cli("run", tmp_path / "loop.csv", "-o", tmp_path / "o", "--quiet", check=False)
    assert (result.returncode, result.stderr) == (1, (
        f"gexclust: error: {tmp_path / 'loop.csv'}: cannot be read (Too many levels of "
        "symbolic links)\n"))
    result = cli("run", "-o", tmp_path / "o", "--annotations", tmp_path / "loop.csv",
                 check=False)
    assert result.stderr == (f"gexclust: error: {tmp_path / 'loop.csv'}: cannot be read (Too "
                             "many levels of symbolic links)\n")
    assert not (tmp_path / "o").exists()
    if os.geteuid() != 0:  # root reads any file
        sheet = tmp_path / "sheet.csv"
        sheet.write_text("sample,batch\n")
        sheet.chmod(0)
        result = cli("run", "-o", tmp_path / "o", "--annotations", sheet, check=False)
        assert result.stderr == f"gexclust: error: {sheet}: cannot be read (Permission denied)\n"


def test_cli_refuses_dev_zero_at_once(tmp_path):
    code, err, seconds, peak_mb = run_cli("run", "/dev/zero", "-o", str(tmp_path / "o"))
    assert code == 1
    assert "/dev/zero: is a character device" in err
    assert peak_mb < 400
    assert seconds < 30


def _feed(path, data: bytes) -> threading.Thread:
    def write():
        with open(path, "wb") as fh:
            fh.write(data)

    thread = threading.Thread(target=write)
    thread.start()
    return thread


@pytest.mark.parametrize("compress", [False, True])
def test_fifo_still_reads(tmp_path, compress):
    fifo = tmp_path / "input.csv"
    os.mkfifo(fifo)
    writer = _feed(fifo, gzip.compress(CSV) if compress else CSV)
    adata = gx.io.read_cumida(fifo)
    writer.join()
    np.testing.assert_array_equal(adata.X, [[1.0, 2.0], [3.0, 4.5]])


def test_endless_pipe_stops_at_the_size_limit(tmp_path):
    fifo = tmp_path / "endless.csv"
    os.mkfifo(fifo)
    stop = threading.Event()

    def write():
        with open(fifo, "wb") as fh:
            try:
                while not stop.is_set():
                    fh.write(b"s,A,1\n" * 10000)
            except BrokenPipeError:
                pass

    writer = threading.Thread(target=write)
    writer.start()
    try:
        with pytest.raises(gx.InputError, match=r"endless.csv: more than 1.0 MiB of text"):
            gx.io.read_cumida(fifo, limits=Limits(max_inflated_bytes=1 << 20))
    finally:
        stop.set()
        writer.join()


def test_local_gzip_bomb_is_refused_with_bounded_memory(tmp_path):
    path = tmp_path / "bomb.csv.gz"
    path.write_bytes(bomb(b"samples,type,p1\n", 2048))  # 7 MB -> 2 GiB
    code, err, seconds, peak_mb = run_cli("run", str(path), "-o", str(tmp_path / "out"))
    assert code == 1
    assert f"{path}: gzip data inflates more than 100x" in err
    assert "decompression bomb" in err
    assert "GEXCLUST_MAX_INFLATE_RATIO" in err
    assert peak_mb < 400, peak_mb
    assert seconds < 30
    assert not (tmp_path / "out").exists()


def test_inflate_limits_are_configurable(tmp_path):
    path = tmp_path / "zeros.csv.gz"
    path.write_bytes(bomb(b"samples,type,p1\n", 40))  # 40 MiB at ~300x
    with pytest.raises(gx.InputError, match="inflates more than 100x"):
        read_bytes(path)
    with pytest.raises(gx.InputError, match=r"more than 20.0 MiB of text"):
        read_bytes(path, limits=Limits(max_inflate_ratio=5000, max_inflated_bytes=20 << 20))
    data, _ = read_bytes(path, limits=Limits(max_inflate_ratio=5000))
    assert len(data) == 16 + (40 << 20)


def test_limits_from_environment(monkeypatch):
    monkeypatch.setenv("GEXCLUST_MAX_INFLATED_BYTES", "2G")
    monkeypatch.setenv("GEXCLUST_MAX_INFLATE_RATIO", "50")
    monkeypatch.setenv("GEXCLUST_REDIRECT_HOSTS", "ncbi.nlm.nih.gov, example.org")
    limits = Limits.from_env()
    assert limits.max_inflated_bytes == 2 << 30
    assert limits.max_inflate_ratio == 50
    assert limits.redirect_hosts == ("ncbi.nlm.nih.gov", "example.org")
    monkeypatch.setenv("GEXCLUST_LOW_SPEED_TIME", "soon")
    with pytest.raises(ValueError, match=r"GEXCLUST_LOW_SPEED_TIME='soon' is not valid"):
        Limits.from_env()
    with pytest.raises(ValueError, match=r"Limits\(download_budget=0\): expected a positive"):
        Limits(download_budget=0)


def test_long_line_is_refused_naming_file_and_line(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes(CSV + b"s3,C," + b"9" * 5000 + b",1\n")
    with pytest.raises(gx.InputError, match=r"wide.csv, line 4: line longer than 1000 bytes"):
        gx.io.read_cumida(path, limits=Limits(max_line_bytes=1000))


def test_endless_line_in_a_geo_file_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "GSE1_series_matrix.txt.gz"
    path.write_bytes(gzip.compress(b'!Series_title\t"x"\n!Series_summary\t' + b"x" * (3 << 20)))
    monkeypatch.setenv("GEXCLUST_MAX_LINE_BYTES", "1M")
    with pytest.raises(gx.InputError, match=r"GSE1_series_matrix.txt.gz, line 2: line longer than 1.0 MiB"):  # noqa: E501
        gx.io.read_series_matrix(path)


def test_line_bound_agrees_with_a_plain_count():
    rng = np.random.default_rng(0)
    for _ in range(200):
        lines = [b"x" * int(n) for n in rng.integers(0, 40, size=rng.integers(1, 30))]
        text = b"\n".join(lines)
        limit = int(rng.integers(5, 45))
        expected = next((i + 1 for i, line in enumerate(lines) if len(line) > limit), None)
        cuts = sorted(rng.integers(0, len(text) + 1, size=4))
        chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        bound = LineBound("f", limit)
        try:
            for chunk in chunks:
                bound.check(chunk)
            found = None
        except gx.InputError as err:
            found = int(str(err).split("line ")[1].split(":")[0])
        assert found == expected


class _Slow:
    """A raw stream that hands out its bytes in small, irregular pieces."""

    def __init__(self, data: bytes, seed: int) -> None:
        self.data, self.pos, self.rng = data, 0, np.random.default_rng(seed)

    def read(self, size: int = -1) -> bytes:
        n = int(self.rng.integers(1, 5000))
        out = self.data[self.pos : self.pos + n]
        self.pos += len(out)
        return out


def test_inflater_matches_gzip_for_members_and_small_outputs():
    rng = np.random.default_rng(1)
    text = rng.integers(48, 58, size=300_000, dtype=np.uint8).tobytes()
    data = gzip.compress(text[:100_000]) + gzip.compress(text[100_000:])
    for seed in range(3):
        inflater = Inflater(_Slow(data, seed))
        parts = []
        while part := inflater.read(777):  # output pieces far smaller than the input
            assert len(part) <= 777
            parts.append(part)
        assert b"".join(parts) == text
    truncated = Inflater(_Slow(data[:-10], 0))
    with pytest.raises((EOFError, zlib.error)):
        _read_all(truncated)


def test_junk_after_the_gzip_data_is_named_as_such_not_as_truncation(tmp_path):
    # before: "corrupt or truncated gzip data (Error -3 ... incorrect header check)" for a
    # complete gzip stream followed by other bytes; zero padding and further members read
    rng = np.random.default_rng(2)
    text = rng.integers(48, 58, size=50_000, dtype=np.uint8).tobytes()
    first, second = gzip.compress(text[:20_000]), gzip.compress(text[20_000:])
    padded = first + b"\x00" * 3000 + second + b"\x00" * 7
    for seed in range(3):  # the bytes arrive in pieces: the magic may be split between two
        inflater = Inflater(_Slow(padded, seed))
        assert b"".join(iter(inflater.read, b"")) == text
        junk = Inflater(_Slow(padded + b"\x1f<html>junk</html>", seed), name="f.gz")
        offset = len(padded)
        with pytest.raises(gx.InputError, match=rf"^f\.gz: trailing data after the end of the gzip stream, at byte offset {offset:,} \(starting b'\\x1f<html>junk</htm'\); not another gzip member"):  # noqa: E501
            _read_all(junk)
    from gexclust.datasets._geo_files import family_soft_text

    soft = family_soft_text(gx.datasets.gse9476_example()[:3, :10].copy()).encode()
    for read, content in ((gx.io.read_soft, soft), (gx.io.read_cumida, CSV)):
        path = tmp_path / "input.gz"
        member = gzip.compress(content)
        path.write_bytes(member + b"\x00\x00<html>")
        offset = len(member) + 2
        with pytest.raises(gx.InputError, match=rf"^{re.escape(str(path))}: trailing data after the end of the gzip stream, at byte offset {offset:,} \(starting b'<html>'\)"):  # noqa: E501
            read(path)


def _read_all(stream) -> None:
    while stream.read(1000):
        pass


def test_cli_reads_process_substitution(tmp_path):
    csv = tmp_path / "small.csv"
    csv.write_bytes(CSV)
    out = tmp_path / "out"
    script = f'{sys.executable} -m gexclust.cli run <(cat {csv}) -o {out} --quiet --n-clusters 2'
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (out / "clusters.csv").exists()


def test_cli_reads_a_series_matrix_from_a_named_pipe_and_ends(tmp_path):
    """A FIFO named like a series matrix (mkfifo GSE2_series_matrix.txt; zcat ... > it).

    Before: read, then opened a second time to take its sha256 for summary.json, which waits
    for a writer that never comes: the run hung for ever after reading.
    """
    import json

    from gexclust.datasets._geo_files import series_matrix_text

    fifo = tmp_path / "GSE2_series_matrix.txt"
    os.mkfifo(fifo)
    text = series_matrix_text(gx.datasets.gse9476_example()[:6, :200].copy())
    writer = _feed(fifo, text.encode())
    out = tmp_path / "out"
    try:
        proc = subprocess.run([sys.executable, "-m", "gexclust.cli", "run", str(fifo), "-o",
                               str(out), "--quiet", "--no-report", "--n-clusters", "2"],
                              capture_output=True, text=True, timeout=60)
    finally:
        if writer.is_alive():  # the run never opened the pipe: let the writer go
            with open(fifo, "rb") as fh:
                fh.read()
        writer.join()
    assert proc.returncode == 0, proc.stderr
    source = json.loads((out / "summary.json").read_text())["input"]
    assert source["sha256"] is None
    assert source["sha256_of"] == "not computed: the input is a pipe, read once"


def test_geo_text_through_process_substitution_is_named_as_such(tmp_path):
    """``gexclust run <(zcat GSE..._series_matrix.txt.gz)``: a pipe cannot be looked into
    first, so the text is read as a CuMiDa CSV.

    Before: "/dev/fd/63, line 1: no column 'samples'; ... the header is one field: the file is
    separated by tabs, not commas", which sent the user to convert the separators.
    """
    from gexclust.datasets._geo_files import family_soft_text, series_matrix_text

    example = gx.datasets.gse9476_example()[:4, :50].copy()
    for name, text, reader in (("m.txt", series_matrix_text(example), "read_series_matrix"),
                               ("f.txt", family_soft_text(example), "read_soft")):
        path = tmp_path / name
        path.write_text(text)
        script = (f"{sys.executable} -m gexclust.cli run <(cat {path}) -o {tmp_path / 'out'} "
                  "--quiet")
        proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 1
        err = proc.stderr.strip()
        assert len(err.splitlines()) == 1, err
        assert ("line 1: GEO text, not a CuMiDa CSV; gexclust run knows GEO files by their "
                "name or first line, which it cannot read ahead in a pipe: give the file "
                "itself") in err
        assert f"(gexclust.io.{reader})" in err
        assert "separated by tabs" not in err


def test_geo_options_with_a_pipe_say_it_cannot_be_looked_into(tmp_path):
    """``gexclust run <(zcat GSE781_family.soft.gz) --platform GPL96``: a pipe is read as a
    CuMiDa CSV, so the GEO options are refused before reading, saying why.

    Before: "--platform applies to GEO input (series matrix, SOFT or accession), and
    /dev/fd/63 is a CuMiDa-style CSV, whose types are its 'type' column": a SOFT file called a
    CSV, with no word of the pipe or of what to do.
    """
    from gexclust.datasets._geo_files import family_soft_text

    path = tmp_path / "f.txt"
    path.write_text(family_soft_text(gx.datasets.gse9476_example()[:4, :50].copy()))
    for option in ("--platform GPL96", "--type-from source_name"):
        script = (f"{sys.executable} -m gexclust run <(cat {path}) -o {tmp_path / 'out'} "
                  f"{option} --quiet")
        proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 1
        err = proc.stderr.strip()
        assert len(err.splitlines()) == 1, err
        assert err.startswith(f"gexclust: error: {option.split()[0]} applies to GEO input")
        assert ("is a pipe, read as a CuMiDa-style CSV: gexclust run cannot look into a pipe "
                "before reading it; give the GEO file itself, or a named pipe called like "
                "one (*series_matrix*, *.soft*)") in err
        assert "whose types are its 'type' column" not in err
    assert not (tmp_path / "out").exists()
