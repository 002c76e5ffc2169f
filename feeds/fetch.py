"""Fetch outlet feeds over one shared httpx client. The only module here that does I/O.

`fetch_all` runs fetches concurrently, bounded by a semaphore (httpx 0.28 gets
slower, not faster, past about 50 concurrent requests: see the README), and
yields a `FetchResult` per outlet: errors are values, so one dead outlet never
stops the cycle.
"""

import asyncio
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx
import stamina

from core.errors import FetchError
from core.records import OutletForPoll
from feeds.parse import is_challenge_page
from feeds.records import FetchedFeed, FetchResult

USER_AGENT = "trialwatch/0.1 (RSS monitor of court reporting; polls at most every 30s)"
MAX_BODY = 10 * 1024 * 1024  # a news feed is rarely over 1 MB; 10 MB is clearly wrong
CONCURRENCY = 10
DEADLINE = 60.0  # seconds for one outlet, all attempts: a trickling body must not stall a cycle
_PERMANENT = {301, 308}
_TRANSIENT_STATUS = {500, 502, 504}
BLOCKING_STATUS = {401, 403, 451}  # the outlet refuses us: its health becomes "blocked"


def make_client(
    *, timeout: float = 20.0, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The one client a process uses: redirects followed, polite User-Agent, timeouts."""
    return httpx.AsyncClient(
        follow_redirects=True,
        max_redirects=5,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        headers={
            "User-Agent": USER_AGENT,
            "Accept": "application/rss+xml, application/atom+xml, "
            "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5",
            # Only codings feeds.decode undoes: we read the raw body, so that a
            # wrong Content-Encoding label is not a transport error.
            "Accept-Encoding": "gzip, deflate",
        },
        limits=httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY),
        transport=transport,
    )


async def fetch_all(
    client: httpx.AsyncClient,
    outlets: Iterable[OutletForPoll],
    *,
    concurrency: int = CONCURRENCY,
    now: datetime | None = None,
    deadline: float = DEADLINE,
) -> AsyncIterator[FetchResult]:
    """Fetch every outlet, at most `concurrency` at once, yielding results as they finish."""
    semaphore = asyncio.Semaphore(concurrency)

    async def bounded(outlet: OutletForPoll) -> FetchResult:
        async with semaphore:
            return await fetch_one(client, outlet, now=now, deadline=deadline)

    tasks = [asyncio.create_task(bounded(outlet)) for outlet in outlets]
    try:
        for finished in asyncio.as_completed(tasks):
            yield await finished
    finally:
        for task in tasks:
            task.cancel()


async def fetch_one(
    client: httpx.AsyncClient,
    outlet: OutletForPoll,
    *,
    now: datetime | None = None,
    deadline: float = DEADLINE,
) -> FetchResult:
    """GET one feed with conditional headers; never raises a `FeedError`."""
    try:
        async with asyncio.timeout(deadline):
            feed = await _get_with_retries(client, outlet)
    except TimeoutError:
        cause = f"no complete response within {deadline:g}s (slow or stalled outlet)"
        return FetchResult(outlet, error=FetchError(outlet.id, outlet.url, cause))
    except _RetryableStatus as e:
        return FetchResult(outlet, error=e.error)
    except FetchError as e:
        retry_after = _retry_after(e.retry_after, now or datetime.now(UTC))
        return FetchResult(outlet, error=e, retry_after=retry_after)
    except httpx.HTTPError as e:
        cause = f"httpx.{type(e).__name__}: {e}" if str(e) else f"httpx.{type(e).__name__}"
        return FetchResult(outlet, error=FetchError(outlet.id, outlet.url, cause))
    return FetchResult(outlet, feed=feed)


async def _status_error(outlet: OutletForPoll, response: httpx.Response) -> FetchError:
    status = response.status_code
    head = await _read_head(response)
    challenge = response.headers.get("cf-mitigated") == "challenge" or is_challenge_page(head)
    cause = f"HTTP {status} {response.reason_phrase}".rstrip()
    if challenge:
        cause += " (a bot-protection challenge page)"
    elif status in BLOCKING_STATUS:
        cause += " (the outlet refuses us; it may block data-centre IPs or bots)"
    return FetchError(
        outlet.id,
        outlet.url,
        cause,
        status=status,
        retry_after=response.headers.get("Retry-After"),
        kind="blocked" if challenge or status in BLOCKING_STATUS else None,
    )


async def _read_head(response: httpx.Response, limit: int = 20_000) -> bytes:
    """The start of an error page, enough to recognise a challenge page."""
    head = b""
    try:
        async for chunk in response.aiter_bytes():
            head += chunk
            if len(head) >= limit:
                break
    except httpx.HTTPError:
        pass  # an unreadable error page is still an error page
    return head[:limit]


class _RetryableStatus(Exception):
    def __init__(self, error: FetchError) -> None:
        self.error = error


def _is_transient(exc: Exception) -> bool:
    return isinstance(exc, httpx.TransportError | _RetryableStatus)


@stamina.retry(on=_is_transient, attempts=3, timeout=60, wait_initial=1.0, wait_max=10.0)
async def _get_with_retries(client: httpx.AsyncClient, outlet: OutletForPoll) -> FetchedFeed:
    headers = {}
    if outlet.etag:
        headers["If-None-Match"] = outlet.etag
    if outlet.last_modified:
        headers["If-Modified-Since"] = outlet.last_modified
    async with client.stream("GET", outlet.url, headers=headers) as response:
        if response.status_code in _TRANSIENT_STATUS:
            raise _RetryableStatus(await _status_error(outlet, response))
        if response.status_code >= 400:
            raise await _status_error(outlet, response)
        body = b""
        if response.status_code != 304:
            body = await _read_capped(response, outlet)
    return FetchedFeed(
        outlet=outlet,
        status=response.status_code,
        body=body,
        headers=dict(response.headers),
        etag=response.headers.get("ETag") or outlet.etag,
        last_modified=response.headers.get("Last-Modified") or outlet.last_modified,
        moved_to=_moved_to(response),
        final_url=str(response.url),
    )


async def _read_capped(response: httpx.Response, outlet: OutletForPoll) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise FetchError(
            outlet.id, outlet.url, f"body of {declared} bytes is over the {MAX_BODY}-byte cap"
        )
    chunks, size = [], 0
    async for chunk in response.aiter_raw():  # as sent: feeds.decode undoes the coding
        size += len(chunk)
        if size > MAX_BODY:
            raise FetchError(outlet.id, outlet.url, f"body is over the {MAX_BODY}-byte cap")
        chunks.append(chunk)
    return b"".join(chunks)


def _moved_to(response: httpx.Response) -> str | None:
    """The final URL when every redirect on the way was permanent."""
    if response.history and all(r.status_code in _PERMANENT for r in response.history):
        return str(response.url)
    return None


def _retry_after(header: str | None, now: datetime) -> timedelta | None:
    value = (header or "").strip()
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(timedelta(0), when - now) if when.tzinfo else None
