"""Fetching GEO records by accession over HTTPS, through a verified local cache."""

from __future__ import annotations

import codecs
import os
import re
import urllib.error
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .._checks import check_choice, check_flag
from .._errors import InputError
from .._limits import Limits, check_limits, current, using
from .._logging import logger, quiet_logs
from ._download import (
    HTML_HEAD,
    DownloadError,
    NotCached,
    NotOnGeo,
    cached_download,
    html_page,
    read_page,
    require_gzip,
)
from ._geo_layout import ACCESSION, geo_folder
from ._geo_text import LineScanner, open_binary

if TYPE_CHECKING:  # only read_geo builds AnnData; `gexclust fetch` need not import it
    from anndata import AnnData

GEO_URL = "https://ftp.ncbi.nlm.nih.gov/geo"
#: GEO's record viewer; single samples (GSM) are only served as SOFT text from here.
GEO_QUERY_URL = "https://www.ncbi.nlm.nih.gov/geo/query"
PLATFORM = re.compile(r"^GPL[0-9]+$")
#: Largest folder listing accepted from GEO (a real one is a few kB).
LISTING_BYTES = 1 << 22
#: First bytes a valid file of each kind starts with (after decompression).
HEADERS = {"matrix": (b"!Series_",), "soft": (b"^",), "annot": (b"^",)}

Source = Literal["matrix", "soft"]
SOURCES = ("matrix", "soft")


def geo_url() -> str:
    """GEO's root URL: ``$GEXCLUST_GEO_URL`` or the public HTTPS mirror."""
    return os.environ.get("GEXCLUST_GEO_URL", GEO_URL).rstrip("/")


def geo_query_url() -> str:
    """GEO's query root: ``$GEXCLUST_GEO_QUERY_URL`` or the public HTTPS address."""
    return os.environ.get("GEXCLUST_GEO_QUERY_URL", GEO_QUERY_URL).rstrip("/")


def cache_setting(cache_dir: str | os.PathLike | None = None, *,
                  option: str = "cache_dir") -> tuple[str, Path]:
    """The GEO cache folder, and the setting that chose it, as messages name it.

    The one place the choice is made: ``cache_dir`` (named ``option``: the command line
    passes ``'--cache-dir'``), else ``$GEXCLUST_CACHE_DIR``, else ``geo`` in the user cache
    folder. Returns ``(setting, folder)``; the folder is not checked (see :func:`cache_root`).
    An empty ``cache_dir`` is refused (``Path('')`` is the current folder); an empty variable
    is as if unset, as XDG's are (``export GEXCLUST_CACHE_DIR=``).
    """
    if cache_dir is not None:
        from .._files import check_given

        check_given(cache_dir, option)
        return option, Path(cache_dir)
    if os.environ.get("GEXCLUST_CACHE_DIR"):
        return "$GEXCLUST_CACHE_DIR", Path(os.environ["GEXCLUST_CACHE_DIR"])
    from platformdirs import user_cache_dir

    return (f"the default GEO cache folder (in the user cache folder; {option} or "
            "$GEXCLUST_CACHE_DIR choose another)", Path(user_cache_dir("gexclust")) / "geo")


def cache_root(cache_dir: str | os.PathLike | None = None, *, option: str = "cache_dir") -> Path:
    """The cache folder (see :func:`cache_setting`), refused up front if it cannot be one."""
    return _folder(*cache_setting(cache_dir, option=option))


def _folder(setting: str, path: Path) -> Path:
    """``path``, refused up front when it is a file or a broken link.

    Else the system's "Not a directory" or "File exists" would come from deep inside.
    """
    from .._files import broken_link

    if (problem := broken_link(path)) is not None:
        msg = f"{setting} {path}: {problem}; give a folder for the GEO cache"
        raise ValueError(msg)
    if path.exists() and not path.is_dir():
        msg = f"{setting} {path}: is a file, not a folder; give a folder for the GEO cache"
        raise ValueError(msg)
    return path


