"""Hostile or broken servers on 127.0.0.1: bombs, wrong content, drips, stalls, redirects.

Each must end with a clear error within its limit, with bounded memory, and leave nothing in
the cache that a later run would trust.
"""

from __future__ import annotations

import gzip
import logging
import os
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

import gexclust as gx
from gexclust.io._download import DownloadError, NotCached, RedirectRefused
from tests.conftest import fill_the_disk
from tests.io.conftest import ANNOT, MATRIX, MATRIX_REL, cache_files
from tests.io.geo_server import GeoServer, self_signed_certificate

#: Runs the CLI and reports the peak memory (kB) of it and of any helper process it waited
#: for, on the last line of stderr. The process's own peak is VmHWM, not ru_maxrss: Linux
#: carries ru_maxrss over exec, so it would report the memory of the forking test process.
MEASURED_CLI = (
    "import re, resource, sys\n"
    "from pathlib import Path\n"
    "from gexclust.cli import main\n"
    "code = main(sys.argv[1:])\n"
    "own = int(re.search(r'VmHWM:\\s*(\\d+)', Path('/proc/self/status').read_text()).group(1))\n"
    "helpers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print('maxrss', max(own, helpers), file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def run_cli(*args, env=None, timeout=60):
    """``python -m gexclust.cli ARGS`` in a subprocess: (exit code, stderr, seconds, peak MB)."""
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", MEASURED_CLI, *args], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})
    elapsed = time.monotonic() - start
    lines = proc.stderr.strip().splitlines()
    peak_mb = int(lines[-1].split()[1]) / 1024
    return proc.returncode, "\n".join(lines[:-1]), elapsed, peak_mb


def bomb(header: bytes, inflated_mib: int) -> bytes:
    """One gzip member: ``header``, then ``inflated_mib`` MiB of lines of zeros (about 300x),
    with a valid CRC and length, as GEO would never send.

    Built in milliseconds: after a full flush, deflate encodes each identical MiB to the same
    bytes, so one encoded MiB is repeated.
    """
    from isal import isal_zlib

    chunk = (b"0," * 63 + b"0\n") * (1 << 13)  # 1 MiB of 128-byte lines
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = deflate.compress(header) + deflate.flush(zlib.Z_FULL_FLUSH)
    block = deflate.compress(chunk) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.flush()
    crc = isal_zlib.crc32(header)
    for _ in range(inflated_mib):
        crc = isal_zlib.crc32(chunk, crc)
    size = len(header) + inflated_mib * len(chunk)
    gzip_header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    return gzip_header + head + block * inflated_mib + end + struct.pack("<II", crc, size % 2**32)


HOSTILE = {
    # scenario: (how the server misbehaves, environment, what the one-line error must say)
    "gzip_bomb": ("body", {}, ["decompression bomb", "inflates more than 100x",
                               "GEXCLUST_MAX_INFLATE_RATIO"]),
    "plain_body_as_gz": ("plain", {}, ["expected gzip data", "Moved"]),
    "html_page_as_gz": ("html", {}, ["the server answered with an HTML page titled 'Moved', "
                                     "not a GEO file (a proxy's or a login page?)"]),
    "drip": ("drip", {"GEXCLUST_LOW_SPEED_TIME": "1", "GEXCLUST_DOWNLOAD_BUDGET": "2.5"},
             ["gexclust: warning: ", "slower than 1024 bytes/s for 1 s", "retrying in",
              "did not finish within its budget of 2.5 s", "GEXCLUST_DOWNLOAD_BUDGET"]),
    "redirect_to_other_host": ("redirect", {}, ["refused redirect", "another host, localhost",
                                                "GEXCLUST_REDIRECT_HOSTS"]),
}


@pytest.mark.parametrize("scenario", list(HOSTILE))
def test_hostile_server_gives_a_clear_error_from_the_cli(server, tmp_path, scenario):
    how, env, expected = HOSTILE[scenario]
    if how == "body":
        server.state["body"][MATRIX] = bomb(b'!Series_title\t"x"\n', 1024)  # 3.6 MB -> 1 GiB
    elif how == "plain":
        server.state["body"][MATRIX] = b"Moved\n"
    elif how == "html":
        server.state["body"][MATRIX] = b"<html><title>Moved</title><body>Moved</body></html>\n"
    elif how == "drip":
        server.state["drip"][MATRIX] = 0.2  # 5 bytes/s
    else:
        server.state["redirect"][MATRIX] = f"http://localhost:{server.port}{MATRIX}"
    code, err, seconds, peak_mb = run_cli("fetch", "GSE9476", "--no-annotation", env=env)
    assert code == 1
    assert err.splitlines()[-1].startswith("gexclust: error: ")
    assert "series matrix of GSE9476" in err
    for text in expected:
        assert text in err
    assert seconds < 20  # interpreter start-up included
    assert peak_mb < 400, peak_mb  # inflating the bomb would take more than 1 GiB
    # nothing a later run would trust: offline, the cache has nothing to offer
    with pytest.raises(NotCached):
        gx.io.fetch_geo("GSE9476", annotate=False, offline=True)
    assert trusted_cache(tmp_path) == []


def trusted_cache(tmp_path):
    """Cached files a later run would use: those with a download record."""
    return [f for f in cache_files(tmp_path) if f.endswith(".sha256")]


def test_bomb_is_refused_in_process(server, tmp_path):
    server.state["body"][MATRIX] = bomb(b"!Series_title\n", 256)
    with pytest.raises(gx.InputError, match=r"inflates more than 100x.*nothing was cached"):
        gx.io.read_geo("GSE9476", annotate=False)
    assert trusted_cache(tmp_path) == []


def test_bomb_fixture_is_valid_gzip():
    text = gzip.decompress(bomb(b"head\n", 3))
    assert len(text) == 5 + 3 * 2**20
    assert text.startswith(b"head\n0,0,")


def test_plain_body_under_gz_name_is_refused_and_not_cached(server, tmp_path):
    server.state["body"][MATRIX] = b"Service temporarily unavailable\n"
    with pytest.raises(gx.InputError, match=r"expected gzip data.*Service.*nothing was cached"):
        gx.io.fetch_geo("GSE9476", annotate=False)
    assert trusted_cache(tmp_path) == []
    del server.state["body"][MATRIX]  # the server recovers: fetched again, not served stale
    assert gx.io.read_geo("GSE9476", annotate=False).n_obs == 64
    assert server.requests(MATRIX) == 2


def test_dripping_server_is_retried_then_refused(server, tmp_path, caplog):
    server.state["drip"][MATRIX] = 0.1  # 10 bytes/s
    limits = gx.io.Limits(low_speed_limit=1000, low_speed_time=0.5)
    start = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="gexclust"), \
            pytest.raises(DownloadError, match=r"after 4 attempts \(slower than 1000 bytes/s"):
        gx.io.fetch_geo("GSE9476", annotate=False, limits=limits)
    assert time.monotonic() - start < 8
    retries = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(retries) == 3
    assert all("slower than 1000 bytes/s" in r and "retrying" in r for r in retries)
    assert trusted_cache(tmp_path) == []


