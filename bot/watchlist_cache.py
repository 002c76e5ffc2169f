"""The compiled watchlist, kept on disk between starts and reloads.

Parsing and compiling a watchlist of 10,000 people costs about 25 s of CPU on a
2-core VM (`python -m bench.startup`); loading it compiled costs under a second.
The file's name and first lines hold a key: SHA-256 of the watchlist file's bytes
and of the code that reads and compiles it (trialwatch's version, the Python
version, the sources of `matchers/` and `core/`), so an edit or an upgrade builds a
new one. Layout of `watchlist-<key prefix>.compiled`:

    trialwatch compiled watchlist 1\\n
    <key>\\n
    <SHA-256 of the payload>\\n
    <payload: the pickled `matchers.Matcher`, watchlist included>

The cache never stops trialwatch: one that is missing is built; one that is
damaged, unreadable or stale is ignored with a one-line warning and rebuilt; one
that cannot be written costs the next start its compile time (a warning names the
folder). Writes go to a temporary file renamed into place, so replicas starting
together never see half a file. The folder must be writable by trialwatch alone:
loading a pickle runs code.
"""

import contextlib
import functools
import gc
import hashlib
import importlib.metadata
import logging
import pickle
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import core
import matchers
from matchers import Matcher, compile_watchlist, parse_watchlist

log = logging.getLogger(__name__)

MAGIC = b"trialwatch compiled watchlist 1\n"
PREFIX, SUFFIX = "watchlist-", ".compiled"


@functools.cache
def code_version() -> bytes:
    """What the compiled form depends on besides the file: trialwatch's and Python's
    versions and the sources of `matchers/` and `core/` (an edited matcher, even
    without a new version number, must not load an index built by the old one)."""
    try:
        version = importlib.metadata.version("trialwatch")
    except importlib.metadata.PackageNotFoundError:
        version = "(not installed)"
    folders = [Path(package.__file__ or "").parent for package in (matchers, core)]
    python = f"{sys.version_info[:2]} pickle {pickle.HIGHEST_PROTOCOL}"
    return hashlib.sha256(f"{version} {python}".encode() + sources_digest(folders)).digest()


def sources_digest(folders: Sequence[Path]) -> bytes:
    """SHA-256 of the names and bytes of the `*.py` files in `folders`."""
    digest = hashlib.sha256()
    for folder in folders:
        for source in sorted(folder.glob("*.py")):
            digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.digest()


def cache_key(data: bytes) -> str:
    """The key of a watchlist file's bytes under this code: 64 hex digits."""
    return hashlib.sha256(code_version() + hashlib.sha256(data).digest()).hexdigest()


def compiled_watchlist(data: bytes, text: str, path: str, folder: Path | None) -> Matcher:
    """The `Matcher` of the watchlist file at `path` (`data`: its bytes, `text`: them
    decoded), from the cache in `folder` when it holds this key, else parsed and
    compiled (then stored there). `folder` None: no cache. Raises `ConfigError` for a
    watchlist that does not parse, exactly as without a cache."""
    key = cache_key(data)
    if folder is not None and (matcher := _load(folder / file_name(key), key)) is not None:
        return matcher
    started = time.process_time()
    with _collector_paused():  # millions of new, long-lived objects: nothing to collect
        matcher = compile_watchlist(parse_watchlist(text, path))
    if folder is not None:
        log.info(
            "watchlist compiled in %.1f s of CPU; cached in %s",
            time.process_time() - started,
            folder,
        )
        _store(folder, key, matcher)
    return matcher


def file_name(key: str) -> str:
    return f"{PREFIX}{key[:32]}{SUFFIX}"


def _load(file: Path, key: str) -> Matcher | None:
    """The cached matcher, or None (missing: silently; anything wrong: one warning)."""
    try:
        blob = file.read_bytes()
    except (FileNotFoundError, NotADirectoryError):  # no cache yet (or no folder: `_store` says)
        return None
    except OSError as e:
        log.warning("compiled watchlist %s unreadable (%s); compiling it again", file, e.strerror)
        return None
    header, payload = _split(blob)
    if header is None or header[0] != key.encode():
        log.warning("compiled watchlist %s is stale or damaged; compiling it again", file)
        return None
    if hashlib.sha256(payload).hexdigest().encode() != header[1]:
        log.warning("compiled watchlist %s is damaged (checksum); compiling it again", file)
        return None
    try:
        with _collector_paused():  # unpickling is 6x faster without collections
            matcher = pickle.loads(payload)
    # A cache must never stop the monitor: any failure to unpickle (a class renamed
    # since, a truncated file) means "build it again".
    except Exception as e:
        log.warning("compiled watchlist %s unusable (%s); compiling it again", file, e)
        return None
    if not isinstance(matcher, Matcher):
        log.warning("compiled watchlist %s holds no watchlist; compiling it again", file)
        return None
    return matcher


def _split(blob: bytes) -> tuple[tuple[bytes, bytes] | None, bytes]:
    """((key, payload checksum), payload) of a cache file, or (None, b"") if malformed."""
    if not blob.startswith(MAGIC):
        return None, b""
    parts = blob[len(MAGIC) :].split(b"\n", 2)
    if len(parts) != 3:
        return None, b""
    return (parts[0], parts[1]), parts[2]


def _store(folder: Path, key: str, matcher: Matcher) -> None:
    """Write the cache atomically (temporary file, then rename), then remove the
    files of other keys (earlier versions of the watchlist). Failures: one warning."""
    try:
        payload = pickle.dumps(matcher, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as e:
        log.warning("the compiled watchlist cannot be cached (%s); it is compiled each start", e)
        return
    checksum = hashlib.sha256(payload).hexdigest().encode()
    target = folder / file_name(key)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=folder, prefix=f".{PREFIX}", suffix=".tmp", delete=False
        ) as temporary:
            try:
                temporary.write(MAGIC + key.encode() + b"\n" + checksum + b"\n")
                temporary.write(payload)
                temporary.close()
                Path(temporary.name).replace(target)  # atomic: os.replace
            except BaseException:
                Path(temporary.name).unlink(missing_ok=True)
                raise
    except OSError as e:
        log.warning(
            "cannot cache the compiled watchlist in %s (%s); the next start compiles it "
            "again (TRIALWATCH_CACHE_DIR sets a writable folder)",
            folder,
            e.strerror or e,
        )
        return
    for other in folder.glob(f"{PREFIX}*{SUFFIX}"):
        if other != target:
            with contextlib.suppress(OSError):  # another process's, or already gone
                other.unlink()


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (if it was on): building millions of
    long-lived objects triggers full collections that find nothing to free."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()
