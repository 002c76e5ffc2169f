"""Settings from TRIALWATCH_* environment variables (a `.env` file may set them).

Constructed in `bot.app`, never at import, so tests and commands choose when.
"""

import difflib
import logging
import os
import re
from collections.abc import Iterable
from datetime import time, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values  # pydantic-settings' own .env reader
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.errors import SettingsError
from feeds.outlets import parse_duration
from storage.db import database_url_problem, sqlite_file

log = logging.getLogger(__name__)


CHAT_ID = re.compile(r"-?\d+|@[A-Za-z][A-Za-z0-9_]{3,31}")
USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
PREFIX = "TRIALWATCH_"
# Read by the test suite, not by trialwatch: not typos.
OTHER_VARIABLES = {"TRIALWATCH_TEST_POSTGRES_URL", "TRIALWATCH_SHARED_DIR"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRIALWATCH_", env_file=".env", extra="ignore")

    config_dir: Path = Path("config")
    database_url: str = "sqlite:///data/trialwatch.db"
    telegram_token: SecretStr | None = None
    telegram_chat: str | None = None
    telegram_api: str | None = None
    telegram_admin_chat: str | None = None
    timezone: str = "Asia/Almaty"
    digest_at: str = "09:00"
    poll_every: str = "15m"
    admins: str = ""  # Telegram user ids allowed to use the bot's commands
    mode: Literal["single", "replica"] = "single"
    replica_lease: str = "30s"
    replica_concurrency: int = Field(default=20, ge=1, le=500)
    cpu_workers: int | None = Field(default=None, ge=0, le=64)  # None: one per usable core
    cache_dir: Path | None = None  # the compiled watchlist; None: see `watchlist_cache_dir`

    @field_validator(
        "telegram_token", "telegram_chat", "telegram_api", "telegram_admin_chat", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """Spaces around a pasted value are not part of it, and an empty value (the
        shipped `.env.example` as copied) is the same as no value."""
        if isinstance(value, str):
            return value.strip() or None
        return value

    @field_validator("cache_dir", mode="before")
    @classmethod
    def _blank_folder_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; use a name like Asia/Almaty") from None
        return value

    @field_validator("digest_at")
    @classmethod
    def _digest_times(cls, value: str) -> str:
        parse_times(value)
        return value

    @field_validator("poll_every", "replica_lease")
    @classmethod
    def _duration(cls, value: str) -> str:
        parse_duration(value)  # the 30 s floor: bot.config.poll_floor_problem
        return value

    @field_validator("admins")
    @classmethod
    def _user_ids(cls, value: str) -> str:
        parse_user_ids(value)
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        problem = database_url_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("telegram_api")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "not an http(s) URL (not echoed: it may hold the token); give the Bot API "
                "server's root, "
                "like http://127.0.0.1:8081, or unset it to use Telegram's"
            )
        return value

    @field_validator("telegram_chat", "telegram_admin_chat")
    @classmethod
    def _chat_id(cls, value: str | None) -> str | None:
        if value is None or CHAT_ID.fullmatch(value.strip()):
            return value
        hint = f" (did you mean @{value.strip()}?)" if USERNAME.fullmatch(value.strip()) else ""
        raise ValueError(
            f"{value!r} is neither a chat id (-100… for a channel or supergroup, a number "
            f"for a group or user) nor @channelname{hint}"
        )

    @model_validator(mode="after")
    def _chat_with_token(self) -> "Settings":
        destinations = self.config_dir / "destinations.yaml"
        if self.telegram_token and not self.telegram_chat and not destinations.exists():
            raise ValueError(
                "TRIALWATCH_TELEGRAM_CHAT is required with a token: the channel id (-100…) "
                f"or @channelname (or list chats in {destinations})"
            )
        if self.mode == "replica" and not self.database_url.startswith("postgres"):
            raise ValueError(
                "TRIALWATCH_MODE=replica needs TRIALWATCH_DATABASE_URL=postgresql://…: replicas "
                "share one PostgreSQL database (SQLite is for a single process)"
            )
        return self

    @property
    def admin_ids(self) -> frozenset[int]:
        return parse_user_ids(self.admins)

    @property
    def lease(self) -> timedelta:
        """How long a silent replica's tasks stay its own before another takes them over."""
        return parse_duration(self.replica_lease)

    @property
    def watchlist_cache_dir(self) -> Path:
        """Where the compiled watchlist is kept: TRIALWATCH_CACHE_DIR, else the SQLite
        database's folder (a Docker volume already holds it), else
        $XDG_CACHE_HOME/trialwatch (~/.cache/trialwatch)."""
        if self.cache_dir is not None:
            return self.cache_dir
        if (database := sqlite_file(self.database_url)) is not None:
            return database.parent
        xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
        return (Path(xdg) if xdg else Path.home() / ".cache") / "trialwatch"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def digest_times(self) -> list[time]:
        return parse_times(self.digest_at)

    @property
    def default_every(self) -> timedelta:
        return parse_duration(self.poll_every)

    @property
    def chat_id(self) -> int | str:
        return _chat(self.telegram_chat)

    @property
    def admin_chat_id(self) -> int | str | None:
        return _chat(self.telegram_admin_chat) if self.telegram_admin_chat else None


def _chat(value: str | None) -> int | str:
    chat = (value or "").strip()
    return int(chat) if chat.lstrip("-").isdigit() else chat


def parse_user_ids(value: str) -> frozenset[int]:
    """`111, 222` → {111, 222}; ValueError naming a part that is not a user id."""
    ids = set()
    for part in value.replace(",", " ").split():
        if not part.isdigit():
            raise ValueError(f"{part!r} is not a numeric Telegram user id (ask @userinfobot)")
        ids.add(int(part))
    return frozenset(ids)


def parse_times(value: str) -> list[time]:
    """`09:00`, `09:00,18:00` or with seconds `09:00:30` → times; ValueError otherwise."""
    times = []
    for part in value.split(","):
        try:
            hour, minute, second = (int(x) for x in (part.strip() + ":0").split(":")[:3])
            if part.count(":") > 2:
                raise ValueError
            times.append(time(hour, minute, second))
        except ValueError:
            raise ValueError(f"{part.strip()!r} is not a time like 09:00") from None
    return times


def unknown_variables(names: Iterable[str]) -> list[str]:
    """A warning for each TRIALWATCH_* name trialwatch does not read, with the
    nearest known name when there is one (a typo like TRIALWATCH_DIGEST_TIME)."""
    known = {PREFIX + name.upper() for name in Settings.model_fields} | OTHER_VARIABLES
    warnings = []
    for name in sorted(set(names)):
        if not name.startswith(PREFIX) or name in known:
            continue
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        warnings.append(f"{name} is not a trialwatch setting and is ignored{hint}")
    return warnings


def load_settings() -> Settings:
    """Read the environment (and `.env`); raise `SettingsError` naming each bad
    variable. Unknown TRIALWATCH_* variables are logged as warnings."""
    in_dotenv = list(dotenv_values(".env")) if Path(".env").is_file() else []
    for warning in unknown_variables([*os.environ, *in_dotenv]):
        log.warning("%s", warning)
    try:
        return Settings()
    except ValidationError as e:
        lines = []
        for err in e.errors():
            name = "_".join(str(p) for p in err["loc"]).upper()
            variable = f"TRIALWATCH_{name}" if name else "settings"
            lines.append(f"{variable}: {err['msg'].removeprefix('Value error, ')}")
        raise SettingsError("\n".join(lines)) from None