#: Most digits in an accession's number: GEO's have 7 at most today (GSM). A longer one made
#: a cache path the system refused ("[Errno 36] File name too long: '<300 digits>...'").
MAX_DIGITS = 10
#: An accession inside a GEO address pasted in its place (``...acc.cgi?acc=GSE9476``).
IN_ADDRESS = re.compile(r"(?:acc=|/)(G(?:SE|SM|PL|DS)[0-9]+)(?![0-9A-Za-z])", re.IGNORECASE)


def check_accession(accession: str, *, pattern: re.Pattern = ACCESSION) -> str:
    """Return ``accession`` if it is a GEO accession; refuse anything else (no path tricks).

    The message says what was probably meant: the accession in capitals without blanks, the
    one in a pasted address, or its number without leading zeros. A number GEO cannot have
    (0, a leading zero, more than :data:`MAX_DIGITS` digits) is refused before any request.
    """
    if not isinstance(accession, str) or not pattern.fullmatch(accession):
        msg = (f"{accession!r} is not a GEO accession{_meant(accession)}; expected e.g. "
               "GSE9476, GPL96, GSM239170 or GDS507")
        raise ValueError(msg)
    number = accession[3:]
    if number.startswith("0"):
        meant = f"; did you mean {accession[:3]}{number.lstrip('0')}?" if number.strip("0") else ""
        msg = f"{accession}: GEO numbers start at 1 and have no leading zeros{meant}"
        raise ValueError(msg)
    if len(number) > MAX_DIGITS:
        msg = (f"{accession[:3 + MAX_DIGITS]}... ({len(number)} digits): not a GEO accession, "
               f"whose numbers have at most {MAX_DIGITS} digits")
        raise ValueError(msg)
    return accession


def _meant(text) -> str:
    """' (did you mean GSE9476? ...)' for text that holds an accession written otherwise."""
    if not isinstance(text, str):
        return ""
    squeezed = "".join(text.split()).upper()
    if ACCESSION.fullmatch(squeezed):
        return f" (did you mean {squeezed}? accessions are written in capitals, without blanks)"
    if (found := accession_in_address(text)) is not None:
        return f" but an address (did you mean its accession, {found}?)"
    return ""


def accession_in_address(text: str) -> str | None:
    """The accession in a GEO address pasted in its place (``...acc.cgi?acc=gse9476``), or None."""
    found = IN_ADDRESS.search(text)
    return None if found is None else found.group(1).upper()


def check_platform(platform, *, option: str = "platform") -> str:
    """Return ``platform`` if it is a GEO platform accession (GPL96), else refuse it.

    The message names it as ``option``: the command line passes ``'--platform'``.
    """
    if not isinstance(platform, str) or not PLATFORM.fullmatch(platform):
        squeezed = "".join(platform.split()).upper() if isinstance(platform, str) else ""
        meant = (f" (did you mean {squeezed}? accessions are written in capitals, without "
                 "blanks)" if PLATFORM.fullmatch(squeezed) else "")
        msg = (f"{option} {platform!r}: not a GEO platform{meant}; expected GPL and its number, "
               "e.g. GPL96")
        raise ValueError(msg)
    return platform


def check_platform_choice(platform, *, caller: str) -> None:
    """Refuse a ``platform=`` of a Python reader that is not None, ``'all'`` or a GPL accession.

    The message starts with ``caller`` (``'io.read_geo'``), as the readers' other argument
    errors do; it read "platform 'xyz': not a GEO platform ...", naming no function.
    """
    if platform is None or platform == "all":
        return
    if not isinstance(platform, str) or not PLATFORM.fullmatch(platform):
        msg = (f"{caller}: platform={platform!r} is not a GEO platform; expected GPL and its "
               "number (e.g. 'GPL96'), 'all' for every platform, or None")
        raise ValueError(msg)


def check_type_from(type_from, *, caller: str) -> None:
    """Refuse a ``type_from=`` that is no text (nor a compiled pattern), before any work.

    ``type_from=5`` was re.compile's "first argument must be string or compiled pattern",
    and ``['title']`` pandas' "unhashable type: 'list'", both after the series had been
    downloaded and parsed.
    """
    if type_from is not None and not isinstance(type_from, str | re.Pattern):
        msg = (f"{caller}: type_from={type_from!r} is not valid; give the name of an .obs "
               "column or a regular expression on the sample titles (a str), or None")
        raise TypeError(msg)


