"""read_geo / fetch_geo against a real HTTP server on 127.0.0.1 serving GEO-layout fixtures."""

from __future__ import annotations

import datetime
import gzip
import logging
import multiprocessing
import os
import re
import shutil
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import gexclust as gx
from gexclust._errors import InputError
from gexclust.io._download import DownloadError, NotOnGeo
from tests.io.conftest import ANNOT, MATRIX, MATRIX_REL, cache_files, refusal

CLASSES = {"AML": 26, "Bone_Marrow": 10, "PB": 10, "PBSC_CD34": 10, "Bone_Marrow_CD34": 8}


def test_fetch_then_offline_from_cache(server, tmp_path, example_session):
    adata = gx.io.read_geo("GSE9476")
    assert adata.obs["type"].value_counts().to_dict() == CLASSES
    assert adata.var.loc["1007_s_at", "gene_symbol"] == "DDR1"
    np.testing.assert_allclose(adata.X, example_session.X, atol=5e-7)
    assert server.requests(MATRIX) == 1
    assert server.requests(ANNOT) == 1
    server.stop()
    again = gx.io.read_geo("GSE9476")  # server gone: served from the verified cache
    np.testing.assert_array_equal(again.X, adata.X)
    offline = gx.io.read_geo("GSE9476", offline=True)
    np.testing.assert_array_equal(offline.X, adata.X)
    assert "GSE9476_series_matrix.txt.gz.sha256" in cache_files(tmp_path)


def test_family_soft_source(server):
    adata = gx.io.read_geo("GSE9476", source="soft")
    assert adata.obs["type"].value_counts().to_dict() == CLASSES
    assert adata.uns["geo"]["accession"] == "GSE9476"


def test_404_says_geo_has_no_such_accession(server, tmp_path):
    with pytest.raises(NotOnGeo, match=r"GEO has no series GSE1234567"):
        gx.io.read_geo("GSE1234567")
    with pytest.raises(NotOnGeo, match=r"GEO has no family SOFT of GSE1234567.*404"):
        gx.io.read_geo("GSE1234567", source="soft")
    assert not [f for f in cache_files(tmp_path) if not f.endswith(".lock")]


def test_500_then_success_is_retried(server):
    server.state["fail_500"][MATRIX] = 2
    adata = gx.io.read_geo("GSE9476", annotate=False)
    assert adata.n_obs == 64
    assert server.requests(MATRIX) == 3


def test_429_too_many_requests_is_retried_after_the_wait_asked(server, caplog):
    # before: "GEO refused series matrix ...: answered 429 Too Many Requests", a failed run
    # where NCBI's rate limit only asked to come back a moment later
    server.state["fail_429"][MATRIX] = (2, "0")
    adata = gx.io.read_geo("GSE9476", annotate=False)
    assert adata.n_obs == 64
    assert server.requests(MATRIX) == 3
    assert "429 Too Many Requests, asked to retry after 0 s; retrying" in caplog.text


def test_a_retry_after_beyond_the_budget_is_said_not_waited_for(server, tmp_path):
    server.state["fail_429"][MATRIX] = (1, "86400")  # come back tomorrow
    with pytest.raises(DownloadError, match=r"did not finish within its budget .*\(429 Too "
                                            r"Many Requests, asked to retry after 86400 s"):
        gx.io.read_geo("GSE9476", annotate=False)
    assert server.requests(MATRIX) == 1
    assert not (tmp_path / "cache" / MATRIX_REL).exists()


def test_retry_after_reads_seconds_and_http_dates():
    from email.utils import format_datetime

    from gexclust.io._download import retry_after

    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=120)
    assert retry_after({"Retry-After": "30"}) == 30.0
    assert retry_after({"Retry-After": format_datetime(later, usegmt=True)}) == (
        pytest.approx(120, abs=3))
    assert retry_after({"Retry-After": "soon"}) is None
    assert retry_after({}) is None


def test_persistent_500_gives_clear_error(server, tmp_path):
    server.state["fail_500"][MATRIX] = 99
    with pytest.raises(DownloadError, match=r"after 4 attempts \(500"):
        gx.io.read_geo("GSE9476", annotate=False)
    assert not (tmp_path / "cache" / MATRIX_REL).exists()


def test_truncated_gzip_never_enters_the_cache(server, tmp_path):
    server.state["truncate"].add(MATRIX)
    with pytest.raises(gx.InputError, match=r"is broken.*nothing was cached"):
        gx.io.read_geo("GSE9476", annotate=False)
    cached = tmp_path / "cache" / MATRIX_REL
    assert not cached.exists()
    assert not [p for p in cached.parent.iterdir() if p.suffix == ".part"]
    server.state["truncate"].clear()
    assert gx.io.read_geo("GSE9476", annotate=False).n_obs == 64


def test_junk_after_a_complete_gzip_download_is_named_as_such(server, geo_root, tmp_path):
    # before: "is broken (corrupt or truncated gzip data (Error -3 ... incorrect header
    # check); ...)" for a complete series matrix followed by an HTML error page
    data = (geo_root / MATRIX_REL).read_bytes()
    server.state["body"][MATRIX] = data + b"<html>502</html>"
    with pytest.raises(gx.InputError, match=rf"is broken \(trailing data after the end of the gzip stream, at byte offset {len(data):,} \(starting b'<html>502</html>'\); .*nothing was cached$"):  # noqa: E501
        gx.io.read_geo("GSE9476", annotate=False)
    assert not (tmp_path / "cache" / MATRIX_REL).exists()

