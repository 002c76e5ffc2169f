"""The exception tree shared by every trialwatch package.

    TrialwatchError
     ├── ConfigError         a config file is unusable (path, line, key, what to do)
     ├── feeds.errors.FeedError(outlet, url)
     │    ├── FetchError     transport failure or HTTP status >= 400
     │    └── ParseError     the body is not a usable feed
     ├── storage.errors.StorageError
     └── bot.errors.DeliveryError

It lives here because `matchers` is the one package every other package may
import. `str(error)` is always a complete log line.
"""

from dataclasses import dataclass


class TrialwatchError(Exception):
    """Base of every error trialwatch expects; anything else is a bug."""


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong in a config file, located as precisely as we can."""

    path: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ConfigError(TrialwatchError):
    """A config file has one or more problems; every one is listed."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems
