"""Fetch outlet feeds over one shared httpx client. The only module here that does I/O.

The client keeps httpx's API over aiohttp's connection pool (`httpx-aiohttp`):
httpx 0.28's own async pool spends milliseconds of CPU per request once many are
in flight (encode/httpx#3215), more than a 304 costs to fetch. `fetch_all` runs a
fixed set of workers, at most `CONCURRENCY` requests at once and `PER_HOST` to one
host, and yields a `FetchResult` per outlet: errors are values, so one dead outlet
never stops the cycle. Finished results wait in a queue of `CONCURRENCY` places, so
memory follows the concurrency, not the number of outlets.
"""

import asyncio
import logging
import ssl
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache, lru_cache
from itertools import chain, zip_longest
from urllib.parse import urlsplit
from urllib.request import getproxies

import aiohttp
import httpx
import stamina
from httpx_aiohttp import AiohttpTransport

from core.errors import FetchError, shown_url
from core.records import OutletForPoll
from feeds.parse import is_challenge_page
from feeds.records import FetchedFeed, FetchResult

log = logging.getLogger(__name__)
USER_AGENT = "trialwatch/0.1 (RSS monitor of court reporting; polls at most every 30s)"
MAX_BODY = 10 * 1024 * 1024  # a news feed is rarely over 1 MB; 10 MB is clearly wrong
CONCURRENCY = 200  # requests in flight: 1,000 outlets 100 ms away take 0.5 s
PER_HOST = 8  # connections to one host, a little over a browser's 6
DEADLINE = 60.0  # seconds for one outlet, all attempts: a trickling body must not stall a cycle
_PERMANENT = {301, 308}
_TRANSIENT_STATUS = {500, 502, 504}
BLOCKING_STATUS = {401, 403, 451}  # the outlet refuses us: its health becomes "blocked"


def make_client(
    *, timeout: float = 20.0, transport: httpx.AsyncBaseTransport | None = None
) -> httpx.AsyncClient:
    """The one client a process uses: redirects followed, polite User-Agent, timeouts,
    at most CONCURRENCY connections and PER_HOST to one host."""
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
        transport=transport or _Transport(verify=_tls(), client=_aiohttp_session),
    )


@cache
def _tls() -> ssl.SSLContext:
    """One certificate-checking TLS context per process, built as aiohttp builds its
    default one (the system's certificates, HTTP/1.1 by ALPN). Loading certificates
    costs about 50 ms of CPU, and without it every client's transport loaded its own."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    return context


class _Transport(AiohttpTransport):
    """httpx-aiohttp 0.2 sends a request body it finds unread as a chunked upload,
    and the requests httpx makes to follow a redirect carry an (empty) unread one:
    read it first, so that a GET goes out as a GET with no body."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        return await super().handle_async_request(request)


def _aiohttp_session() -> aiohttp.ClientSession:
    """Made at the first request, inside the event loop, as aiohttp wants.
    Cookies are httpx's business, so aiohttp keeps none. Proxy variables are honoured
    when set; aiohttp looks them up in a thread on every request, so only then."""
    connector = aiohttp.TCPConnector(limit=CONCURRENCY, limit_per_host=PER_HOST, ssl=_tls())
    return aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=bool(getproxies()),
    )


async def fetch_all(
    client: httpx.AsyncClient,
    outlets: Iterable[OutletForPoll],
    *,
    concurrency: int = CONCURRENCY,
    now: datetime | None = None,
    deadline: float = DEADLINE,
) -> AsyncIterator[FetchResult]:
    """Fetch every outlet, at most `concurrency` at once, yielding results as they finish.
    Workers wait while `concurrency` results are waiting for the caller."""
    pending = iter(interleave_hosts(list(outlets)))
    results: asyncio.Queue[FetchResult | BaseException | None] = asyncio.Queue(concurrency)

    async def worker() -> None:
        try:
            for outlet in pending:  # shared: each outlet is taken by one worker
                await results.put(await fetch_one(client, outlet, now=now, deadline=deadline))
        except Exception as e:  # a bug, not an outlet's fault: the caller re-raises it
            await results.put(e)
        else:
            await results.put(None)

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    try:
        running = len(workers)
        while running:
            result = await results.get()
            if result is None:
                running -= 1
            elif isinstance(result, BaseException):
                raise result
            else:
                yield result
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


