"""The files users edit, read from TRIALWATCH_CONFIG_DIR."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import time
from pathlib import Path
from urllib.parse import urlsplit

from bot.destinations import Destination, parse_destinations
from bot.settings import Settings
from bot.watchlist_cache import compiled_watchlist
from core.errors import ConfigError, ConfigProblem
from core.records import OutletConfig
from feeds.decode import CP1251, charset_of
from feeds.outlets import MIN_EVERY, parse_duration, parse_outlets
from matchers import Matcher, Watchlist, parse_watchlist

CONFIG_FILES = ("feeds.yaml", "watchlist.yaml")
OPTIONAL_FILES = ("destinations.yaml",)


@dataclass(frozen=True, slots=True)
class Config:
    """The user-edited files, validated. `destinations` is None without destinations.yaml."""

    outlets: list[OutletConfig]
    watchlist: Watchlist
    destinations: tuple[Destination, ...] | None = None


def load_config(
    config_dir: Path, *, digest_at: Sequence[time] = (time(9, 0),), timezone: str = "Asia/Almaty"
) -> Config:
    """Read feeds.yaml, watchlist.yaml and, if present, destinations.yaml (whose digest
    times and time zone default to `digest_at` and `timezone`); raise `ConfigError`
    with every problem."""
    return _load(config_dir, digest_at, timezone, lambda _, text, path: parse_watchlist(text, path))


def load_compiled(settings: Settings) -> tuple[Config, Matcher]:
    """`load_config_for(settings)` and its watchlist compiled, taken from the cache in
    `settings.watchlist_cache_dir` when it holds this file (`bot.watchlist_cache`),
    which also skips parsing it; `ConfigError` as `load_config`."""
    compiled: list[Matcher] = []

    def compile_cached(data: bytes, text: str, path: str) -> Watchlist:
        compiled.append(compiled_watchlist(data, text, path, settings.watchlist_cache_dir))
        return compiled[-1].watchlist

    config = _load(settings.config_dir, settings.digest_times, settings.timezone, compile_cached)
    return config, compiled[-1]


# (file bytes, its text, its path) → the watchlist
WatchlistReader = Callable[[bytes, str, str], Watchlist]


def _load(
    config_dir: Path, digest_at: Sequence[time], timezone: str, read_watchlist: WatchlistReader
) -> Config:
    problems: list[ConfigProblem] = []
    outlets: list[OutletConfig] = []
    watchlist = Watchlist()
    for name in CONFIG_FILES:
        path = config_dir / name
        try:
            data = path.read_bytes()
            text = decode_config(data, path)
            if name == "feeds.yaml":
                outlets = parse_outlets(text, str(path))
            else:
                watchlist = read_watchlist(data, text, str(path))
                if not watchlist.entry_ids():
                    raise ConfigError([ConfigProblem(str(path), None, "", EMPTY_WATCHLIST)])
        except FileNotFoundError:
            problems.append(
                ConfigProblem(
                    str(path),
                    None,
                    "",
                    "file not found; set TRIALWATCH_CONFIG_DIR or copy the shipped config/",
                )
            )
        except ConfigError as e:
            problems.extend(e.problems)
    if problems:
        raise ConfigError(problems)
    path = config_dir / "destinations.yaml"
    try:
        text = read_config_text(path)
    except FileNotFoundError:
        return Config(outlets, watchlist)
    destinations = parse_destinations(
        text, str(path), watchlist, default_digest_at=digest_at, default_timezone=timezone
    )
    return Config(outlets, watchlist, tuple(destinations))


def poll_floor_problem(outlets: Sequence[OutletConfig], poll_every: str) -> str | None:
    """TRIALWATCH_POLL_EVERY under the 30 s floor for an outlet it applies to (one
    without its own `every:`), or None. Outlets on this machine (127.0.0.1,
    localhost: tests and demos) are exempt: the floor protects other people's servers."""
    if parse_duration(poll_every) >= MIN_EVERY:
        return None
    remote = [o for o in outlets if o.every is None and not _is_loopback(o.url)]
    if not remote:
        return None
    return (
        f"TRIALWATCH_POLL_EVERY: {poll_every!r} is under the 30s floor: outlets ban bots "
        f"that poll faster (e.g. {remote[0].id}); use 30s or more (15m is usual)"
    )


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


EMPTY_WATCHLIST = (
    "the watchlist is empty (no defendants, cases or keywords), so nothing would ever "
    "be alerted; restore it (a failed save?) or start from the shipped config/watchlist.yaml"
)


def read_config_text(path: Path) -> str:
    """A config file's text. UTF-8 (with or without a byte-order mark) is the only
    encoding accepted: anything else raises `ConfigError` naming the file, the
    encoding it looks like, and the fix."""
    return decode_config(path.read_bytes(), path)


def decode_config(data: bytes, path: Path) -> str:
    """`read_config_text` of bytes already read from `path`."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        looks = _looks_like(data)
        problem = f"not UTF-8 (looks like {looks}): save it as UTF-8"
        raise ConfigError([ConfigProblem(str(path), line, "", problem)]) from None


def _looks_like(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[1:200:2].count(0) > 20:
        return "UTF-16, as Windows Notepad saves 'Unicode'"
    if charset_of(data, min_letters=3) == CP1251:
        return "windows-1251"
    return "a Western code page such as windows-1252"


def config_stamp(config_dir: Path) -> tuple[float, ...]:
    """Modification times of the config files: a change means "reload"."""
    stamps = []
    for name in CONFIG_FILES + OPTIONAL_FILES:
        try:
            stamps.append((config_dir / name).stat().st_mtime)
        except OSError:
            stamps.append(-1.0)
    return tuple(stamps)


def load_config_for(settings: Settings) -> Config:
    """`load_config` of TRIALWATCH_CONFIG_DIR, destinations defaulting to the settings'
    digest times and time zone."""
    return load_config(
        settings.config_dir, digest_at=settings.digest_times, timezone=settings.timezone
    )
