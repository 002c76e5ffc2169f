"""Feed errors: `FeedError(outlet, url)` → `FetchError` | `ParseError`.

`str(error)` reads `fetch failed: eurasianet 'https://…/rss': httpx.ConnectTimeout: …`.
"""

from matchers.errors import TrialwatchError


class FeedError(TrialwatchError):
    """One outlet could not be polled; the cycle goes on without it."""

    action = "feed error"

    def __init__(
        self,
        outlet: str,
        url: str,
        cause: str,
        *,
        status: int | None = None,
        retry_after: str | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(f"{self.action}: {outlet} {url!r}: {cause}")
        self.outlet = outlet
        self.url = url
        self.cause = cause
        self.status = status
        self.retry_after = retry_after  # the raw Retry-After header, if the outlet sent one
        # What the outlet's health becomes: blocked (refuses us), broken (not a
        # feed), or failing (anything else, usually passing).
        self.kind = kind or self.default_kind

    default_kind = "failing"


class FetchError(FeedError):
    """Transport failure, HTTP status >= 400, or a body over the size cap."""

    action = "fetch failed"


class ParseError(FeedError):
    """The response is not a feed we can read (HTML page, empty, broken XML)."""

    action = "parse failed"
    default_kind = "broken"


BLOCKING_STATUS = {401, 403, 451}
