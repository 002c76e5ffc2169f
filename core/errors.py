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

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote, urlsplit, urlunsplit

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
        super().__init__(f"{self.action}: {outlet} {shown_url(url)!r}: {cause}")
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


# Query parameters whose values are credentials: private feeds carry them in the URL.
_CREDENTIAL = re.compile(r"token|key|secret|pass|auth|sig|session|credential", re.IGNORECASE)


def shown_url(url: str) -> str:
    """`url` as logs and error messages show it: any `user:password@` and the values
    of query parameters named like credentials (token, api_key, secret, signature,
    ...) replaced by `***`; otherwise unchanged. Pure."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not even a URL: show no query, where a secret would be
        return url.partition("?")[0].rpartition("@")[2]
    netloc = parts.netloc
    if "@" in netloc:  # a user name alone can be the key
        netloc = "***@" + netloc.rpartition("@")[2]
    pairs = parts.query.split("&") if parts.query else []
    query = "&".join(
        f"{name}=***" if value and _CREDENTIAL.search(unquote(name)) else f"{name}{eq}{value}"
        for name, eq, value in (pair.partition("=") for pair in pairs)
    )
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))
