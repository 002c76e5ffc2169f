"""Full text for summary-only feeds: the article page's main text replaces the feed's lead.

For outlets with `fulltext: true` in feeds.yaml, and only for articles not
stored before. Pages come through the polite `PageFetcher` (robots.txt, one
request a second per host, two at once, cached by URL) and trafilatura. Any
failure (disallowed, timeout, HTTP error, no text, less text than the feed
gave) keeps the feed's text: the article is matched either way.
"""

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlsplit

from core.records import ParsedArticle
from feeds.extract import extract_text
from feeds.pages import PageFetcher
from feeds.records import PageResult


async def with_full_text(
    fetcher: PageFetcher, articles: Sequence[ParsedArticle]
) -> list[ParsedArticle]:
    """The articles, each with its page's main text where that could be had."""
    linked = [a for a in articles if urlsplit(a.url).scheme in ("http", "https")]
    pages = await fetcher.fetch_all([a.url for a in linked], cached=True)
    texts = {
        a.key: await asyncio.to_thread(_page_text, p) for a, p in zip(linked, pages, strict=True)
    }
    return [replace(a, text=pick_text(a.text, texts.get(a.key))) for a in articles]


def _page_text(page: PageResult) -> str | None:
    return extract_text(page.html, page.final_url or page.url) if page.ok and page.html else None


def pick_text(feed_text: str, page_text: str | None) -> str:
    """The page's text, unless it is missing or shorter than the feed's (a failed
    extraction, a cookie wall or a paywall teaser)."""
    if page_text and len(page_text) >= len(feed_text):
        return page_text
    return feed_text