#: Where a GEO file says whose it is: the first of ``^SERIES = GSE9476`` (family SOFT),
#: ``!Series_geo_accession "GSE9476"`` (series matrix), ``^PLATFORM``, ``^DATASET``,
#: ``^SAMPLE`` or ``!Annotation_platform = GPL96`` (annotation).
DECLARED = re.compile(
    rb'^(?:\^(?:SERIES|DATASET|PLATFORM|SAMPLE)\s*=\s*|!Series_geo_accession\s*=?\s*"?'
    rb"|!Annotation_platform\s*=\s*)([A-Za-z]{3}[0-9]+)", re.MULTILINE)
#: How far into a file its declaration is looked for (after GEO's ^DATABASE block).
DECLARED_WITHIN = 1 << 16


def check_owner(text: bytes, accession: str | None) -> None:
    """Refuse ``text`` when it declares another accession than ``accession``.

    A server (a mirror, a proxy's cache) that sends GSE9999's matrix under GSE9476's path would
    otherwise have it cached as GSE9476's and read as its data. A file declaring none is let
    through: the readers judge it.
    """
    found = DECLARED.search(text[:DECLARED_WITHIN]) if accession else None
    if found is not None and found.group(1).decode().upper() != accession.upper():
        msg = (f"the file is {found.group(1).decode()}'s, not {accession}'s (it declares "
               f"{found.group(0).decode().strip()!r})")
        raise InputError(msg)


def check_gzip_file(kind: str, accession: str | None = None) -> callable:
    """A checker: the file is complete gzip data whose text starts like a ``kind`` file.

    The content decides, not the name (a download's temporary file has none): gzip magic, then
    a full inflate within the limits (end-of-stream marker, CRC and length of every member).
    With ``accession``, the file must not declare another one (:func:`check_owner`).
    """

    def check(path: Path) -> None:
        require_gzip(path)
        # the readers' own stream: the same end-of-stream, CRC and size checks, ISA-L speed
        with open_binary(path) as stream:
            head = stream.read()
            if not head.lstrip().startswith(HEADERS[kind]):
                if (page := html_page(head[:HTML_HEAD])) is not None:  # an error page, gzipped
                    msg = (f"the server answered with {page} (gzip-compressed), not a GEO "
                           f"{kind} file (a proxy's or a login page?)")
                else:
                    msg = f"does not look like a GEO {kind} file (starts {head[:30]!r})"
                raise InputError(msg)
            check_owner(head, accession)
            tail, end = head, _TableEnd()
            end.feed(head)
            while chunk := stream.read():
                # the end of the text before its trailing blanks: a last piece of blanks
                # alone (a CRLF's '\n', a newline of its own) must not cut the marker
                tail = (tail[-TAIL_KEPT:] + chunk).rstrip()
                end.feed(chunk)
        if kind == "matrix" and end.beyond is not None:
            # a matrix sent twice over (a proxy's retry appended to the first answer) has
            # its table end last too: it was cached as verified, and every run refused it
            # ("... after the end of the series matrix table") without downloading it again
            msg = (f"text follows its table's end ({MATRIX_END.decode()!r}), starting "
                   f"{end.beyond!r}: a series matrix holds one table (the file sent twice, "
                   "or two files joined?)")
            raise InputError(msg)
        if kind == "matrix" and not end.ended:
            # whole gzip of a cut text (a server compressing on the fly) was cached as
            # verified: each run then said 'download it again', which gexclust never did
            msg = (f"the text does not end with its table's end ({MATRIX_END.decode()!r}, "
                   f"it ends {tail.rstrip()[-40:].decode(errors='replace')!r}): "
                   "the file was cut short")
            raise InputError(msg)
        if kind in ("soft", "annot"):
            refuse_cut_soft(path)

    return check