def test_stalled_server_ends_the_attempt(server, tmp_path):
    server.state["drip"][MATRIX] = 3600  # one byte, then silence
    limits = gx.io.Limits(low_speed_time=0.3, download_budget=0.8)
    start = time.monotonic()
    # the silence ends the attempt; on a busy machine the byte itself may come after the
    # budget, which then names what was received, or a retry's answer does (CI on 3.13:
    # 'no answer for 0.0204645 s', the budget spent by three silent attempts)
    with pytest.raises(DownloadError, match=r"did not finish within its budget of 0.8 s \((no data for 0.\d+ s|no answer for [\d.e-]+ s|1 byte received)"):  # noqa: E501
        gx.io.fetch_geo("GSE9476", annotate=False, limits=limits)
    assert time.monotonic() - start < 3
    assert trusted_cache(tmp_path) == []


def test_redirect_on_the_same_host_is_followed(server, geo_root, tmp_path):
    moved = geo_root / "moved.txt.gz"
    moved.write_bytes((geo_root / MATRIX_REL).read_bytes())
    server.state["redirect"][MATRIX] = "/geo/moved.txt.gz"
    try:
        assert gx.io.read_geo("GSE9476", annotate=False).n_obs == 64
        assert server.requests("/geo/moved.txt.gz") == 1
    finally:
        moved.unlink()


