"""Safe downloads into a cache: locked, retried, verified end to end, renamed into place.

A file enters the cache only after it downloaded completely and passed a check (a complete gzip
stream and a parseable header); a sidecar ``.sha256`` records what was verified, so a cached
file that was later truncated or altered is detected and fetched again. A file lock makes
concurrent runs share one download.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from .._atomic import atomic_path
from .._errors import InputError
from .._files import sha256_file
from .._logging import logger

#: Attempts per file for timeouts, dropped connections and 5xx answers.
ATTEMPTS = 4
#: First back-off in seconds; doubles after each failed attempt.
BACKOFF = 1.0
TIMEOUT = 60.0
USER_AGENT = "gexclust (https://github.com/gexclust)"


class NotOnGeo(InputError):
    """GEO answered 404: the accession (or the requested file of it) does not exist."""


class DownloadError(OSError):
    """The network failed for good (after retries), or is unavailable."""


def cached_download(url: str, dest: Path, *, check: Callable[[Path], None], offline: bool,
                    what: str) -> Path:
    """Return ``dest``, downloading ``url`` into it first unless a verified copy is cached.

    ``check(path)`` raises :class:`InputError` for a broken file. ``what`` names the file in
    messages (e.g. ``'series matrix of GSE9476'``).
    """
    from filelock import FileLock

    dest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(dest) + ".lock", timeout=3600):
        if _trusted(dest, check):
            logger.info("cache hit: %s", dest)
            return dest
        if offline:
            msg = f"{what} is not in the cache ({dest}) and offline=True; run once with network access"  # noqa: E501
            raise DownloadError(msg)
        with atomic_path(dest) as tmp:
            _fetch(url, tmp, what=what)
            try:
                check(tmp)
            except InputError as err:
                msg = f"download of {what} from {url} is broken ({err}); nothing was cached"
                raise InputError(msg) from None
            _write_sidecar(dest, tmp)
    return dest


def _trusted(dest: Path, check) -> bool:
    if not dest.exists():
        return False
    sidecar = Path(str(dest) + ".sha256")
    recorded = sidecar.read_text().split() if sidecar.exists() else []
    if len(recorded) == 2 and recorded == [str(dest.stat().st_size), sha256_file(dest)]:
        return True
    try:
        check(dest)  # no or stale record: verify the file itself once
    except InputError as err:
        logger.warning("cached %s is broken (%s); fetching it again", dest, err)
        dest.unlink(missing_ok=True)
        sidecar.unlink(missing_ok=True)
        return False
    _write_sidecar(dest, dest)
    return True


def _write_sidecar(dest: Path, content: Path) -> None:
    with atomic_path(str(dest) + ".sha256") as tmp:
        tmp.write_text(f"{content.stat().st_size} {sha256_file(content)}\n")


def _fetch(url: str, tmp: Path, *, what: str) -> None:
    """Download ``url`` to ``tmp`` with retries on timeouts, dropped connections and 5xx."""
    delay = BACKOFF
    for attempt in range(1, ATTEMPTS + 1):
        try:
            _stream(url, tmp)
            return
        except urllib.error.HTTPError as err:
            if err.code == 404:
                msg = f"GEO has no {what}: {url} answered 404 Not Found"
                raise NotOnGeo(msg) from None
            if err.code < 500:
                msg = f"GEO refused {what}: {url} answered {err.code} {err.reason}"
                raise DownloadError(msg) from None
            reason = f"{err.code} {err.reason}"
        except (urllib.error.URLError, TimeoutError, ConnectionError, EOFError) as err:
            reason = str(getattr(err, "reason", err))
        if attempt == ATTEMPTS:
            msg = f"could not download {what} from {url} after {ATTEMPTS} attempts ({reason}); check the network, or use offline=True with a filled cache"  # noqa: E501
            raise DownloadError(msg)
        logger.warning("%s: %s; retrying in %.1f s (attempt %d/%d)", url, reason, delay,
                       attempt + 1, ATTEMPTS)
        time.sleep(delay)
        delay *= 2


def _stream(url: str, tmp: Path) -> None:
    from tqdm.auto import tqdm

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response, open(tmp, "wb") as out:
        total = int(response.headers.get("Content-Length") or 0) or None
        name = url.rsplit("/", 1)[-1]
        with tqdm(total=total, unit="B", unit_scale=True, desc=name, disable=None,
                  leave=False) as bar:
            received = 0
            while block := response.read(1 << 16):
                out.write(block)
                received += len(block)
                bar.update(len(block))
        if total is not None and received != total:
            msg = f"connection closed after {received} of {total} bytes"
            raise EOFError(msg)
        out.flush()
        os.fsync(out.fileno())
