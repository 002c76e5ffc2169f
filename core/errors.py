"""The exception tree shared by every trialwatch package.

    TrialwatchError
     ├── ConfigError         a config file is unusable (path, line, key, what to do)
     ├── SettingsError       an environment variable is missing or malformed
     ├── FeedError(outlet, url)
     │    ├── FetchError     transport failure or HTTP status >= 400
     │    └── ParseError     the body is not a usable feed
     ├── StorageError        the database is unreachable, locked or refused a statement
     └── DeliveryError       Telegram did not accept a message
          └── MessageRefused  ... this one message, even reduced: set aside, the queue goes on

Third-party exceptions are converted once, at their adapter (`feeds.fetch`,
`feeds.parse`, `storage.errors.wrap_errors`, `bot.notify`). `str(error)` is
always a complete log line.
"""

from dataclasses import dataclass
from typing import Literal

# What an outlet failure makes of its health: blocked (refuses us), broken (not
# a feed), or failing (anything else, usually passing).
ErrorKind = Literal["blocked", "broken", "failing"]


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


class SettingsError(TrialwatchError):
    """An environment variable is missing or malformed."""


class FeedError(TrialwatchError):
    """One outlet could not be polled; the cycle goes on without it.

    `str(error)` reads `fetch failed: eurasianet 'https://…/rss': httpx.ConnectTimeout: …`.
    """

    action = "feed error"
    default_kind: ErrorKind = "failing"

    def __init__(
        self,
        outlet: str,
        url: str,
        cause: str,
        *,
        status: int | None = None,
        retry_after: str | None = None,
        kind: ErrorKind | None = None,
    ) -> None:
        super().__init__(f"{self.action}: {outlet} {url!r}: {cause}")
        self.outlet = outlet
        self.url = url
        self.cause = cause
        self.status = status
        self.retry_after = retry_after  # the raw Retry-After header, if the outlet sent one
        self.kind: ErrorKind = kind or self.default_kind


class FetchError(FeedError):
    """Transport failure, HTTP status >= 400, or a body over the size cap."""

    action = "fetch failed"


class ParseError(FeedError):
    """The response is not a feed we can read (HTML page, empty, broken XML)."""

    action = "parse failed"
    default_kind: ErrorKind = "broken"


class StorageError(TrialwatchError):
    """The database is unreachable, locked, or refused a statement."""


class DeliveryError(TrialwatchError):
    """Telegram did not accept a message; the deliveries in it stay queued."""


class MessageRefused(DeliveryError):
    """Telegram refused this one message, even in its reduced form (plain, shortened),
    while the chat itself works: the message is set aside so later ones go out."""