def test_redirect_to_another_host_is_refused_unless_allowed(server, geo_root, tmp_path, caplog):
    other_host = f"http://localhost:{server.port}{MATRIX}.elsewhere"
    server.state["redirect"][MATRIX] = other_host
    with pytest.raises(RedirectRefused, match=r"to http://localhost.*another host, localhost, not among the allowed \(ncbi.nlm.nih.gov; GEXCLUST_REDIRECT_HOSTS\)"):  # noqa: E501
        gx.io.fetch_geo("GSE9476", annotate=False)
    assert server.requests(".elsewhere") == 0
    assert trusted_cache(tmp_path) == []
    server.state["body"][f"{MATRIX}.elsewhere"] = (geo_root / MATRIX_REL).read_bytes()
    allowed = gx.io.Limits(redirect_hosts=("localhost",))
    with caplog.at_level(logging.INFO, logger="gexclust"):
        gx.io.fetch_geo("GSE9476", annotate=False, limits=allowed)
    followed = [r for r in caplog.records if "following redirect" in r.getMessage()]
    assert len(followed) == 1
    assert followed[0].levelno == logging.WARNING  # another host: said aloud
    assert server.requests(".elsewhere") == 1


def test_https_to_http_redirect_is_refused(geo_root, tmp_path, monkeypatch):
    cert, key = self_signed_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test server's certificate
    monkeypatch.setenv("GEXCLUST_CACHE_DIR", str(tmp_path / "cache"))
    with GeoServer(geo_root.parent, tls=(cert, key)) as tls, GeoServer(geo_root.parent) as plain:
        monkeypatch.setenv("GEXCLUST_GEO_URL", f"{tls.url}/geo")
        assert gx.io.read_geo("GSE9476", annotate=False).n_obs == 64  # https itself works
        (tmp_path / "cache" / MATRIX_REL).unlink()
        tls.state["redirect"][MATRIX] = f"{plain.url}{MATRIX}"
        with pytest.raises(RedirectRefused, match=r"downgrade from https to http"):
            gx.io.read_geo("GSE9476", annotate=False)
        assert plain.requests(MATRIX) == 0
    assert not (tmp_path / "cache" / MATRIX_REL).exists()


def test_altered_cached_file_is_fetched_again_never_reapproved(server, tmp_path):
    original = gx.io.read_geo("GSE9476", annotate=False)
    cached = tmp_path / "cache" / MATRIX_REL
    sidecar = cached.with_name(cached.name + ".sha256")
    data, record = cached.read_bytes(), sidecar.read_text()
    text = gzip.decompress(data).replace(b"FHCRCAML", b"EDITED_X", 1)
    cached.write_bytes(gzip.compress(text))  # edited and recompressed: a valid gzip file
    with pytest.raises(DownloadError, match=r"is not the file that was downloaded and verified.*offline=True"):  # noqa: E501
        gx.io.read_geo("GSE9476", annotate=False, offline=True)
    assert sidecar.read_text() == record  # the record was not rewritten to fit the edit
    again = gx.io.read_geo("GSE9476", annotate=False)
    assert server.requests(MATRIX) == 2
    assert cached.read_bytes() == data
    assert sidecar.read_text() == record
    assert list(again.obs["title"]) == list(original.obs["title"])


def test_cached_file_without_record_is_not_trusted(server, tmp_path):
    gx.io.read_geo("GSE9476", annotate=False)
    cached = tmp_path / "cache" / MATRIX_REL
    cached.with_name(cached.name + ".sha256").unlink()
    with pytest.raises(DownloadError, match=r"not the file that was downloaded and verified"):
        gx.io.read_geo("GSE9476", annotate=False, offline=True)
    gx.io.read_geo("GSE9476", annotate=False)
    assert server.requests(MATRIX) == 2


def test_broken_annotation_falls_back_with_a_warning(server, tmp_path, caplog):
    server.state["body"][ANNOT] = b"<!DOCTYPE html><html><title>GEO</title></html>\n"
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_geo("GSE9476")
    assert adata.n_obs == 64
    warnings = " | ".join(r.getMessage() for r in caplog.records)
    assert "annotation of GPL96" in warnings
    assert "the server answered with an HTML page titled 'GEO', not a GEO file" in warnings
    assert "trying the platform SOFT of GPL96" in warnings
    assert "no annotation for GPL96" in warnings  # this site has no platform SOFT either
    assert "GPL96.annot.gz.sha256" not in trusted_cache(tmp_path)
    code, err, _, _ = run_cli("fetch", "GSE9476")
    assert code == 0, err
    assert "gexclust: warning: download of annotation of GPL96" in err  # said on the terminal