def refuse_cut_soft(path: Path) -> None:
    """Refuse a SOFT text that the readers refuse as cut short: their own checks, run once.

    A SOFT has no end marker of its own: a whole gzip of a text cut at a line end (a table
    without its end, a record's header without its table, a family without its last
    samples) was cached as verified, and every later read refused it as truncated while
    gexclust never downloaded it again. The readers log their warnings when they read it,
    and judge a table shorter than its header declares (trimmed between its markers, not
    cut): ``gexclust run`` refuses it there, naming its reader.
    """
    from ._row_counts import warn_short_tables
    from ._soft import parse_soft, refuse_absent_samples

    def drop_table(record) -> None:
        record.body = b""  # only the structure is checked: peak memory is one table

    with warn_short_tables(), quiet_logs():  # this thread's only: a fetch elsewhere still logs
        records = parse_soft(path, reader="gexclust.io.read_soft reads", on_table=drop_table)
    refuse_absent_samples(records, path)


MATRIX_END = b"!series_matrix_table_end"
#: Bytes of the text kept while it is read, for the check of its end and the error's quote.
TAIL_KEPT = 64


class _TableEnd:
    """Whether text follows a series matrix's table end, told from its text as it streams in.

    ``beyond``: the first bytes of text (not blanks, nor a byte-order mark, which the reader
    reads past) after the first ``!series_matrix_table_end``; ``None`` while there is none.
    """

    def __init__(self) -> None:
        self.carry, self.ended, self.beyond = b"", False, None

    def feed(self, chunk: bytes) -> None:
        if not self.ended:
            data = self.carry + chunk  # the marker may span two pieces
            at = data.find(MATRIX_END)
            if at < 0:
                self.carry = data[-(len(MATRIX_END) - 1):]
                return
            self.ended, chunk = True, data[at + len(MATRIX_END):]
        if self.beyond is None and (text := chunk.replace(codecs.BOM_UTF8, b"").strip()):
            self.beyond = text[:30]


def check_text_file(start: bytes, accession: str | None = None) -> callable:
    """A checker: a complete plain-text GEO record that starts with ``start``.

    Complete: it ends in a newline, a data table begun is ended, and a record that announces
    data rows (``!Sample_data_row_count``) has its table. GEO's record viewer sends no length,
    so an answer cut short at a line's end is otherwise a well-formed record.
    """

    def check(path: Path) -> None:
        text = path.read_bytes()  # one record: its size is bounded by the download's limit
        # the caller names the download; the name of its temporary file would only confuse
        if not text.lstrip().startswith(start):
            msg = f"not a GEO record: expected it to start with {start!r}, it starts {text[:30]!r}"
            raise InputError(msg)
        check_owner(text, accession)
        if not text.endswith(b"\n"):
            msg = "the record ends in the middle of a line: the answer was cut short"
            raise InputError(msg)
        if problem := _incomplete(text.lower()):
            msg = f"{problem}: the answer was cut short"
            raise InputError(msg)

    return check


ROW_COUNT = re.compile(rb"^!sample_data_row_count\s*=\s*([0-9]+)\s*$", re.MULTILINE)


def _incomplete(text: bytes) -> str | None:
    """Why the (lower-cased) text of a sample record is cut short, or None."""
    begin = text.find(b"\n!sample_table_begin")
    if begin >= 0:
        if text.find(b"\n!sample_table_end", begin) < 0:
            return "the record's data table has no end ('!sample_table_end')"
        return None
    rows = ROW_COUNT.search(text)
    if rows is not None and int(rows.group(1)) > 0:
        return (f"the record announces {int(rows.group(1))} data rows "
                "(!Sample_data_row_count) but has no data table")
    if rows is None and not EXTERNAL_TABLE.search(text) and not _has_unmarked_table(text):
        # GEO writes the row count in every sample's header, before its table: cut before
        # that line, the record was cached as verified, and read_soft then refused it
        return ("the record ends in its header, before '!Sample_data_row_count' and its "
                "data table")
    return None


def _has_unmarked_table(text: bytes) -> bool:
    """Whether the record ends in a 2002-era table: no markers, no row count (GSM645).

    Its column names and at least one row, lines that are not header lines ('^', '!', '#'),
    as read_soft reads them; a record cut in its header ends in a header line.
    """
    lines = (line.strip() for line in text.splitlines())
    return sum(1 for line in lines if line and not line.startswith((b"^", b"!", b"#"))) >= 2


#: A sample whose values are in a file of their own, named in its header (no table follows).
EXTERNAL_TABLE = re.compile(rb"^!sample_table\s*=", re.MULTILINE)


