"""The files users edit, read from TRIALWATCH_CONFIG_DIR."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from pathlib import Path

from bot.destinations import Destination, parse_destinations
from bot.settings import Settings
from core.errors import ConfigError, ConfigProblem
from core.records import OutletConfig
from feeds.outlets import parse_outlets
from matchers import Watchlist, parse_watchlist

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
    problems: list[ConfigProblem] = []
    outlets: list[OutletConfig] = []
    watchlist = Watchlist()
    for name in CONFIG_FILES:
        path = config_dir / name
        try:
            text = path.read_text(encoding="utf-8")
            if name == "feeds.yaml":
                outlets = parse_outlets(text, str(path))
            else:
                watchlist = parse_watchlist(text, str(path))
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
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(outlets, watchlist)
    destinations = parse_destinations(
        text, str(path), watchlist, default_digest_at=digest_at, default_timezone=timezone
    )
    return Config(outlets, watchlist, tuple(destinations))


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