def test_temporary_files_of_killed_downloads_are_removed_and_no_others(server, tmp_path):
    gx.io.fetch_geo("GSE9476", annotate=False)
    cached = tmp_path / "cache" / MATRIX_REL
    folder, name = cached.parent, cached.name
    stale = [folder / f".{name}.k3_x9ab2.part", folder / f".{name}.sha256.zz01ab9q.part"]
    kept = [folder / f".{name}.gz.k3_x9ab2.part",  # another file's download
            folder / f"{name}.notes.txt", folder / f".{name}.k3_x9ab2.part.bak"]
    for path in stale + kept:
        path.write_bytes(b"half a download")
    cached.unlink()  # the next fetch downloads again, under the lock
    gx.io.fetch_geo("GSE9476", annotate=False)
    assert not any(path.exists() for path in stale)
    assert all(path.exists() for path in kept)
    assert cached.exists()


def test_a_dropped_connection_is_retried_and_never_cached_half(server, tmp_path, caplog):
    """The server announces the whole file and closes after half: the attempt is retried
    (named: 'connection closed after N of M bytes'); when it keeps happening, the download
    fails after its attempts and nothing is trusted in the cache."""
    size = (server_root(server) / MATRIX.lstrip("/")).stat().st_size
    server.state["short"][MATRIX] = 1
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        adata = gx.io.read_geo("GSE9476", annotate=False)
    assert adata.n_obs == 64
    assert f"connection closed after {size // 2} of {size} bytes; retrying" in caplog.text
    assert server.requests(MATRIX) == 2
    (tmp_path / "cache").rename(tmp_path / "first")
    server.state["short"][MATRIX] = 10
    with pytest.raises(DownloadError, match=rf"after 4 attempts \(connection closed after "
                       rf"{size // 2} of {size} bytes\)"):
        gx.io.read_geo("GSE9476", annotate=False)
    assert trusted_cache(tmp_path) == []


def test_the_size_limit_holds_with_and_without_an_announced_length(server, tmp_path):
    """GEXCLUST_MAX_INFLATED_BYTES bounds what is downloaded: a Content-Length above it is
    refused before reading; without one, the stream is cut when it passes the limit."""
    size = (server_root(server) / MATRIX.lstrip("/")).stat().st_size
    limits = gx.io.Limits(max_inflated_bytes=size - 1)
    for announced in (True, False):
        if not announced:
            server.state["no_length"].add(MATRIX)
        with pytest.raises(DownloadError, match=r"is larger than .*; refused "
                           r"\(GEXCLUST_MAX_INFLATED_BYTES sets the limit\); nothing was "
                           r"cached$"):
            gx.io.read_geo("GSE9476", annotate=False, limits=limits)
        assert trusted_cache(tmp_path) == []
    # without a length, a file within the limit is read whole
    adata = gx.io.read_geo("GSE9476", annotate=False)
    assert adata.n_obs == 64


def server_root(server) -> Path:
    return Path(server.httpd.RequestHandlerClass.keywords["directory"])


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_a_full_disk_under_the_cache_is_one_line_and_caches_nothing(server, tmp_path,
                                                                     monkeypatch, capsys):
    """Before: "gexclust: error: [Errno 28] No space left on device" (fetch into a 3 MB
    tmpfs), naming neither the cache nor the file."""
    from gexclust.cli import main
    from gexclust.io import _download

    monkeypatch.setattr(_download, "_write_sidecar", fill_the_disk)  # the disk fills up there
    assert main(["fetch", "GSE9476", "--no-annotation"]) == 1
    folder = tmp_path / "cache" / Path(MATRIX_REL).parent
    assert capsys.readouterr().err == (
        f"gexclust: error: {folder}: no space left on device while writing the download of "
        "series matrix of GSE9476; nothing was cached: free some space or choose another "
        "cache folder (--cache-dir, cache_dir=, $GEXCLUST_CACHE_DIR)\n")
    assert cache_files(tmp_path) == ["GSE9476_series_matrix.txt.gz.lock"]


@pytest.mark.parametrize("fifo", ["GSE9476_series_matrix.txt.gz.sha256",
                                  "GSE9476_series_matrix.txt.gz"])