def fetch_geo(
    accession: str,
    *,
    source: Source = "matrix",
    platform: str | None = None,
    annotate: bool = True,
    cache_dir: str | os.PathLike | None = None,
    offline: bool = False,
    limits: Limits | None = None,
) -> dict[str, list[Path]]:
    """Download (or find in the cache) the files of a GEO series, platform, dataset or sample.

    Parameters
    ----------
    accession
        ``GSE...``, ``GPL...``, ``GDS...`` or ``GSM...``.
    source
        For a series: ``'matrix'`` (series matrix) or ``'soft'`` (family SOFT).
    platform
        For the series matrix of a series on several platforms: the platform whose file to
        fetch (e.g. ``'GPL96'``), or ``'all'`` for every platform's; without it such a
        series is refused, naming its platforms. With ``source='soft'`` (one file for all
        platforms) a platform the series does not list is refused once the file is cached.
    annotate
        For a series matrix: also fetch each platform's annotation.
    cache_dir
        Cache folder; by default ``$GEXCLUST_CACHE_DIR`` or the user cache.
    offline
        Never touch the network: use the cache or fail with a clear error.
    limits
        Bounds on downloads and inflation, as in :func:`read_geo`; default from the
        ``GEXCLUST_*`` environment variables.

    Returns
    -------
    The local paths by kind: ``'matrix'`` or ``'soft'`` for the data, ``'annot'`` for
    platform annotation (``.annot``, or the platform SOFT where GEO has no ``.annot``).
    """
    check_choice("source", source, SOURCES, caller="io.fetch_geo")
    for flag, value in (("annotate", annotate), ("offline", offline)):
        check_flag(flag, value, caller="io.fetch_geo")
    check_platform_choice(platform, caller="io.fetch_geo")
    check_limits(limits, caller="io.fetch_geo")
    with using(limits):
        return _fetch_geo(accession, source, platform, annotate, cache_dir, offline)


def _fetch_geo(accession, source, platform, annotate, cache_dir, offline):
    check_accession(accession)
    root = cache_root(cache_dir)
    kind = accession[:3]
    if kind == "GSE":
        files = {source: _series_files(accession, source, platform, root, offline)}
        if annotate and source == "matrix":
            gpls = [_platform_of(path) for path in files["matrix"]]
            files["annot"] = [p for p in (_annotation(g, root, offline) for g in gpls) if p]
        return files
    if kind == "GPL":
        return {"annot": [p for p in [_annotation(accession, root, offline, required=True)] if p]}
    if kind == "GDS":
        rel = f"datasets/{geo_folder(accession)}/{accession}/soft/{accession}.soft.gz"
        return {"soft": [_get(rel, root, "soft", f"dataset {accession}", offline)]}
    # GEO's samples/ folders hold only supplementary files; the record itself comes as text
    url = f"{geo_query_url()}/acc.cgi?acc={accession}&targ=self&form=text&view=full"
    dest = root / "samples" / geo_folder(accession) / accession / f"{accession}.soft"
    path = cached_download(url, dest, check=check_text_file(b"^SAMPLE", accession),
                           offline=offline, what=f"sample {accession}", cache=root)
    return {"soft": [path]}


def _get(rel: str, root: Path, kind: str, what: str, offline: bool) -> Path:
    # the accession the file is named after (GSE9476-GPL96_series_matrix, GPL96.annot)
    owner = re.split(r"[-_.]", rel.rsplit("/", 1)[-1], maxsplit=1)[0]
    return cached_download(f"{geo_url()}/{rel}", root / rel,
                           check=check_gzip_file(kind, owner),
                           offline=offline, what=what, cache=root)


