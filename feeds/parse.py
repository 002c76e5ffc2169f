"""Feed bytes to articles as plain text. Pure functions: no network, no clock.

feedparser runs with `sanitize_html=False, resolve_relative_uris=False`: we
strip all HTML to text ourselves, and those two passes cost 40 % of its time.
"""

import calendar
import time
import zlib
from datetime import UTC, datetime
from typing import Any

import feedparser

from core.errors import ErrorKind, ParseError
from core.records import ParsedArticle
from feeds.canonical import article_key
from feeds.records import FetchedFeed, ParsedFeed
from feeds.text import html_to_text, one_line


def parse(fetched: FetchedFeed) -> ParsedFeed:
    """Parse a 200 response into articles; raise `ParseError` if it is not a feed."""
    outlet = fetched.outlet
    body = _gunzip_unlabelled(fetched)
    parsed = _feedparse(body, fetched.headers)
    if _misread_cyrillic(parsed, body):
        # Served without (or with a wrong) charset: feedparser fell back to
        # windows-1252, which turns Russian and Kazakh into mojibake.
        parsed = _feedparse(body, {**fetched.headers, "content-type": _CP1251})
    articles: dict[str, ParsedArticle] = {}
    for entry in parsed.entries:
        article = _article(outlet.id, entry)
        if article is not None:
            articles.setdefault(article.key, article)
    # A broken document that still yields items (say, a truncated tail) is used;
    # one that yields nothing is an error, unlike a valid feed with no items.
    if not articles and (parsed.get("bozo") or not parsed.get("version")):
        kind: ErrorKind = "blocked" if is_challenge_page(body) else "broken"
        raise ParseError(outlet.id, outlet.url, _why_not_a_feed(body, parsed), kind=kind)
    return ParsedFeed(outlet=outlet, articles=list(articles.values()))


_CP1251 = "application/xml; charset=windows-1251"
_GZIP_MAGIC = b"\x1f\x8b"
MAX_UNZIPPED = 20 * 1024 * 1024
# Bot-protection and challenge pages served instead of the feed.
CHALLENGE_MARKERS = (
    b"just a moment",
    b"cf-chl",
    b"challenge-platform",
    b"captcha",
    b"ddos-guard",
    b"attention required",
    b"access denied",
)


def _feedparse(body: bytes, headers: dict[str, str]) -> Any:
    return feedparser.parse(
        body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )


def _gunzip_unlabelled(fetched: FetchedFeed) -> bytes:
    """Some servers gzip the body without saying so (no Content-Encoding): undo it."""
    body = fetched.body
    if not body.startswith(_GZIP_MAGIC):
        return body
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        plain = inflater.decompress(body, MAX_UNZIPPED)
    except zlib.error as e:
        raise ParseError(fetched.outlet.id, fetched.outlet.url, f"broken gzip body: {e}") from e
    if inflater.unconsumed_tail:
        raise ParseError(
            fetched.outlet.id, fetched.outlet.url, f"gzip body inflates past {MAX_UNZIPPED} bytes"
        )
    return plain


def _misread_cyrillic(parsed: Any, body: bytes) -> bool:
    if parsed.get("encoding", "").lower() not in ("windows-1252", "iso-8859-1", "latin-1"):
        return False
    high = [b for b in body if b >= 0xC0]
    # In cp1251 text, bytes 0xC0-0xFF are Cyrillic letters; in Western text they are rare.
    return len(high) > 20 and len(high) > len(body) // 50


def is_challenge_page(body: bytes) -> bool:
    head = body[:20_000].lower()
    return b"<html" in head and any(marker in head for marker in CHALLENGE_MARKERS)


def _article(outlet_id: str, entry: Any) -> ParsedArticle | None:
    title = one_line(entry.get("title", ""))
    text = html_to_text(_body_html(entry))
    link = entry.get("link") or None
    guid = entry.get("id") or None
    if not (title or text) or not (link or guid or title):
        return None
    return ParsedArticle(
        key=article_key(outlet_id, link, guid, title),
        url=link or "",
        guid=guid,
        title=title or text[:120],
        text=text,
        author=one_line(entry.get("author", "")) or None,
        # dict.get: feedparser's own get() warns when it maps one date to the other.
        published=_utc(dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")),
    )


def _body_html(entry: Any) -> str:
    """The fullest body the entry has: content:encoded / Atom content, else summary."""
    contents = [c.get("value", "") for c in entry.get("content", []) if c.get("value")]
    summary = entry.get("summary", "")
    best = max(contents, key=len, default="")
    return best if len(best) > len(summary) else summary


def _utc(value: time.struct_time | None) -> datetime | None:
    # feedparser normalises parsed dates to UTC struct_time.
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError):
        return None


def _why_not_a_feed(body: bytes, parsed: Any) -> str:
    head = body[:512].lstrip().lower()
    if not body.strip():
        return "empty response; the feed URL may have moved"
    if is_challenge_page(body):
        return "got a bot-protection (challenge) page instead of the feed: the outlet blocks us"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "got an HTML page, not a feed; check the URL or whether the outlet blocks bots"
    problem = parsed.get("bozo_exception")
    return f"not a readable RSS/Atom feed ({type(problem).__name__}: {problem})"
