"""Fetch article pages politely, for evidence re-checks and full text.

- robots.txt is honoured (urllib.robotparser, RFC 9309): a page it disallows is
  not fetched; robots.txt answering 5xx or not at all counts as "disallow all"
  until it is asked again (after ROBOTS_TTL); 4xx other than 401/403 as "allow".
- At most one request a second per host (robots.txt included), at most
  `concurrency` requests at once overall.
- Successful pages are cached by URL (LRU) when the caller allows it: full text
  does, evidence re-checks never do.

`fetch` never raises for a page: a `PageResult` holds the page or why there is none.
"""

import asyncio
import time
import urllib.robotparser
from collections import OrderedDict
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

import httpx

from feeds.records import DISALLOWED, PageResult

ROBOTS_AGENT = "trialwatch"
_ACCEPT_HTML = {"Accept": "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"}
ROBOTS_TTL = 3600.0  # seconds a robots.txt answer is trusted
MAX_PAGE = 5 * 1024 * 1024  # bytes; an article page over 5 MB is not an article


class PageFetcher:
    """Polite page fetching over one shared httpx client (see the module docstring)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        per_host: float = 1.0,
        concurrency: int = 2,
        timeout: float = 20.0,
        cache_size: int = 64,  # pages are ~100-300 kB of HTML each
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.per_host = per_host
        self.timeout = timeout
        self.cache_size = cache_size
        self._clock = clock
        self._slots = asyncio.Semaphore(concurrency)
        self._host_locks: dict[str, asyncio.Lock] = {}
        self._next_at: dict[str, float] = {}
        self._robots: dict[str, tuple[float, Callable[[str], bool]]] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._cache: OrderedDict[str, PageResult] = OrderedDict()
        self._inflight: dict[str, asyncio.Future[PageResult]] = {}

    async def fetch_all(self, urls: Iterable[str], *, cached: bool = False) -> list[PageResult]:
        """Pages for `urls`, in order; fetched concurrently within the limits."""
        return list(await asyncio.gather(*(self.fetch(u, cached=cached) for u in urls)))

    async def fetch(self, url: str, *, cached: bool = False) -> PageResult:
        if not cached:
            return await self._fetch(url, cached=False)
        if url in self._cache:
            self._cache.move_to_end(url)
            return self._cache[url]
        if url not in self._inflight:  # two items linking one page: one request
            self._inflight[url] = asyncio.ensure_future(self._fetch(url, cached=True))
        try:
            return await asyncio.shield(self._inflight[url])
        finally:
            if self._inflight.get(url) is not None and self._inflight[url].done():
                del self._inflight[url]

    async def _fetch(self, url: str, *, cached: bool) -> PageResult:
        if not await self._allowed(url):
            return PageResult(url, error=DISALLOWED)
        result = await self._get(url)
        if cached and result.ok:
            self._cache[url] = result
            if len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return result

    async def _get(self, url: str) -> PageResult:
        try:
            response = await self._request(url)
        except httpx.TimeoutException:
            return PageResult(url, error=f"timed out after {self.timeout:g} s")
        except httpx.HTTPError as e:
            return PageResult(url, error=f"{type(e).__name__}: {e}")
        final = str(response.url)
        if response.status_code != 200:
            return PageResult(
                url, response.status_code, final, error=f"HTTP {response.status_code}"
            )
        if len(response.content) > MAX_PAGE:
            return PageResult(url, 200, final, error=f"page over {MAX_PAGE} bytes")
        return PageResult(url, 200, final, html=response.text)

    async def _request(self, url: str) -> httpx.Response:
        await self._wait_turn(_host(url))
        async with self._slots:
            return await self.client.get(url, timeout=self.timeout, headers=_ACCEPT_HTML)

    async def _wait_turn(self, host: str) -> None:
        """Reserve the host's next request slot, at least `per_host` seconds after the last."""
        lock = self._host_locks.setdefault(host, asyncio.Lock())
        async with lock:
            wait = self._next_at.get(host, 0.0) - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next_at[host] = self._clock() + self.per_host

    async def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        async with self._robots_locks.setdefault(origin, asyncio.Lock()):  # read it once
            known = self._robots.get(origin)
            if known is None or self._clock() - known[0] > ROBOTS_TTL:
                known = (self._clock(), await self._read_robots(origin))
                self._robots[origin] = known
        return known[1](url)

    async def _read_robots(self, origin: str) -> Callable[[str], bool]:
        """Whether robots.txt lets us fetch a URL of this origin."""
        try:
            response = await self._request(origin + "/robots.txt")
        except httpx.HTTPError:
            return _nothing  # unreachable: RFC 9309 §2.3.1.4
        if response.status_code in (401, 403) or response.status_code >= 500:
            return _nothing
        if response.status_code >= 400:
            return _anything
        parser = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
        parser.parse(response.text.splitlines())
        return lambda url: parser.can_fetch(ROBOTS_AGENT, url)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _nothing(_url: str) -> bool:
    return False


def _anything(_url: str) -> bool:
    return True