def _series_files(accession, source, platform, root, offline) -> list[Path]:
    folder = f"series/{geo_folder(accession)}/{accession}"
    if source == "soft":
        path = _get(f"{folder}/soft/{accession}_family.soft.gz", root, "soft",
                    f"family SOFT of {accession}", offline)
        listed = _family_platforms(path) if platform not in (None, "all") else []
        if listed and platform not in listed:  # before: fetched and listed as on that platform
            msg = f"series {accession} has no samples on {platform}; it has {', '.join(listed)}"
            raise InputError(msg)
        return [path]
    what = f"series matrix of {accession}"
    if platform in (None, "all"):
        try:
            return [_get(f"{folder}/matrix/{accession}_series_matrix.txt.gz", root, "matrix",
                         what, offline)]
        except (NotOnGeo, NotCached) as err:
            # no single matrix: a multi-platform series (listed by GEO, or found in the cache)
            platforms = _platforms_instead(err, folder, accession, root, offline)
            if platform is None:
                raise _choose_platform(accession, platforms, offline=offline) from None
            if offline:  # GEO's listing is out of reach: what was fetched before may be part
                logger.warning("offline: the platforms of %s are those whose series matrix is "
                               "in the cache (%s); GEO may have more", accession,
                               ", ".join(platforms))
    else:
        platforms = [platform]
    paths = []
    for gpl in platforms:
        name = f"{accession}-{gpl}_series_matrix.txt.gz"
        try:
            paths.append(_get(f"{folder}/matrix/{name}", root, "matrix", f"{what} on {gpl}", offline))  # noqa: E501
        except (NotOnGeo, NotCached) as err:
            # a single-platform series has no -GPL suffix (offline too: the cache holds it
            # as GEO named it)
            paths.append(_single_matrix(folder, accession, gpl, root, offline, err))
    return paths


def _single_matrix(folder: str, accession: str, gpl: str, root: Path, offline: bool,
                   err: DownloadError | InputError) -> Path:
    """The matrix of a single-platform series asked for on ``gpl``; refused on another.

    ``err``, the -GPL file's own error, stands when this one is not to be had either.
    """
    try:
        path = _get(f"{folder}/matrix/{accession}_series_matrix.txt.gz", root, "matrix",
                    f"series matrix of {accession}", offline)
    except (NotOnGeo, NotCached):  # neither is there: GEO has no matrix on gpl
        raise err from None
    found = _platform_of(path)
    if found and found != gpl:  # before: fetched and cached as GSE9476's 'on GPL570'
        msg = f"series {accession} has no samples on {gpl}; it has {found}"  # as read_geo
        raise InputError(msg)
    return path


def _choose_platform(accession: str, platforms: list[str], *, offline: bool) -> InputError:
    """The error for a series of several platforms read without ``platform=``."""
    first = platforms[0]
    # 'all' is Python's only: the run refuses --platform all, so the run's part comes last
    how = (f"pass platform={first!r} or another of them, or platform='all' for a dict of every "
           f"platform (gexclust run: --platform {first}, one platform per run)")
    if offline and len(platforms) == 1:  # offline, the platforms are those in the cache
        msg = (f"the cache holds the series matrix of {accession} on {first} only (a series "
               f"of several platforms); pass platform={first!r} (gexclust run: --platform "
               f"{first}), or fetch the others with network access")
        return InputError(msg)
    return InputError(f"series {accession} spans {len(platforms)} platforms "
                      f"({', '.join(platforms)}); {how}")


def _listed_platforms(folder: str, accession: str, root: Path, offline: bool) -> list[str]:
    """Platforms of a multi-platform series, from GEO's folder listing (or the cache)."""
    pattern = re.compile(rf"{accession}-(GPL[0-9]+)_series_matrix\.txt\.gz")
    cached = root / folder / "matrix"
    found = sorted({m.group(1) for p in cached.glob("*.txt.gz") if (m := pattern.fullmatch(p.name))})  # noqa: E501
    if offline:
        if found:
            return found
        msg = (f"series matrix of {accession} is not in the cache ({cached}) and offline "
               "(--offline, offline=True)")
        raise NotCached(msg)
    url = f"{geo_url()}/{folder}/matrix/"
    try:
        page = read_page(url, limits=current(), max_bytes=LISTING_BYTES)
        listing = page.decode("utf-8", errors="replace")
    except urllib.error.HTTPError as err:
        err.close()
        if err.code == 404:
            msg = f"GEO has no series {accession}: {url} answered 404 Not Found"
            raise NotOnGeo(msg) from None
        raise DownloadError(f"could not list {url}: {err}") from None
    except DownloadError:
        raise
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        raise DownloadError(f"could not list {url}: {err}") from None
    platforms = sorted(set(pattern.findall(listing)))
    answer = None if platforms else html_page(page[:HTML_HEAD])
    if answer is not None and not _lists_files(listing):
        # GEO's listing names the folder's files; a page that names none is someone else's
        msg = (f"could not list {url}: the server answered with {answer} that lists no files, "
               "not GEO's listing of the folder (a proxy's or a login page?)")
        raise DownloadError(msg)
    if answer is not None:  # a listing, GEO's or a proxy's: said as received, not blamed on GEO
        msg = (f"no series matrix of {accession} is listed under {url}: the server answered "
               f"with {answer}, which lists none (GEO lists each platform's series matrix "
               "there; a proxy's page?)")
        raise NotOnGeo(msg)
    if not platforms:
        msg = f"GEO has no series matrix for {accession} (nothing listed under {url})"
        raise NotOnGeo(msg)
    return platforms


