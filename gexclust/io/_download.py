"""Safe downloads into a cache: locked, retried, bounded, verified end to end, renamed into place.

A file enters the cache only after it downloaded completely and passed a check of its content
(for ``.gz`` targets: the gzip magic, a full inflate within the limits with CRC and length,
and a header of the expected kind); its ``.sha256`` sidecar records what was downloaded and
verified. Only a cached file that matches its record is used: anything else (truncated, edited,
recompressed, or placed there by hand) is fetched again, or refused offline; a record is never
rewritten to fit a file. A file lock makes concurrent runs share one download. Attempts end when
the server is slower than the low-speed limit, each file has an overall time budget, and
redirects may not downgrade https to http or leave the allowed hosts
(:class:`gexclust._limits.Limits`).
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import re
import stat
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from .._atomic import atomic_path, leftover_temporaries
from .._errors import InputError, full_disk_named
from .._files import GZIP_MAGIC, broken_link, sha256_file
from .._limits import ENV, Limits, current, size_text
from .._logging import logger, progress_bars

#: Attempts per file for timeouts, slow or dropped connections, 5xx answers, and the 4xx
#: answers that ask the client to come back later.
ATTEMPTS = 4
#: 408 Request Timeout and 429 Too Many Requests (NCBI's servers limit request rates): a
#: later attempt can succeed, unlike other 4xx answers.
RETRY_4XX = (408, 429)
#: First back-off in seconds; doubles after each failed attempt.
BACKOFF = 1.0
#: Longest wait for any single network read (the low-speed time may make it shorter).
TIMEOUT = 60.0
USER_AGENT = "gexclust (https://github.com/gexclust)"
#: What a full disk under the cache leaves, and what to do.
CHOOSE = "choose another cache folder (--cache-dir, cache_dir=, $GEXCLUST_CACHE_DIR)"
SPACE = f"nothing was cached: free some space or {CHOOSE}"


class NotOnGeo(InputError):
    """GEO answered 404: the accession (or the requested file of it) does not exist."""


class DownloadError(OSError):
    """The network failed for good (after retries), or is unavailable."""


class NotCached(DownloadError):
    """Offline (or the cache is read-only), and the file is not in the cache."""


class RedirectRefused(DownloadError):
    """A redirect to http from https, or to a host that is not allowed."""


def cached_download(url: str, dest: Path, *, check: Callable[[Path], None], offline: bool,
                    what: str, limits: Limits | None = None, cache: Path | None = None) -> Path:
    """Return ``dest``, downloading ``url`` into it first unless a verified copy is cached.

    ``check(path)`` raises :class:`InputError` for a broken file. ``what`` names the file in
    messages (e.g. ``'series matrix of GSE9476'``). A ``dest`` named ``.gz`` must hold gzip
    data, whatever ``check`` does.

    A cache the user may not write (a lab's shared cache, a read-only file system) is read
    without the lock: a verified copy is used, with a note naming ``cache`` (the cache folder,
    by default ``dest``'s) once per process; anything else fails as it would offline, or else
    in one line naming the folder. The lock is skipped only there.
    """
    limits = limits or current()
    if offline and _cache_state(dest) == "missing" and _plain_folder(dest.parent):
        # said before the lock, whose folders and lock file an offline miss left behind; a
        # cache that cannot be written, or a file in its way, is told by the lock as online
        raise NotCached(_offline_miss(what, dest))
    with contextlib.ExitStack() as locked:
        try:
            locked.enter_context(_cache_lock(dest))
        except ReadOnlyCache as err:
            # this user's downloads cannot run there, and whoever may write there renames
            # each file into place whole: its verified files can be read without the lock
            read_only = err
        else:
            read_only = None
            _remove_stale_parts(dest)
        state = _cache_state(dest)
        if state == "verified":
            if read_only is not None:
                _note_read_only(cache or dest.parent, read_only)
            logger.info("cache hit: %s", dest)
            return dest
        if read_only is not None:  # a NotCached error when missing: a series of several
            # platforms then looks for the file of each, as offline. Before the offline
            # advice, which is to run with network access: that cannot fill this cache either
            msg = f"{read_only}, and it holds no verified copy of {what}; {CHOOSE}"
            raise (NotCached if state == "missing" else ReadOnlyCache)(msg)
        if state == "altered" and offline:
            msg = f"cached {what} ({dest}) is not the file that was downloaded and verified (its content differs from {dest.name}.sha256); offline (--offline, offline=True), so it is not used: run once with network access to fetch it again"  # noqa: E501
            raise DownloadError(msg)
        if state == "missing" and offline:  # taken away since the look above
            raise NotCached(_offline_miss(what, dest))
        if state == "altered":
            logger.warning("cached %s (%s) differs from what was downloaded and verified; "
                           "fetching it again", what, dest)
        with (full_disk_named(dest.parent, f"the download of {what}", SPACE),
              atomic_path(dest) as tmp):
            _fetch(url, tmp, what=what, limits=limits)
            with open(tmp, "rb") as fh:
                page = html_page(fh.read(HTML_HEAD))
            if page is not None:  # a proxy's or a login page, not GEO's broken file
                msg = (f"download of {what} from {url}: the server answered with {page}, not a "
                       "GEO file (a proxy's or a login page?); nothing was cached")
                raise InputError(msg)
            try:
                if dest.name.endswith(".gz"):
                    require_gzip(tmp)
                check(tmp)
            except InputError as err:
                problem = str(err).replace(f"{tmp}: ", "").replace(f"{tmp}, ", "")
                msg = f"download of {what} from {url} is broken ({problem}); nothing was cached"
                raise InputError(msg) from None
            # the record first: a crash before the rename leaves a record without its file,
            # which is never trusted
            _write_sidecar(dest, tmp)
    return dest


def _plain_folder(folder: Path) -> bool:
    """Whether ``folder`` is, or could be made, a folder of the user's without a word.

    Its nearest existing folder is writable, and no file or broken link is in its way.
    """
    for path in (folder, *folder.parents):
        if broken_link(path):
            return False
        if path.exists():
            return path.is_dir() and os.access(path, os.W_OK)
    return False


def _offline_miss(what: str, dest: Path) -> str:
    return (f"{what} is not in the cache ({dest}) and offline (--offline, offline=True); run "
            "once with network access")


class ReadOnlyCache(PermissionError):
    """The cache folder cannot be written: its lock file can be neither made nor opened.

    The message names the folder ("<folder>: cannot write the GEO cache there (<reason>)");
    ``reason`` is the system's ("Permission denied", "Read-only file system").
    """

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason


#: Errors of a folder (or file system) the user may read but not write.
READ_ONLY = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
#: Read-only cache folders already noted in this process: the note is said once per folder,
#: not per file or per call (a loop over the series of a lab's cache would repeat it).
_NOTED: set[Path] = set()


def _note_read_only(cache: Path, err: ReadOnlyCache) -> None:
    # the folder, not its name: a relative name after os.chdir (a notebook) is another folder
    folder = cache.resolve()
    if folder not in _NOTED:
        _NOTED.add(folder)
        logger.warning("the GEO cache %s is read-only (%s): its verified files are read "
                       "without locking them, and nothing can be downloaded into it",
                       cache, err.reason)


@contextlib.contextmanager
def _cache_lock(dest: Path) -> Iterator[None]:
    """Hold the lock of ``dest``'s downloads, creating its folder first.

    A cache that cannot be written (read-only, a file where a folder should be, a broken link)
    is one line naming the folder and the setting to change, not the system's "[Errno 20] Not
    a directory" or "[Errno 17] File exists": :class:`ReadOnlyCache` when the folder (or the
    file system) is one the user may not write, so that its verified files can still be read.
    """
    from filelock import FileLock, Timeout

    path = Path(str(dest) + ".lock")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise _cache_unwritable(dest.parent, err) from None
    if path.is_symlink():  # said plainly, before filelock meets it
        raise _linked_lock(path)
    lock = FileLock(str(path), timeout=LOCK_WAIT)
    try:
        # filelock before 3.20.1 opened the lock file with O_TRUNC through a link, so a link
        # planted in a shared cache after the check above emptied the file it points to; from
        # 3.20.1 (the lowest allowed) it refuses links when it opens the file (O_NOFOLLOW)
        _acquire_saying_so(lock, dest)
    except Timeout:  # an OSError too: another download of the same file holds it
        raise
    except OSError as err:
        if err.errno == errno.ELOOP and path.is_symlink():  # one planted after the check
            raise _linked_lock(path) from None
        raise _cache_unwritable(dest.parent, err) from None
    try:
        yield
    finally:
        lock.release()


#: Longest wait, in seconds, for another process's download of the same file.
LOCK_WAIT = 3600


def _acquire_saying_so(lock, dest: Path) -> None:
    """Take ``lock``; when another process's download of ``dest`` holds it, say so, then wait.

    A second 'gexclust fetch' of the same series showed nothing at all while the first
    downloaded, for as long as it took: it looked hung.
    """
    from filelock import Timeout

    try:
        lock.acquire(timeout=0)
    except Timeout:
        logger.warning("%s: another gexclust process is downloading it; waiting for that "
                       "download (at most %g s)", dest, LOCK_WAIT)
        lock.acquire()


def _linked_lock(path: Path) -> FileExistsError:
    msg = (f"{path}: is a symbolic link, not a lock file of gexclust's; remove it (the "
           "cache's lock files are never written through links)")
    return FileExistsError(msg)


def _cache_unwritable(folder: Path, err: OSError) -> OSError:
    """The error of a cache ``folder`` that cannot be created or written, naming the culprit.

    A :class:`ReadOnlyCache` when the user may not write there (and the folder is not one the
    user could write, for a lock file of another user's in a folder of the user's is not a
    read-only cache); its ``reason`` is the system's.
    """
    blocker = next((p for p in [folder, *folder.parents] if broken_link(p) or p.is_file()), None)
    if blocker is not None:
        problem = broken_link(blocker) or "is a file, not a folder"
        msg = f"{blocker}: {problem}, in the path of the GEO cache folder {folder}; {CHOOSE}"
        return type(err)(msg)
    # the folder where the new folder or the lock file could not be made
    where = Path(err.filename).parent if err.filename else folder
    reason = err.strerror or str(err)
    if err.errno in READ_ONLY and not os.access(where, os.W_OK):
        return ReadOnlyCache(f"{where}: cannot write the GEO cache there ({reason})", reason)
    return type(err)(f"{where}: cannot write the GEO cache there ({reason}); {CHOOSE}")


def _remove_stale_parts(dest: Path) -> None:
    """Remove temporary files that killed downloads of ``dest`` (or of its record) left.

    Only ever called under ``dest``'s lock: every download of ``dest`` holds it, so any of
    its temporary files seen now belongs to a dead one.
    """
    for target in (dest, _sidecar(dest)):
        for stale in leftover_temporaries(target):
            logger.info("removing %s, left by an interrupted download", stale)
            stale.unlink(missing_ok=True)


#: Bytes of an answer read to tell an HTML page, and its title.
HTML_HEAD = 4096
_HTML_START = re.compile(rb"\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
                         rb"(?:<!doctype\s+html|<html|<head|<body)", re.IGNORECASE | re.DOTALL)
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.IGNORECASE | re.DOTALL)


def html_page(head: bytes) -> str | None:
    r"""``'an HTML page titled ...'`` when ``head`` (an answer's first bytes) starts one.

    GEO's files start with ``!``, ``^`` or ``#``, and its folder listings are asked for as
    such: a page in a file's place is a proxy's, a login or an error page, which the
    messages called a broken file and quoted as bytes (``b'<!DOCTYPE html>\n<html>...'``).
    """
    head = head.removeprefix(codecs.BOM_UTF8)
    if not _HTML_START.match(head):
        return None
    found = _HTML_TITLE.search(head)
    title = " ".join(found.group(1).decode("utf-8", errors="replace").split()) if found else ""
    return f"an HTML page titled {title[:80]!r}" if title else "an HTML page"


def require_gzip(path: Path) -> None:
    """Raise :class:`InputError` unless ``path`` starts with the gzip magic bytes."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    if not head.startswith(GZIP_MAGIC):
        what = "an empty body" if not head else f"plain data starting {head[:30]!r}"
        msg = f"expected gzip data but the server sent {what}"
        raise InputError(msg)


def _cache_state(dest: Path) -> str:
    """'missing', 'verified' (matches its download record) or 'altered' (anything else)."""
    if not dest.exists():
        return "missing"
    if not (_is_file(dest) and _is_file(_sidecar(dest))):
        return "altered"  # a pipe there (reading it would wait for ever), a folder, no record
    try:
        recorded = _sidecar(dest).read_text().split()
    except (FileNotFoundError, UnicodeDecodeError):
        return "altered"
    if len(recorded) == 2 and recorded[0] == str(dest.stat().st_size) and recorded[1] == sha256_file(dest):  # noqa: E501
        return "verified"
    return "altered"


def _is_file(path: Path) -> bool:
    """Whether ``path`` is a regular file (or a link to one): one that reading cannot block."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


def _sidecar(dest: Path) -> Path:
    """The download record of ``dest``: its size and sha256."""
    return Path(str(dest) + ".sha256")


def _write_sidecar(dest: Path, content: Path) -> None:
    with atomic_path(_sidecar(dest)) as tmp:
        tmp.write_text(f"{content.stat().st_size} {sha256_file(content)}\n")


def _fetch(url: str, tmp: Path, *, what: str, limits: Limits) -> None:
    """Download ``url`` to ``tmp``; retry timeouts, slow or dropped connections, 5xx, 408, 429.

    A server's ``Retry-After`` (seconds, or an HTTP date) is waited for when longer than the
    back-off, within the download budget.
    """
    deadline = time.monotonic() + limits.download_budget
    delay = BACKOFF
    for attempt in range(1, ATTEMPTS + 1):
        asked = None  # the server's Retry-After, in seconds
        try:
            _stream(url, tmp, limits=limits, deadline=deadline, what=what)
            return
        except RedirectRefused as err:
            raise RedirectRefused(f"{what}: {err}") from None
        except urllib.error.HTTPError as err:
            err.close()  # its connection, else left to the garbage collector (ResourceWarning)
            if err.code == 404:
                msg = f"GEO has no {what}: {url} answered 404 Not Found"
                raise NotOnGeo(msg) from None
            if err.code < 500 and err.code not in RETRY_4XX:
                msg = f"GEO refused {what}: {url} answered {err.code} {err.reason}"
                raise DownloadError(msg) from None
            reason = f"{err.code} {err.reason}"
            asked = retry_after(err.headers)
        except (urllib.error.URLError, TimeoutError, ConnectionError, EOFError) as err:
            reason = str(getattr(err, "reason", err))
        if attempt == ATTEMPTS:
            msg = f"could not download {what} from {url} after {ATTEMPTS} attempts ({reason}); check the network, or work offline (--offline, offline=True) from a filled cache"  # noqa: E501
            raise DownloadError(msg)
        pause = delay if asked is None else max(delay, asked)
        if asked is not None:
            reason += f", asked to retry after {asked:g} s"
        if time.monotonic() + pause >= deadline:
            raise _over_budget(what, url, limits, reason)
        logger.warning("%s: %s; retrying in %.1f s (attempt %d/%d)", url, reason, pause,
                       attempt + 1, ATTEMPTS)
        time.sleep(pause)
        delay *= 2


def retry_after(headers) -> float | None:
    """Seconds a ``Retry-After`` header asks to wait (a delay or an HTTP date).

    ``None`` when there is none or it cannot be read.
    """
    from email.utils import parsedate_to_datetime

    value = (headers.get("Retry-After") if headers is not None else None) or ""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _over_budget(what: str, url: str, limits: Limits, reason: str) -> DownloadError:
    msg = f"download of {what} from {url} did not finish within its budget of {limits.download_budget:g} s ({reason}; {ENV['download_budget']} sets the budget); nothing was cached"  # noqa: E501
    return DownloadError(msg)


def open_url(url: str, *, limits: Limits, deadline: float):
    """Open ``url`` under the redirect policy, with timeouts that respect ``limits``."""
    timeout = min(TIMEOUT, limits.low_speed_time, max(deadline - time.monotonic(), 0.01))
    opener = urllib.request.build_opener(_Redirects(url, limits.redirect_hosts))
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        return opener.open(request, timeout=timeout), timeout
    except TimeoutError:
        msg = f"no answer for {timeout:g} s"
        raise TimeoutError(msg) from None


def announced_length(response) -> int | None:
    """The body's length from its ``Content-Length``, or ``None`` when none is usable.

    A header that is no number ('123, 123', as a proxy merging a repeated header sends it)
    raised a bare ``ValueError`` naming no file; http.client reads such a body to the end of
    the stream, and so does the download, with the size limit checked as it arrives.
    """
    try:
        total = int(response.headers.get("Content-Length") or 0)
    except ValueError:
        return None
    return total if total > 0 else None


def _stream(url: str, tmp: Path, *, limits: Limits, deadline: float, what: str) -> None:
    from tqdm.auto import tqdm

    response, timeout = open_url(url, limits=limits, deadline=deadline)
    with response, open(tmp, "wb") as out:
        total = announced_length(response)
        if total is not None and total > limits.max_inflated_bytes:
            raise _too_big(what, url, limits)
        name = url.rsplit("/", 1)[-1]
        # disable=None: shown on a terminal only
        with tqdm(total=total, unit="B", unit_scale=True, desc=name,
                  disable=None if progress_bars() else True, leave=False) as bar:
            received = 0
            for block in _blocks(response, timeout, limits=limits, deadline=deadline, what=what,
                                 url=url, too_big=lambda: _too_big(what, url, limits),
                                 max_bytes=limits.max_inflated_bytes):
                out.write(block)
                received += len(block)
                bar.update(len(block))
        if total is not None and received != total:
            msg = f"connection closed after {received} of {total} bytes"
            raise EOFError(msg)
        out.flush()
        os.fsync(out.fileno())


def read_page(url: str, *, limits: Limits, max_bytes: int) -> bytes:
    """A small page (a folder listing), in one attempt.

    The same speed, time and redirect limits apply as to a download; more than ``max_bytes``
    is a :class:`DownloadError`.
    """
    deadline = time.monotonic() + limits.download_budget
    response, timeout = open_url(url, limits=limits, deadline=deadline)
    with response:
        total = announced_length(response)
        parts = list(_blocks(response, timeout, limits=limits, deadline=deadline,
                             what="the listing", url=url, max_bytes=max_bytes,
                             too_big=lambda: _not_a_listing(url, max_bytes)))
    received = sum(map(len, parts))
    if total is not None and received != total:
        # as a download's: a listing cut short lists fewer files (platform='all' read the
        # platforms of its first part only, without a word)
        msg = f"could not list {url}: connection closed after {received} of {total} bytes"
        raise DownloadError(msg)
    return b"".join(parts)


def _blocks(response, timeout: float, *, limits: Limits, deadline: float, what: str, url: str,
            max_bytes: int, too_big: Callable[[], Exception]) -> Iterator[bytes]:
    """The body's blocks as they arrive, within its size, time and speed limits.

    More than ``max_bytes`` raises the error ``too_big()`` makes; past ``deadline`` or below
    the low speed limit, an error saying how much had arrived.
    """
    speed, received = _LowSpeed(limits), 0
    while block := _read_block(response, timeout):
        received += len(block)
        if received > max_bytes:
            raise too_big()
        now = time.monotonic()
        if now > deadline:
            raise _over_budget(what, url, limits, f"{size_text(received)} received")
        speed.update(received, now)
        yield block


def _not_a_listing(url: str, max_bytes: int) -> DownloadError:
    msg = f"{url} sent more than {size_text(max_bytes)}; expected a folder listing"
    return DownloadError(msg)


def _read_block(response, timeout: float) -> bytes:
    # read1: whatever has arrived, so a server that drips bytes is measured, not waited for
    try:
        return response.read1(1 << 16)
    except TimeoutError:
        msg = f"no data for {timeout:g} s"
        raise TimeoutError(msg) from None


def _too_big(what: str, url: str, limits: Limits) -> DownloadError:
    msg = f"download of {what} from {url} is larger than {size_text(limits.max_inflated_bytes)}; refused ({ENV['max_inflated_bytes']} sets the limit); nothing was cached"  # noqa: E501
    return DownloadError(msg)


class _LowSpeed:
    """Ends an attempt that stays below ``low_speed_limit`` bytes/s for ``low_speed_time`` s."""

    def __init__(self, limits: Limits) -> None:
        self.limit, self.window = limits.low_speed_limit, limits.low_speed_time
        self.start, self.start_bytes = time.monotonic(), 0

    def update(self, received: int, now: float) -> None:
        elapsed = now - self.start
        if elapsed < self.window:
            return
        rate = (received - self.start_bytes) / elapsed
        if rate < self.limit:
            msg = f"slower than {self.limit:g} bytes/s for {self.window:g} s ({rate:.0f} bytes/s)"
            raise TimeoutError(msg)
        self.start, self.start_bytes = now, received


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects on the same host or to allowed hosts; never from https to http."""

    def __init__(self, url: str, hosts: tuple[str, ...]) -> None:
        self.origin, self.hosts = urlsplit(url).hostname, hosts

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        old, new = urlsplit(req.full_url), urlsplit(newurl)
        refused = None
        if old.scheme == "https" and new.scheme != "https":
            refused = "a downgrade from https to http"
        elif new.hostname != self.origin and not self._allowed(new.hostname):
            allowed = ", ".join(self.hosts) or "none"
            refused = f"another host, {new.hostname}, not among the allowed ({allowed}; {ENV['redirect_hosts']})"  # noqa: E501
        if refused:
            fp.close()
            msg = f"refused redirect from {req.full_url} to {newurl}: {refused}; nothing was cached"
            raise RedirectRefused(msg)
        fp.close()  # the redirect's own body is not needed (and may not be small)
        log = logger.warning if new.hostname != self.origin else logger.info
        log("following redirect (%d) from %s to %s", code, req.full_url, newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)

    def _allowed(self, host: str | None) -> bool:
        host = (host or "").lower()
        return any(host == h or host.endswith("." + h) for h in self.hosts)