def interleave_hosts(outlets: Sequence[OutletForPoll]) -> list[OutletForPoll]:
    """Round-robin over hosts, so that workers waiting for one busy host's
    connections do not leave the other hosts idle. Pure."""
    by_host: dict[str, list[OutletForPoll]] = defaultdict(list)
    for outlet in outlets:
        by_host[urlsplit(outlet.url).netloc.lower()].append(outlet)
    rounds = zip_longest(*by_host.values())
    return [outlet for outlet in chain.from_iterable(rounds) if outlet is not None]


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
        return FetchResult(outlet, error=FetchError(outlet.id, outlet.url, _describe(e)))
    except aiohttp.ClientError as e:  # a response not even HTTP (bad status line, headers)
        cause = f"aiohttp.{type(e).__name__}: {e}"
        return FetchResult(outlet, error=FetchError(outlet.id, outlet.url, cause))
    return FetchResult(outlet, feed=feed)


def _describe(e: httpx.HTTPError) -> str:
    """`httpx.ConnectError: ...`. httpx-aiohttp 0.2 maps every failed connection
    (refused, unknown host) to ConnectTimeout; name those by what happened."""
    name = type(e).__name__
    if isinstance(e.__cause__, aiohttp.ClientConnectorError):
        name = "ConnectError"
    return f"httpx.{name}: {e}" if str(e) else f"httpx.{name}"


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


def log_retry(details: stamina.instrumentation.RetryDetails) -> None:
    """A stamina on-retry hook: one warning naming the outlet, the attempt and why."""
    outlet = next((a for a in details.args if isinstance(a, OutletForPoll)), None)
    if outlet is None:
        return
    cause = details.caused_by
    if isinstance(cause, _RetryableStatus):
        why = cause.error.cause
    elif isinstance(cause, httpx.HTTPError):
        why = _describe(cause)
    else:
        why = f"{type(cause).__name__}: {cause}"
    log.warning(
        "%s: retry %d in %.1fs after %s (%s)",
        outlet.id,
        details.retry_num,
        details.wait_for,
        why,
        shown_url(outlet.url),
    )


class _RetryableStatus(Exception):
    def __init__(self, error: FetchError) -> None:
        self.error = error


def _is_transient(exc: Exception) -> bool:
    return isinstance(exc, httpx.TransportError | _RetryableStatus)


async def _get_with_retries(client: httpx.AsyncClient, outlet: OutletForPoll) -> FetchedFeed:
    """One GET; after a transient failure (transport error, 500/502/504) stamina's
    retries. The first attempt runs outside stamina: setting up its retry state
    costs more CPU than a whole 304 exchange, and most polls succeed first time."""
    try:
        return await _get(client, outlet)
    except Exception as e:
        if not _is_transient(e):
            raise
        failure = e
    return await _retries(client, outlet, [failure])


@stamina.retry(on=_is_transient, attempts=3, timeout=60, wait_initial=1.0, wait_max=10.0)
async def _retries(
    client: httpx.AsyncClient, outlet: OutletForPoll, first: list[Exception]
) -> FetchedFeed:
    """The attempts after a transient failure. stamina's first attempt re-raises that
    failure, so that stamina counts, waits, logs and gives up as if it had made it."""
    if first:
        raise first.pop()
    return await _get(client, outlet)


@lru_cache(maxsize=4096)
def _parsed_url(url: str) -> httpx.URL:
    """httpx.URL is immutable and parsing one costs about as much CPU as receiving a
    304: outlets keep their URL from poll to poll, so each is parsed once."""
    return httpx.URL(url)


async def _get(client: httpx.AsyncClient, outlet: OutletForPoll) -> FetchedFeed:
    headers = {}
    if outlet.etag:
        headers["If-None-Match"] = outlet.etag
    if outlet.last_modified:
        headers["If-Modified-Since"] = outlet.last_modified
    request = client.build_request("GET", _parsed_url(outlet.url), headers=headers)
    response = await client.send(request, stream=True)  # `client.stream` without its wrapper
    try:
        status = response.status_code
        if status in _TRANSIENT_STATUS:
            raise _RetryableStatus(await _status_error(outlet, response))
        if status >= 400:
            raise await _status_error(outlet, response)
        if status == 304:  # most polls: nothing to read, nothing to parse
            body, kept = b"", {}
        else:
            body, kept = await _read_capped(response, outlet), dict(response.headers.items())
    finally:
        await response.aclose()
    return FetchedFeed(
        outlet=outlet,
        status=status,
        body=body,
        headers=kept,
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