def test_a_pipe_in_the_cache_is_fetched_again_not_read(server, tmp_path, fifo):
    """Before: a named pipe as the download record (or as the file, with a record of size 0)
    made the fetch wait for ever, reading it; now it is not the record of a download."""
    folder = tmp_path / "cache" / Path(MATRIX_REL).parent
    folder.mkdir(parents=True)
    if fifo.endswith(".gz"):
        (folder / f"{fifo}.sha256").write_text(f"0 {'0' * 64}\n")
    else:
        (folder / "GSE9476_series_matrix.txt.gz").write_bytes(b"an earlier file")
    os.mkfifo(folder / fifo)
    code, err, _, _ = run_cli("fetch", "GSE9476", "--no-annotation",
                              env={"GEXCLUST_CACHE_DIR": str(tmp_path / "cache")}, timeout=60)
    assert code == 0, err
    assert "differs from what was downloaded and verified; fetching it again" in err
    assert server.requests(MATRIX) == 1
    assert cache_files(tmp_path) == ["GSE9476_series_matrix.txt.gz",
                                     "GSE9476_series_matrix.txt.gz.lock",
                                     "GSE9476_series_matrix.txt.gz.sha256"]


LOGIN = (b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- sso -->\n<!DOCTYPE html>\n<html><head>"
         b"<title>\n  Proxy   sign-in </title></head><body>Sign in</body></html>\n")
FAMILY_SOFT = "/geo/series/GSE9nnn/GSE9476/soft/GSE9476_family.soft.gz"
SAMPLE = "/query/acc.cgi"


@pytest.mark.parametrize(("path", "fetch", "what"), [
    (MATRIX, lambda: gx.io.fetch_geo("GSE9476", annotate=False), "series matrix of GSE9476"),
    (FAMILY_SOFT, lambda: gx.io.fetch_geo("GSE9476", source="soft"), "family SOFT of GSE9476"),
    (SAMPLE, lambda: gx.io.fetch_geo("GSM1"), "sample GSM1"),
])
@pytest.mark.parametrize("compressed", [False, True])
def test_an_html_page_in_a_files_place_is_named_as_one_not_blamed_on_geo(
        server, tmp_path, monkeypatch, path, fetch, what, compressed):
    """Before: a proxy's sign-in page sent for a GEO file was "download of series matrix of
    GSE9476 from URL is broken (expected gzip data but the server sent plain data starting
    b'<!DOCTYPE html>\\n<html><head><t')" (a sample: "not a GEO record: ... it starts
    b'<!DOCTYPE html>..."): a broken GEO file, quoted as bytes. Now it says what came."""
    monkeypatch.setenv("GEXCLUST_GEO_QUERY_URL", f"{server.url}/query")
    server.state["body"][path] = gzip.compress(LOGIN) if compressed else LOGIN
    with pytest.raises(gx.InputError) as caught:
        fetch()
    url = (f"{server.url}/query/acc.cgi?acc=GSM1&targ=self&form=text&view=full"
           if path == SAMPLE else f"{server.url}{path}")
    page = "an HTML page titled 'Proxy sign-in'"
    if compressed and path != SAMPLE:  # read as a GEO file: inflated, then told
        kind = "matrix" if path == MATRIX else "soft"
        expected = (f"download of {what} from {url} is broken (the server answered with {page} "
                    f"(gzip-compressed), not a GEO {kind} file (a proxy's or a login page?)); "
                    "nothing was cached")
    elif compressed:  # a sample's record is text: gzip bytes are no page, nor a record
        expected = None
    else:
        expected = (f"download of {what} from {url}: the server answered with {page}, not a "
                    "GEO file (a proxy's or a login page?); nothing was cached")
    if expected is not None:
        assert str(caught.value) == expected
    assert "GEO has no" not in str(caught.value)
    assert [f for f in cache_files(tmp_path) if not f.endswith(".lock")] == []


def test_an_answer_that_only_mentions_html_is_no_page():
    from gexclust.io._download import html_page

    assert html_page(b"!Series_title\t\"<html> in a title\"\n") is None
    assert html_page(b"<HTML><BODY>Gateway Timeout</BODY></HTML>") == "an HTML page"
    assert html_page(b"  <head><title></title></head>") == "an HTML page"