def _lists_files(listing: str) -> bool:
    """Whether ``listing`` names files as a folder listing does (GEO's: "Index of", links)."""
    return bool(re.search(r"index of|href=\"?[^\"\s>?]+\.(?:gz|txt)\b", listing, re.IGNORECASE))


def _platforms_instead(err: DownloadError, folder, accession, root, offline) -> list[str]:
    """The platforms of a series whose single matrix ``err`` says is not to be had.

    A read-only cache without the matrix (a NotCached online) is that cache's refusal, not
    GEO's: when GEO lists no platform matrices either, its message is the one that holds.
    """
    try:
        return _listed_platforms(folder, accession, root, offline)
    except NotOnGeo:
        if isinstance(err, NotCached) and not offline:
            raise err from None
        raise


def _platform_of(path: Path) -> str:
    """The platform of a series matrix, from its header."""
    with open_binary(path) as stream:
        scanner = LineScanner(stream)
        while (line := scanner.readline()) is not None:
            if line.startswith((b"!Sample_platform_id", b"!Series_platform_id")):
                return line.decode("utf-8", errors="replace").split("\t")[1].strip().strip('"')
            if line.startswith(b"!series_matrix_table_begin"):
                break
    return ""


def _family_platforms(path: Path) -> list[str]:
    """The platforms a family SOFT's ``^SERIES`` record lists (``!Series_platform_id``).

    GEO writes that record first; where it comes after a platform or sample, or lists none,
    [] (reading the file checks the platform instead).
    """
    platforms = []
    with open_binary(path) as stream:
        scanner = LineScanner(stream)
        while (line := scanner.readline()) is not None:
            if line.startswith(b"!Series_platform_id"):
                platforms.append(line.decode("utf-8", errors="replace").partition("=")[2]
                                 .strip())
            elif line.startswith((b"^PLATFORM", b"^SAMPLE")):
                break
    return platforms


def _annotation(gpl: str, root: Path, offline: bool, *, required: bool = False) -> Path | None:
    """GEO's ``.annot`` of ``gpl``, else its platform SOFT; None (logged) if GEO has neither."""
    if not PLATFORM.fullmatch(gpl or ""):
        return None
    folder = f"platforms/{geo_folder(gpl)}/{gpl}"
    try:
        return _get(f"{folder}/annot/{gpl}.annot.gz", root, "annot", f"annotation of {gpl}", offline)  # noqa: E501
    except (NotOnGeo, DownloadError, InputError) as first:
        if not isinstance(first, NotOnGeo):  # GEO lacks .annot for many platforms: no news
            logger.warning("%s; trying the platform SOFT of %s instead", first, gpl)
        try:
            return _get(f"{folder}/soft/{gpl}_family.soft.gz", root, "soft",
                        f"platform SOFT of {gpl}", offline)
        except (NotOnGeo, DownloadError, InputError) as second:
            if required:
                raise
            logger.warning("no annotation for %s (%s); .var stays unannotated", gpl, second)
            return None