def test_a_whole_gzip_of_a_cut_series_matrix_never_enters_the_cache(server, geo_root, tmp_path):
    # before: a server compressing on the fly a matrix cut at a line end in its table sent
    # whole gzip data; it was cached as verified, and every later run (online too) said
    # "...: the data table that starts at line 10 never ends (no '!series_matrix_table_end');
    # the file is truncated", while gexclust never downloaded it again
    text = gzip.decompress((geo_root / MATRIX_REL).read_bytes())
    cut = text[: text.index(b"\n", len(text) // 2) + 1]
    server.state["body"][MATRIX] = gzip.compress(cut)
    last = cut.rstrip()[-40:].decode()
    with pytest.raises(gx.InputError, match=re.escape(
            "is broken (the text does not end with its table's end "
            f"('!series_matrix_table_end', it ends {last!r}): the file was cut short); "
            "nothing was cached")):
        gx.io.read_geo("GSE9476", annotate=False)
    assert not (tmp_path / "cache" / MATRIX_REL).exists()
    del server.state["body"][MATRIX]
    assert gx.io.read_geo("GSE9476", annotate=False).n_obs == 64


SOFT_REL = "series/GSE9nnn/GSE9476/soft/GSE9476_family.soft.gz"


def _listing_its_samples(text: bytes) -> bytes:
    """The fixture's family SOFT with its series' !Series_sample_id lines, as GEO writes."""
    ids = re.findall(rb"^\^SAMPLE = (GSM[0-9]+)$", text, flags=re.MULTILINE)
    lines = b"".join(b"!Series_sample_id = %s\n" % gsm for gsm in ids)
    return text.replace(b"^PLATFORM", lines + b"^PLATFORM", 1)


@pytest.mark.parametrize(("end", "problem"), [
    (lambda text: text.index(b"\n", len(text) // 2) + 1,
     "the table of SAMPLE GSM239493 that starts at line 713483 never ends"),
    (lambda text: text.rindex(b"^SAMPLE"),  # after a whole sample table
     "series GSE9476 (line 1) lists 1 sample(s) with no record in this file (GSM240509)"),
    (lambda text: text.index(b"!sample_table_begin", text.rindex(b"^SAMPLE")),
     "the file ends in the header of SAMPLE GSM240509"),
])
def test_a_whole_gzip_of_a_cut_family_soft_never_enters_the_cache(server, geo_root, tmp_path,
                                                                  end, problem):
    """Before: cached as verified, and every later read refused it ('... never ends (no
    '!..._table_end' line); the file is truncated') while gexclust never downloaded it
    again, even once the server sent the whole file."""
    text = _listing_its_samples(gzip.decompress((geo_root / SOFT_REL).read_bytes()))
    server.state["body"][f"/geo/{SOFT_REL}"] = gzip.compress(text[: end(text)])
    message = refusal(gx.io.read_geo, "GSE9476", source="soft", annotate=False)
    assert message.startswith("download of family SOFT of GSE9476 from ")
    assert "is broken (" in message
    assert problem in message
    assert message.endswith("; nothing was cached")
    assert not (tmp_path / "cache" / SOFT_REL).exists()
    server.state["body"][f"/geo/{SOFT_REL}"] = gzip.compress(text)
    assert gx.io.read_geo("GSE9476", source="soft", annotate=False).n_obs == 64


def test_a_whole_gzip_of_a_cut_annotation_never_enters_the_cache(server, geo_root, tmp_path,
                                                                 caplog):
    text = gzip.decompress((geo_root / ANNOT[len("/geo/"):]).read_bytes())
    server.state["body"][ANNOT] = gzip.compress(text[: text.index(b"\n", len(text) // 2) + 1])
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        gx.io.read_geo("GSE9476")
    assert "download of annotation of GPL96 from " in caplog.text
    assert ("is broken (the table of ANNOTATION GPL96 that starts at line 7 never ends"
            in caplog.text)
    assert not (tmp_path / "cache" / ANNOT[len("/geo/"):]).exists()
    del server.state["body"][ANNOT]
    gx.io.read_geo("GSE9476")
    assert server.requests(ANNOT) == 2
    assert (tmp_path / "cache" / ANNOT[len("/geo/"):]).exists()


def test_a_complete_matrix_whose_last_piece_is_blank_is_not_called_cut(geo_root, tmp_path):
    # before: the check kept the 24 bytes before each decompressed piece; a last piece of
    # blanks alone (here a gzip member of its own, as when a newline is appended with
    # cat) left 'series_matrix_table_end' without its '!', and a file read_series_matrix
    # reads was refused by fetch as "the file was cut short"
    from gexclust.io._geo_fetch import check_gzip_file

    text = gzip.decompress((geo_root / MATRIX_REL).read_bytes())
    assert text.endswith(b"!series_matrix_table_end\n")
    path = tmp_path / "GSE9476_series_matrix.txt.gz"
    path.write_bytes(gzip.compress(text) + gzip.compress(b"\n"))
    check_gzip_file("matrix", "GSE9476")(path)  # no error
    assert gx.io.read_series_matrix(path, annotate=False).n_obs == 64


def test_broken_cached_file_is_fetched_again(server, tmp_path):
    gx.io.read_geo("GSE9476", annotate=False)
    cached = tmp_path / "cache" / MATRIX_REL
    data = cached.read_bytes()
    cached.write_bytes(data[: len(data) // 3])  # e.g. a disk error or an old, killed tool
    adata = gx.io.read_geo("GSE9476", annotate=False)
    assert adata.n_obs == 64
    assert server.requests(MATRIX) == 2
    assert cached.read_bytes() == data


def test_offline_without_cache_is_a_clear_error(server):
    with pytest.raises(DownloadError, match=r"not in the cache.*offline=True"):
        gx.io.read_geo("GSE9476", offline=True)
    assert server.requests(MATRIX) == 0


def test_a_cache_folder_that_is_a_file_is_named(server, tmp_path, monkeypatch):
    """Before: '[Errno 20] Not a directory: <file>/series/GSEnnn/...', from deep inside."""
    blocker = tmp_path / "cache_file"
    blocker.write_text("mine")
    with pytest.raises(ValueError, match=r"^cache_dir .*cache_file: is a file, not a folder"):
        gx.io.read_geo("GSE9476", cache_dir=blocker)
    monkeypatch.setenv("GEXCLUST_CACHE_DIR", str(blocker))
    with pytest.raises(ValueError, match=r"\$GEXCLUST_CACHE_DIR .*: is a file, not a folder"):
        gx.io.read_geo("GSE9476")
    assert server.requests(MATRIX) == 0
    assert blocker.read_text() == "mine"


@pytest.mark.skipif(sys.platform != "linux", reason="the user cache folder from XDG_CACHE_HOME")
def test_the_default_cache_is_named_as_it_is_chosen(server, tmp_path, monkeypatch, cli):
    """Before, the command line chose the cache folder with a copy of cache_root's choice, which
    named the settings otherwise ("cache_dir (gexclust: --cache-dir)" from the library, which
    the command line called for fetch) and showed the user cache folder without its /geo."""
    from gexclust.io._geo_fetch import cache_root

    monkeypatch.delenv("GEXCLUST_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    default = tmp_path / "xdg" / "gexclust" / "geo"
    assert cache_root() == default
    default.parent.mkdir(parents=True)
    default.write_text("mine")
    with pytest.raises(ValueError, match="is a file") as raised:
        gx.io.read_geo("GSE9476")
    assert str(raised.value) == (
        "the default GEO cache folder (in the user cache folder; cache_dir or "
        f"$GEXCLUST_CACHE_DIR choose another) {default}: is a file, not a folder; give a folder "
        "for the GEO cache")
    for command in (("fetch", "GSE9476"), ("run", "GSE9476", "-o", tmp_path / "out")):
        result = cli(*command, check=False)
        assert (result.returncode, result.stderr) == (1, (
            "gexclust: error: the default GEO cache folder (in the user cache folder; "
            f"--cache-dir or $GEXCLUST_CACHE_DIR choose another) {default}: is a file, not a "
            "folder; give a folder for the GEO cache\n"))
        result = cli(*command, "--cache-dir", default, check=False)
        assert (result.returncode, result.stderr) == (1, (
            f"gexclust: error: --cache-dir {default}: is a file, not a folder; give a folder "
            "for the GEO cache\n"))
    assert not (tmp_path / "out").exists()
    assert default.read_text() == "mine"
    assert server.requests(MATRIX) == 0


def test_a_read_only_cache_without_the_matrix_says_so_not_that_geo_lacks_it(server, tmp_path):
    """Before: a read-only cache (folders 555) holding GPL96's annotation but not the series
    matrix of GSE9476 (one platform) said, online, "GEO has no series matrix for GSE9476
    (nothing listed under ...)": the cache's refusal was taken for a series of several
    platforms, whose listing holds none. Now it names the read-only cache."""
    import subprocess

    from tests.conftest import unprivileged

    cache = tmp_path / "cache"
    gx.io.fetch_geo("GSE9476")
    for lock in cache.rglob("*.lock"):
        lock.unlink()
    matrix = cache / MATRIX_REL
    matrix.unlink()
    matrix.with_name(matrix.name + ".sha256").unlink()
    folders = [cache, *(p for p in cache.rglob("*") if p.is_dir())]
    preexec = unprivileged()
    for folder in folders:
        folder.chmod(0o555)
    try:
        result = subprocess.run([sys.executable, "-m", "gexclust", "fetch", "GSE9476"],
                                capture_output=True, text=True, preexec_fn=preexec,
                                timeout=120, check=False)
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert (result.returncode, result.stderr) == (1, (
        f"gexclust: error: {matrix.parent}: cannot write the GEO cache there (Permission "
        "denied), and it holds no verified copy of series matrix of GSE9476; choose another "
        "cache folder (--cache-dir, cache_dir=, $GEXCLUST_CACHE_DIR)\n"))
    assert server.requests(MATRIX) == 1


def test_a_read_only_cache_is_read_but_never_written(server, tmp_path):
    """Before: a cache the user cannot write (a lab's shared one) could not be read at all, not
    even offline: "<folder>: cannot write the GEO cache there (Permission denied)", from the
    lock file. Its verified files are now read without the lock, with one line saying so;
    what would need writing still fails in one line naming the folder."""
    import subprocess

    from tests.conftest import unprivileged

    cache = tmp_path / "cache"
    gx.io.fetch_geo("GSE9476")  # the series matrix and GPL96's annotation
    for lock in cache.rglob("*.lock"):  # as in a cache copied to the shared place (or another
        lock.unlink()                   # user's, whose lock files this user cannot open)
    before = {p: p.read_bytes() for p in cache.rglob("*") if p.is_file()}
    folders = [cache, *(p for p in cache.rglob("*") if p.is_dir())]
    preexec = unprivileged()  # root ignores folder modes: its child must not

    def gexclust(*args):
        return subprocess.run([sys.executable, "-m", "gexclust", *args], capture_output=True,
                              text=True, preexec_fn=preexec, timeout=120, check=False)

    matrix, annot = cache / MATRIX_REL, cache / ANNOT.removeprefix("/geo/")
    note = (f"gexclust: warning: the GEO cache {cache} is read-only (Permission denied): its "
            "verified files are read without locking them, and nothing can be downloaded "
            "into it\n")
    for folder in folders:
        folder.chmod(0o555)
    try:
        for offline in (("--offline",), ()):  # a verified copy needs no network either way
            result = gexclust("fetch", "GSE9476", *offline)
            assert (result.returncode, result.stderr) == (0, note)
            assert [line.split()[-1] for line in result.stdout.splitlines()[1:]] == [
                str(matrix), str(annot)]
        soft = cache / Path(MATRIX_REL).parent.parent / "soft" / "GSE9476_family.soft.gz"
        # offline or not, the same line: before, offline said to "run once with network
        # access", which cannot fill a read-only cache either
        for offline in (("--offline",), ()):
            result = gexclust("fetch", "GSE9476", "--source", "soft", *offline)
            assert (result.returncode, result.stderr) == (1, (
                f"gexclust: error: {soft.parent.parent}: cannot write the GEO cache there "
                "(Permission denied), and it holds no verified copy of family SOFT of GSE9476; "
                "choose another cache folder (--cache-dir, cache_dir=, $GEXCLUST_CACHE_DIR)\n"))
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert {p: p.read_bytes() for p in cache.rglob("*") if p.is_file()} == before
    assert server.requests(MATRIX) == 1


def test_each_read_only_cache_is_noted_once_whatever_the_folder_it_is_named_from(server,
                                                                                  tmp_path):
    """The read-only note is said once per cache folder in a process: a notebook reading a
    second read-only cache is told about it too, and one reading the same cache again is not
    told again (a loop over a lab cache's series would repeat it per series). Before, the
    cache was remembered by the name given: after os.chdir, cache_dir='cache' named another
    read-only folder, and nothing was said of it."""
    import subprocess

    from tests.conftest import unprivileged

    gx.io.fetch_geo("GSE9476")  # into tmp_path / "cache"
    for lock in (tmp_path / "cache").rglob("*.lock"):
        lock.unlink()
    (tmp_path / "lab").mkdir()
    for copy in ("other", "lab/cache"):
        shutil.copytree(tmp_path / "cache", tmp_path / copy)
    folders = [p for p in tmp_path.rglob("*") if p.is_dir()]
    code = """if True:
        import os
        import gexclust as gx
        for folder, cache in [('.', 'cache'), ('.', 'other'), ('.', 'cache'), ('lab', 'cache'),
                              ('..', 'lab/cache')]:
            os.chdir(folder)
            gx.io.read_geo('GSE9476', cache_dir=cache)
            print('read', cache, flush=True)
        """
    for folder in folders:
        folder.chmod(0o555)
    try:
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                cwd=tmp_path, preexec_fn=unprivileged(), timeout=120,
                                check=False)
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("read") == 5
    assert [line.split(" is read-only")[0] for line in result.stderr.splitlines()] == [
        "the GEO cache cache", "the GEO cache other", "the GEO cache cache"]


def test_a_cache_that_cannot_be_made_names_the_culprit(server, tmp_path, cli):
    """Before: "[Errno 17] File exists: 'cache'" for a link to a missing folder, "[Errno 20]
    Not a directory: '<cache>/series/GSE9nnn/GSE9476/matrix'" for a file in the cache's path,
    "[Errno 40] Too many levels of symbolic links: ..." for a loop."""
    root, cache = tmp_path / "c", tmp_path / "c" / "cache"
    root.mkdir()
    for make, culprit, problem in [
        (lambda: cache.symlink_to("nowhere"), "cache",
         "is a symbolic link to a missing folder (nowhere); give a folder for the GEO cache"),
        (lambda: cache.symlink_to("cache"), "cache", "is a symbolic link that cannot be "
         "followed (Too many levels of symbolic links); give a folder for the GEO cache"),
        (lambda: (cache.mkdir(), (cache / "series").write_text("mine")), "cache/series",
         "is a file, not a folder, in the path of the GEO cache folder "
         f"{cache / Path(MATRIX_REL).parent}; choose another cache folder (--cache-dir, "
         "cache_dir=, $GEXCLUST_CACHE_DIR)"),
        (lambda: (cache.mkdir(), (cache / "series").symlink_to("gone")), "cache/series",
         "is a symbolic link to a missing folder (gone), in the path of the GEO cache folder "
         f"{cache / Path(MATRIX_REL).parent}; choose another cache folder (--cache-dir, "
         "cache_dir=, $GEXCLUST_CACHE_DIR)"),
    ]:
        shutil.rmtree(root)
        root.mkdir()
        make()
        result = cli("fetch", "GSE9476", "--cache-dir", cache, check=False)
        setting = "--cache-dir " if culprit == "cache" else ""
        assert (result.returncode, result.stderr) == (
            1, f"gexclust: error: {setting}{root / culprit}: {problem}\n")
    assert server.requests(MATRIX) == 0


def _refused_as_a_link(result, lock: Path, mine: Path, server) -> None:
    """The fetch stopped at the linked lock file in one line: nothing written, nothing fetched."""
    assert (result.returncode, result.stderr) == (1, (
        f"gexclust: error: {lock}: is a symbolic link, not a lock file of gexclust's; remove "
        "it (the cache's lock files are never written through links)\n"))
    assert mine.read_text() == "precious"
    assert server.requests(MATRIX) == 0


def test_a_lock_file_that_is_a_link_is_never_written_through(server, tmp_path, cli):
    """Before, with filelock 3.12 (the lowest allowed): a link planted in a shared cache as
    GSE9476_series_matrix.txt.gz.lock emptied the user's file it pointed to (O_TRUNC through
    the link) and the fetch went on; with filelock 4: "[Errno 40] Too many levels ..."."""
    mine = tmp_path / "mine.txt"
    mine.write_text("precious")
    folder = tmp_path / "cache" / Path(MATRIX_REL).parent
    folder.mkdir(parents=True)
    lock = folder / "GSE9476_series_matrix.txt.gz.lock"
    lock.symlink_to(mine)
    result = cli("fetch", "GSE9476", "--no-annotation", check=False)
    _refused_as_a_link(result, lock, mine, server)


def test_a_lock_file_linked_after_the_check_is_never_written_through(server, tmp_path, cli,
                                                                     monkeypatch):
    """Before, with filelock 3.12 (then the lowest allowed): a link planted as the lock file
    between gexclust's check for a link and filelock's opening of it (another user of a shared
    cache, at the wrong moment) emptied the file it pointed to, and the fetch went on."""
    import filelock

    mine = tmp_path / "mine.txt"
    mine.write_text("precious")
    lock = tmp_path / "cache" / Path(MATRIX_REL).parent / "GSE9476_series_matrix.txt.gz.lock"
    acquire = filelock.FileLock.acquire

    def linked_meanwhile(self, *args, **kwargs):
        if Path(self.lock_file) == lock and not lock.is_symlink():
            lock.unlink(missing_ok=True)
            lock.symlink_to(mine)
        return acquire(self, *args, **kwargs)

    monkeypatch.setattr(filelock.FileLock, "acquire", linked_meanwhile)
    result = cli("fetch", "GSE9476", "--no-annotation", check=False)
    _refused_as_a_link(result, lock, mine, server)


@pytest.mark.parametrize(
    "accession",
    ["../../etc/passwd", "GSE9476/../../x", "GSE", "gse9476", "GSE9476 ", "GSE1;rm -rf", "GXX1",
     "GSE12\n", ""],
)
def test_malicious_accession_is_refused(server, accession, tmp_path):
    with pytest.raises(ValueError, match="is not a GEO accession"):
        gx.io.read_geo(accession)
    assert sum(server.state["requests"].values()) == 0
    assert not (tmp_path / "cache").exists()


def _fetch_in_process(url, cache, queue):
    import os

    os.environ["GEXCLUST_GEO_URL"] = url
    try:
        adata = gx.io.read_geo("GSE9476", cache_dir=cache, annotate=False)
        queue.put(adata.n_obs)
    except Exception as err:  # reported to the parent test
        queue.put(repr(err))


def test_two_processes_fetch_once(server, tmp_path):
    server.state["delay"] = 0.3  # keep the first download in flight while the second starts
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    url = f"{server.url}/geo"
    procs = [context.Process(target=_fetch_in_process, args=(url, tmp_path / "shared", queue))
             for _ in range(2)]
    for proc in procs:
        proc.start()
    results = [queue.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
    assert results == [64, 64]
    assert server.requests(MATRIX) == 1


def two_platform_series(geo_root, accession: str):
    """Serve ``accession`` as a series of two platforms (GPL96, GPL97); returns its folder."""
    folder = geo_root / "series" / "GSE9nnn" / accession / "matrix"
    folder.mkdir(parents=True, exist_ok=True)
    # the series' own accession in its files, as GEO writes it: a file of another is refused
    source = gzip.decompress((geo_root / MATRIX_REL).read_bytes()).replace(
        b"GSE9476", accession.encode())
    for gpl in ("GPL96", "GPL97"):
        text = source.replace(b"GPL96", gpl.encode())
        (folder / f"{accession}-{gpl}_series_matrix.txt.gz").write_bytes(gzip.compress(text))
    return folder


def test_a_listing_cut_short_is_refused(server, geo_root):
    """GEO's folder listing sent in part (its full length announced). Before:
    read_geo(platform='all') returned {'GPL96': ...} only, without a word."""
    folder = two_platform_series(geo_root, "GSE9477")
    try:
        server.state["short"]["/geo/series/GSE9nnn/GSE9477/matrix/"] = 1
        with pytest.raises(DownloadError, match=r"^could not list http://127\.0\.0\.1:\d+/geo/"
                           r"series/GSE9nnn/GSE9477/matrix/: connection closed after \d+ of "
                           r"\d+ bytes$"):
            gx.io.read_geo("GSE9477", platform="all", annotate=False)
        assert sorted(gx.io.read_geo("GSE9477", platform="all", annotate=False)) == [
            "GPL96", "GPL97"]
    finally:
        shutil.rmtree(folder.parent)


def test_a_content_length_that_is_no_number_is_read_to_the_end(server, geo_root):
    """'N, N' (a proxy merging a repeated header), on a listing and on a download. Before:
    "gexclust: error: ValueError: invalid literal for int() with base 10: '441, 441'"."""
    folder = two_platform_series(geo_root, "GSE9477")
    try:
        for path in ("/geo/series/GSE9nnn/GSE9477/matrix/",
                     "/geo/series/GSE9nnn/GSE9477/matrix/GSE9477-GPL97_series_matrix.txt.gz"):
            server.state["length_header"][path] = lambda n: f"{n}, {n}"
        both = gx.io.read_geo("GSE9477", platform="all", annotate=False)
        assert {gpl: adata.shape for gpl, adata in both.items()} == {
            "GPL96": (64, 22283), "GPL97": (64, 22283)}
    finally:
        shutil.rmtree(folder.parent)


def test_multi_platform_series_lists_platforms(server, geo_root, tmp_path):
    folder = two_platform_series(geo_root, "GSE9477")
    try:
        with pytest.raises(gx.InputError, match=r"spans 2 platforms \(GPL96, GPL97\).*"
                           r"--platform GPL96"):
            gx.io.read_geo("GSE9477", annotate=False)
        one = gx.io.read_geo("GSE9477", platform="GPL97", annotate=False)
        assert one.uns["geo"]["platform"] == "GPL97"
        both = gx.io.read_geo("GSE9477", platform="all", annotate=False)
        assert sorted(both) == ["GPL96", "GPL97"]
        server.stop()
        cached = gx.io.read_geo("GSE9477", platform="all", annotate=False, offline=True)
        assert sorted(cached) == ["GPL96", "GPL97"]
        with pytest.raises(gx.InputError, match=r"spans 2 platforms"):
            gx.io.read_geo("GSE9477", annotate=False, offline=True)
    finally:
        shutil.rmtree(folder.parent)


def test_readme_geo_example_runs_as_written(server, geo_root):
    # the README's GEO block, verbatim, against this server: GSE9476 as GEO has it, and GSE781
    # served as a series of its two platforms (in GEO's GSEnnn folder)
    from tests.test_readme import _python_block

    folder = geo_root / "series" / "GSEnnn" / "GSE781" / "matrix"
    folder.mkdir(parents=True)
    source = gzip.decompress((geo_root / MATRIX_REL).read_bytes())
    for gpl in ("GPL96", "GPL97"):
        text = source.replace(b"GSE9476", b"GSE781").replace(b"GPL96", gpl.encode())
        (folder / f"GSE781-{gpl}_series_matrix.txt.gz").write_bytes(gzip.compress(text))
    try:
        namespace = {"gx": gx}
        exec(compile(_python_block("### GEO"), "README.md", "exec"), namespace)
    finally:
        shutil.rmtree(folder.parent)
    assert namespace["adata"].obs["type"].value_counts().to_dict() == CLASSES
    assert sorted(namespace["gse781"]) == ["GPL96", "GPL97"]  # {'GPL96': AnnData, ...}
    genes = namespace["genes"]
    assert genes.var_names.is_unique
    assert genes.uns["collapse_probes"]["how"] == "max_mean"
    assert genes.n_vars == 13012  # GPL96's gene symbols, as in tutorial 2 (GSE781 on GPL96)


@pytest.mark.parametrize("annot_problem", ["missing", "html_page"])
def test_platform_annotation_falls_back_to_soft(server, geo_root, tmp_path, annot_problem):
    annot = geo_root / "platforms/GPLnnn/GPL96/annot/GPL96.annot.gz"
    moved = annot.with_suffix(".bak")
    annot.rename(moved)
    if annot_problem == "html_page":  # GEO's front end answering 200 with a page
        server.state["body"][ANNOT] = b"<!DOCTYPE html><html>Service unavailable</html>\n"
    soft = geo_root / "platforms/GPLnnn/GPL96/soft/GPL96_family.soft.gz"
    soft.parent.mkdir(parents=True, exist_ok=True)
    text = gzip.decompress(moved.read_bytes()).decode().replace("^Annotation = GPL96", "^PLATFORM = GPL96")  # noqa: E501
    soft.write_bytes(gzip.compress(text.encode()))
    try:
        adata = gx.io.read_geo("GSE9476")
        assert adata.var.loc["1053_at", "gene_symbol"] == "RFC2"
        assert server.requests("/GPL96_family.soft.gz") == 1
    finally:
        moved.rename(annot)
        shutil.rmtree(soft.parent)


def test_fetch_cli_reports_cached_files(server, tmp_path):
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "gexclust.cli", "fetch", "GSE9476"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "GSE9476_series_matrix.txt.gz" in proc.stdout
    assert "GPL96.annot.gz" in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "gexclust.cli", "fetch", "../etc"],
                         capture_output=True, text=True)
    assert bad.returncode == 1
    assert bad.stderr.startswith("gexclust: error:")
    assert "not a GEO accession" in bad.stderr


def test_run_cli_from_geo(server, tmp_path):
    import json
    import subprocess
    import sys

    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "gexclust.cli", "run", "GSE9476", "-o", str(out),
                           "--quiet", "--n-clusters", "5"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["input"]["accession"] == "GSE9476"
    assert summary["ari_vs_type"] == pytest.approx(1.0)


def test_single_sample_from_the_record_viewer(server, geo_root, monkeypatch):
    from tests.conftest import shared_file

    text = gzip.decompress(shared_file("GSM11805.txt.gz").read_bytes())
    viewer = geo_root.parent / "query"
    viewer.mkdir(exist_ok=True)
    (viewer / "acc.cgi").write_bytes(text)  # the test server ignores the query string
    monkeypatch.setenv("GEXCLUST_GEO_QUERY_URL", f"{server.url}/query")
    try:
        adata = gx.io.read_geo("GSM11805")
        assert adata.shape == (1, 22283)
        assert adata["GSM11805", "AFFX-BioB-5_at"].X.item() == 953.9
        assert server.requests("/query/acc.cgi") == 1
        gx.io.read_geo("GSM11805", offline=True)
    finally:
        shutil.rmtree(viewer)


def test_a_2002_era_sample_record_from_the_record_viewer_is_cached(server, geo_root,
                                                                   monkeypatch, tmp_path):
    """GSM645 as GEO wrote it in 2002 (Biopython's copy): a table with no begin/end markers
    and no '!Sample_data_row_count', which read_soft reads. Before: refused at download,
    'the record ends in its header, before '!Sample_data_row_count' and its data table: the
    answer was cut short', and nothing cached. The same record cut in its header still is."""
    from tests.conftest import shared_file

    text = shared_file("peers/biopython/GSM645.txt").read_bytes()
    viewer = geo_root.parent / "query"
    viewer.mkdir(exist_ok=True)
    monkeypatch.setenv("GEXCLUST_GEO_QUERY_URL", f"{server.url}/query")
    try:
        (viewer / "acc.cgi").write_bytes(b"".join(text.splitlines(keepends=True)[:28]))
        with pytest.raises(InputError, match=r"the record ends in its header, before "
                           r"'!Sample_data_row_count' and its data table: the answer was cut"):
            gx.io.fetch_geo("GSM645")
        assert not [f for f in cache_files(tmp_path) if not f.endswith(".lock")]
        (viewer / "acc.cgi").write_bytes(text)
        adata = gx.io.read_geo("GSM645")
        assert adata.shape == (1, 20)
        assert adata["GSM645", "IL10_at"].X.item() == 161
        assert gx.io.read_geo("GSM645", offline=True).shape == (1, 20)
    finally:
        shutil.rmtree(viewer)


@pytest.mark.parametrize(("body", "message"), [
    (b"<html><body>Service unavailable</body></html>\n",
     r"the server answered with an HTML page, not a GEO file \(a proxy's or a login page\?\)"),
    (b"Service unavailable\n",
     r"not a GEO record: expected it to start with b'\^SAMPLE', it starts b'Service"),
    (None, r"the record ends in the middle of a line: the answer was cut short"),
    # cut at a line end, inside the table and before it: before, both were cached as
    # verified, and every later read_geo('GSM11805') failed on the cached file
    (60000, r"the record's data table has no end \('!sample_table_end'\): the answer was "
            r"cut short"),
    (2000, r"the record announces 22283 data rows \(!Sample_data_row_count\) but has no "
           r"data table: the answer was cut short"),
    # before: cut before the row count, cached as verified; read_soft then refused it
    # ('the file ends in the header of SAMPLE GSM11805'), and offline reads could not recover
    (1000, r"the record ends in its header, before '!Sample_data_row_count' and its data "
           r"table: the answer was cut short"),
])
def test_a_broken_sample_record_says_what_is_wrong(server, geo_root, monkeypatch, tmp_path,
                                                  body, message):
    # before: both said "<temporary name>.part: not a complete GEO record (expected it to
    # start with b'^SAMPLE')", the cut-short record although it did start so
    from tests.conftest import shared_file

    text = gzip.decompress(shared_file("GSM11805.txt.gz").read_bytes())
    viewer = geo_root.parent / "query"
    viewer.mkdir(exist_ok=True)
    if body is None:
        body = text[:5000]
    elif isinstance(body, int):  # cut after the last complete line before that byte
        body = text[: text.rindex(b"\n", 0, body) + 1]
    (viewer / "acc.cgi").write_bytes(body)
    monkeypatch.setenv("GEXCLUST_GEO_QUERY_URL", f"{server.url}/query")
    try:
        with pytest.raises(InputError, match=message) as info:
            gx.io.fetch_geo("GSM11805")
    finally:
        shutil.rmtree(viewer)
    assert ".part" not in str(info.value)
    assert not [f for f in cache_files(tmp_path) if not f.endswith(".lock")]


def test_offline_platforms_from_a_partial_cache_are_not_passed_off_as_the_series(
        server, geo_root, caplog):
    """Only GPL97's matrix was fetched; offline, 'all' cannot know GEO also has GPL96.

    Before: ``platform='all'`` offline returned ``{'GPL97': ...}`` without a word, as if the
    series had one platform, and ``platform=None`` said "spans 1 platforms (GPL97)".
    """
    folder = two_platform_series(geo_root, "GSE9478")
    try:
        gx.io.read_geo("GSE9478", platform="GPL97", annotate=False)
        server.stop()
        with caplog.at_level("WARNING", logger="gexclust"):
            cached = gx.io.read_geo("GSE9478", platform="all", annotate=False, offline=True)
        assert sorted(cached) == ["GPL97"]
        assert ("offline: the platforms of GSE9478 are those whose series matrix is in the "
                "cache (GPL97); GEO may have more") in caplog.text
        with pytest.raises(gx.InputError, match=r"the cache holds the series matrix of "
                           r"GSE9478 on GPL97 only.*platform='GPL97'.*--platform GPL97"):
            gx.io.read_geo("GSE9478", annotate=False, offline=True)
    finally:
        shutil.rmtree(folder.parent)


def test_a_platform_accession_is_not_read_as_a_series(server):
    """read_geo('GPL96') fetched the annotation, then failed with KeyError: 'matrix' (a
    traceback for a valid accession). A platform has no expression values: it is refused
    before any download, with the call that reads its table, which works as written."""
    with pytest.raises(InputError, match=(
            r"^GPL96 is a platform \(probe annotation, no expression values\); read_geo reads "
            r"series \(GSE\), datasets \(GDS\) and samples \(GSM\)\. For its probe table: "
            r"gexclust\.io\.read_gpl\(gexclust\.io\.fetch_geo\('GPL96'\)\['annot'\]\[0\]\)$")):
        gx.io.read_geo("GPL96")
    assert server.requests("GPL96.annot.gz") == 0
    table = gx.io.read_gpl(gx.io.fetch_geo("GPL96")["annot"][0])
    assert table.loc["1053_at", "gene_symbol"] == "RFC2"


def test_a_dataset_is_fetched_from_geos_datasets_folder(server, geo_root):
    """GDS5373 (dash-bio's copy of GEO's file) served at GEO's datasets/GDS5nnn/ path reads
    as the file itself."""
    from tests.conftest import shared_file

    source = shared_file("peers/dash-bio/GDS5373.soft.gz")
    folder = geo_root / "datasets" / "GDS5nnn" / "GDS5373" / "soft"
    folder.mkdir(parents=True)
    shutil.copy(source, folder / "GDS5373.soft.gz")
    try:
        adata = gx.io.read_geo("GDS5373")
    finally:
        shutil.rmtree(geo_root / "datasets")
    local = gx.io.read_soft(source)
    assert adata.shape == local.shape == (4, 54675)
    np.testing.assert_array_equal(adata.X, local.X)
    assert adata.obs.equals(local.obs)
    assert server.requests("/GDS5373.soft.gz") == 1


def test_platform_given_for_a_single_platform_series(server):
    """GSE9476 is on GPL96 only: GEO has no GSE9476-GPL96_series_matrix.txt.gz, so its one
    matrix is read; another platform is refused, naming the series' own."""
    adata = gx.io.read_geo("GSE9476", platform="GPL96")
    assert adata.uns["geo"]["platform"] == "GPL96"
    assert adata.obs["type"].value_counts().to_dict() == CLASSES
    assert server.requests("/GSE9476-GPL96_series_matrix.txt.gz") == 1  # 404, then:
    assert server.requests(MATRIX) == 1
    with pytest.raises(InputError, match=r"^series GSE9476 has no samples on GPL97; it has "
                       r"GPL96$"):
        gx.io.read_geo("GSE9476", platform="GPL97", annotate=False)


def test_family_soft_fetched_for_a_platform_the_series_lacks_is_refused(server, tmp_path):
    # before: 'gexclust fetch GSE9476 --source soft --platform GPL570' cached the family SOFT
    # and listed it as fetched, exit 0 (the platform was checked only when the file was read)
    with pytest.raises(InputError) as err:
        gx.io.fetch_geo("GSE9476", source="soft", platform="GPL570")
    assert str(err.value) == "series GSE9476 has no samples on GPL570; it has GPL96"
    assert "GSE9476_family.soft.gz" in cache_files(tmp_path)  # verified: kept for other uses
    files = gx.io.fetch_geo("GSE9476", source="soft", platform="GPL96", offline=True)
    assert [p.name for p in files["soft"]] == ["GSE9476_family.soft.gz"]


def test_another_series_served_under_the_requested_path_never_enters_the_cache(
        server, geo_root, tmp_path):
    """Before, GSE9999's matrix served as GSE9476's was cached as verified and read_geo
    ('GSE9476') returned its 64 x 22283 values with .uns['geo']['accession'] == 'GSE9999'."""
    data = gzip.decompress((geo_root / MATRIX_REL).read_bytes())
    server.state["body"][MATRIX] = gzip.compress(data.replace(b"GSE9476", b"GSE9999"))
    with pytest.raises(InputError, match=r"series matrix of GSE9476 .* is broken \(the file is "
                       r"GSE9999's, not GSE9476's \(it declares '!Series_geo_accession\\t"
                       r"\"GSE9999'\)\); nothing was cached$"):
        gx.io.read_geo("GSE9476", annotate=False)
    assert not (tmp_path / "cache" / MATRIX_REL).exists()
    del server.state["body"][MATRIX]
    adata = gx.io.read_geo("GSE9476", annotate=False)
    assert adata.uns["geo"]["accession"] == "GSE9476"
    assert adata.n_obs == 64


def test_another_sample_record_from_the_record_viewer_is_refused(server, geo_root,
                                                                 monkeypatch, tmp_path):
    """Before, the record of GSM11805 asked for as GSM11806 was cached as GSM11806's."""
    from tests.conftest import shared_file

    viewer = geo_root.parent / "query"
    viewer.mkdir(exist_ok=True)
    (viewer / "acc.cgi").write_bytes(gzip.decompress(shared_file("GSM11805.txt.gz").read_bytes()))
    monkeypatch.setenv("GEXCLUST_GEO_QUERY_URL", f"{server.url}/query")
    try:
        with pytest.raises(InputError, match=r"sample GSM11806 .* is broken \(the file is "
                           r"GSM11805's, not GSM11806's \(it declares '\^SAMPLE = GSM11805'\)\)"):
            gx.io.fetch_geo("GSM11806")
        assert not list((tmp_path / "cache").rglob("GSM11806.soft"))
        assert gx.io.read_geo("GSM11805").obs_names.tolist() == ["GSM11805"]
    finally:
        shutil.rmtree(viewer)


SHORT_SOFT = (b"^SAMPLE = GSM1\n!Sample_platform_id = GPL1\n!Sample_data_row_count = 5\n"
              b"!sample_table_begin\nID_REF\tVALUE\np1\t1.0\n!sample_table_end\n")


def test_the_cut_soft_check_quiets_its_own_thread_only(tmp_path, caplog):
    """Before: the check added a filter to the package logger that dropped every record
    while it parsed, another thread's too (a notebook fetching or clustering meanwhile):
    'another thread's warning' was lost."""
    from gexclust._logging import logger
    from gexclust.io._geo_fetch import refuse_cut_soft

    fifo = tmp_path / "family.soft"
    os.mkfifo(fifo)
    checker = threading.Thread(target=refuse_cut_soft, args=(fifo,))
    with caplog.at_level(logging.WARNING, logger="gexclust"):
        checker.start()
        with open(fifo, "wb") as fh:  # open returns once the check has opened it to parse
            logger.warning("another thread's warning")
            fh.write(SHORT_SOFT)
        checker.join()
    # the check's own warning (1 data row of 5 declared) stays quiet: the reader says it
    assert caplog.messages == ["another thread's warning"]


@pytest.mark.parametrize("extra", [
    lambda data: data,  # the whole file sent twice over: two gzip members
    lambda data: gzip.compress(b"!Series_title\t\"another\"\n"),
], ids=["sent twice", "text after the end"])
def test_a_matrix_with_text_after_its_table_never_enters_the_cache(server, geo_root, tmp_path,
                                                                   extra):
    # before: the matrix sent twice over (a proxy appending a retried answer to the first)
    # ends with its table's end marker too, so it was cached as verified; every later run
    # then stopped with "..., line 22296: '!Series_title ...' after the end of the series
    # matrix table (line 22295); a series matrix holds one table" and never fetched it again
    data = (geo_root / MATRIX_REL).read_bytes()
    server.state["body"][MATRIX] = data + extra(data)
    message = refusal(gx.io.read_geo, "GSE9476", annotate=False)
    assert message.startswith("download of series matrix of GSE9476 from ")
    assert "is broken (text follows its table's end ('!series_matrix_table_end'), starting " \
        "b'!Series_title" in message
    assert message.endswith(": a series matrix holds one table (the file sent twice, or two "
                            "files joined?)); nothing was cached")
    assert not (tmp_path / "cache" / MATRIX_REL).exists()
    del server.state["body"][MATRIX]
    assert gx.io.read_geo("GSE9476", annotate=False).n_obs == 64


def test_a_complete_matrix_whose_end_marker_spans_two_pieces_is_accepted(geo_root, tmp_path):
    # the check of text after the table's end finds the marker across decompressed pieces
    # (here two gzip members, split inside it) and reads past a trailing byte-order mark
    from gexclust.io._geo_fetch import check_gzip_file

    text = gzip.decompress((geo_root / MATRIX_REL).read_bytes())
    split = text.rindex(b"!series_matrix_table_end") + 10
    path = tmp_path / "GSE9476_series_matrix.txt.gz"
    path.write_bytes(gzip.compress(text[:split]) + gzip.compress(text[split:] + b"\xef\xbb\xbf\n"))
    check_gzip_file("matrix", "GSE9476")(path)  # no error
    assert gx.io.read_series_matrix(path, annotate=False).n_obs == 64
    path.write_bytes(gzip.compress(text[:split]) + gzip.compress(text[split:] + b"x\n"))
    with pytest.raises(InputError, match=r"text follows its table's end .* starting b'x'"):
        check_gzip_file("matrix", "GSE9476")(path)


@pytest.mark.parametrize(("call", "error", "message"), [
    # before: re.compile's "first argument must be string or compiled pattern", after both
    # files were fetched and the matrix parsed
    (lambda: gx.io.read_geo("GSE9476", type_from=5), TypeError,
     "io.read_geo: type_from=5 is not valid; give the name of an .obs column or a regular "
     "expression on the sample titles (a str), or None"),
    # before: pandas' "unhashable type: 'list'", as late
    (lambda: gx.io.read_geo("GSE9476", source="soft", type_from=["title"]), TypeError,
     "io.read_geo: type_from=['title'] is not valid; give the name of an .obs column or a "
     "regular expression on the sample titles (a str), or None"),
    # before: "'str' object has no attribute 'download_budget'", from inside the download
    (lambda: gx.io.read_geo("GSE9476", limits="fast"), TypeError,
     "io.read_geo: limits must be a gexclust.io.Limits (or None, for the limits of the "
     "GEXCLUST_* environment variables), got 'fast'"),
    (lambda: gx.io.fetch_geo("GSE9476", limits={"download_budget": 5}), TypeError,
     "io.fetch_geo: limits must be a gexclust.io.Limits (or None, for the limits of the "
     "GEXCLUST_* environment variables), got {'download_budget': 5}"),
])
def test_arguments_are_refused_before_any_request(server, tmp_path, call, error, message):
    """A mistake in an argument is said before anything is fetched, and the cache is not made."""
    with pytest.raises(error) as caught:
        call()
    assert str(caught.value) == message
    assert sum(server.state["requests"].values()) == 0
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("given", ["no", "False", 0, None])
@pytest.mark.parametrize("flag", ["offline", "annotate"])
@pytest.mark.parametrize("name", ["read_geo", "fetch_geo"])
def test_flags_that_are_not_bools_are_refused_before_anything_is_fetched(server, tmp_path,
                                                                         name, flag, given):
    """Before: read_geo('GSE9476', offline='no') went online (any text is true: 'no' too,
    and offline='False' downloaded nothing where the user meant to fetch), without a word."""
    with pytest.raises(TypeError) as caught:
        getattr(gx.io, name)("GSE9476", **{flag: given})
    assert str(caught.value) == f"io.{name}: {flag} must be True or False, got {given!r}"
    assert sum(server.state["requests"].values()) == 0
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(("page", "error", "expected"), [
    (b"<!DOCTYPE html><html><head><title>Proxy sign-in</title></head>"
     b"<body><a href='/login?next=x'>Sign in</a></body></html>", DownloadError,
     "could not list {url}: the server answered with an HTML page titled 'Proxy sign-in' that "
     "lists no files, not GEO's listing of the folder (a proxy's or a login page?)"),
    (b"<html><head><title>Index of /</title></head><body><a href='notes.txt'>notes.txt</a>"
     b"</body></html>", NotOnGeo,
     "no series matrix of GSE1 is listed under {url}: the server answered with an HTML page "
     "titled 'Index of /', which lists none (GEO lists each platform's series matrix there; a "
     "proxy's page?)"),
])
def test_an_html_page_for_a_series_folder_listing_says_what_came(server, geo_root, page,
                                                                 error, expected):
    """Before: a series without a single matrix whose folder listing came back as a proxy's
    page (a sign-in page, a listing of something else) was "GEO has no series matrix for
    GSE1 (nothing listed under URL)": GEO blamed for what a proxy sent."""
    listing = "/geo/series/GSEnnn/GSE1/matrix/"
    server.state["body"][listing] = page
    url = f"{server.url}{listing}"
    with pytest.raises(error) as caught:
        gx.io.fetch_geo("GSE1", annotate=False)
    assert str(caught.value) == expected.format(url=url)
