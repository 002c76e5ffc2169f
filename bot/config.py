"""The two files users edit, read from TRIALWATCH_CONFIG_DIR."""

from dataclasses import dataclass
from pathlib import Path

from core.errors import ConfigError, ConfigProblem
from core.records import OutletConfig
from feeds.outlets import parse_outlets
from matchers import Watchlist, parse_watchlist

CONFIG_FILES = ("feeds.yaml", "watchlist.yaml")


@dataclass(frozen=True, slots=True)
class Config:
    """Both user-edited files, validated."""

    outlets: list[OutletConfig]
    watchlist: Watchlist


def load_config(config_dir: Path) -> Config:
    """Read feeds.yaml and watchlist.yaml; raise `ConfigError` with every problem."""
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
    return Config(outlets, watchlist)


def config_stamp(config_dir: Path) -> tuple[float, ...]:
    """Modification times of the config files: a change means "reload"."""
    stamps = []
    for name in CONFIG_FILES:
        try:
            stamps.append((config_dir / name).stat().st_mtime)
        except OSError:
            stamps.append(-1.0)
    return tuple(stamps)