def read_geo(
    accession: str,
    *,
    platform: str | None = None,
    source: Source = "matrix",
    annotate: bool = True,
    cache_dir: str | os.PathLike | None = None,
    offline: bool = False,
    type_from: str | None = None,
    missing: Literal["error", "drop", "impute"] = "error",
    limits: Limits | None = None,
) -> AnnData | dict[str, AnnData]:
    """Fetch a GEO series (or dataset/sample) by accession and read it into AnnData.

    Files come over HTTPS from GEO's public layout (``$GEXCLUST_GEO_URL`` overrides the root)
    into a cache (``cache_dir``, ``$GEXCLUST_CACHE_DIR`` or the user cache folder). A download
    is verified end to end before it is renamed into the cache, so a broken or truncated file
    never enters it; a cached file that no longer matches its recorded checksum is fetched
    again. Concurrent calls share one download (file lock); timeouts and 5xx answers are
    retried with back-off; a 404 means GEO has no such accession.

    Parameters
    ----------
    accession
        ``GSE...``, ``GDS...`` or ``GSM...``; checked against ``^G(SE|SM|PL|DS)[0-9]+$``. A
        platform (``GPL...``) holds no expression values and is refused: fetch its
        annotation with :func:`fetch_geo` and read it with :func:`read_gpl`.
    platform
        For series on several platforms: the one to read, or ``'all'`` (dict by platform).
    source
        ``'matrix'`` (series matrix, small and fast) or ``'soft'`` (family SOFT, with the
        platform table and full sample records).
    annotate
        Add ``gene_symbol``, ``entrez_id`` and ``gene_title`` to ``.var`` from the platform's
        ``.annot`` file (or platform SOFT).
    cache_dir
        Cache folder.
    offline
        Never touch the network: use the cache or fail with a clear error.
    type_from
        Source of ``.obs['type']``, as in :func:`gexclust.io.read_soft`.
    missing
        Policy for missing values, as in :func:`gexclust.io.read_cumida`.
    limits
        Bounds on downloads (low-speed limit, time budget, allowed redirect hosts) and on
        reading (inflate ratio, size, line length); default :class:`gexclust.io.Limits`
        from the ``GEXCLUST_*`` environment variables.

    Returns
    -------
    AnnData as from :func:`gexclust.io.read_series_matrix` / :func:`gexclust.io.read_soft`,
    or a dict of them by platform with ``platform='all'``.
    """
    from ._missing import check_policy  # numpy: not for gexclust fetch's light imports

    # refused before anything is downloaded: a typo in missing= cost a whole series' fetch
    check_choice("source", source, SOURCES, caller="io.read_geo")
    for flag, value in (("annotate", annotate), ("offline", offline)):
        check_flag(flag, value, caller="io.read_geo")
    check_policy(missing, caller="io.read_geo")
    check_platform_choice(platform, caller="io.read_geo")
    check_type_from(type_from, caller="io.read_geo")
    check_limits(limits, caller="io.read_geo")
    with using(limits):
        return _read_geo(accession, platform, source, annotate, cache_dir, offline, type_from,
                         missing)


def _read_geo(accession, platform, source, annotate, cache_dir, offline, type_from, missing):
    from ._geo_read import read_series_matrix, read_soft
    from ._gpl import read_gpl

    if check_accession(accession).startswith("GPL"):
        # a platform has probes but no expression values: nothing to read into AnnData
        msg = (f"{accession} is a platform (probe annotation, no expression values); read_geo "
               f"reads series (GSE), datasets (GDS) and samples (GSM). For its probe table: "
               f"gexclust.io.read_gpl(gexclust.io.fetch_geo({accession!r})['annot'][0])")
        raise InputError(msg)
    files = fetch_geo(accession, source=source, platform=platform, annotate=annotate,
                      cache_dir=cache_dir, offline=offline)
    if "soft" in files:
        return read_soft(files["soft"][0], platform=platform, type_from=type_from,
                         annotate=annotate, missing=missing)
    annotation_files = {p.name.split(".")[0].split("_")[0]: p for p in files.get("annot", [])}
    result = {}
    for path in files["matrix"]:
        gpl = annotation_files.get(_platform_of(path))
        adata = read_series_matrix(path, gpl=read_gpl(gpl) if gpl else None,
                                   type_from=type_from, annotate=annotate, missing=missing)
        result[adata.uns["geo"]["platform"]] = adata
    if platform == "all":
        return result
    if platform is not None and platform not in result:
        msg = f"series {accession} has no samples on {platform}; it has {', '.join(result)}"
        raise InputError(msg)
    return result[platform] if platform is not None else next(iter(result.values()))
