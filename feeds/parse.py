"""Feed bytes to articles as plain text. Pure functions: no network, no clock.

Well-formed feeds are read by `feeds.fastparse`, which gives feedparser's entries
without feedparser's per-element Python; everything it leaves alone (its docstring
states the rule) is read by feedparser, which stays the reference. feedparser runs
with `sanitize_html=False, resolve_relative_uris=False`: we strip all HTML to text
ourselves, and those two passes cost 40 % of its time.
"""

import calendar
import logging
import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import feedparser

from core.errors import ErrorKind, ParseError
from core.records import ParsedArticle
from feeds import fastparse
from feeds.dates import exists_as_written
from feeds.decode import CP1251, charset_of, content_decoded
from feeds.identity import article_key, url_key
from feeds.records import FetchedFeed, ParsedFeed
from feeds.text import html_to_text, one_line


def parse(fetched: FetchedFeed) -> ParsedFeed:
    """Parse a 200 response into articles; raise `ParseError` if it is not a feed.

    Well-formed feeds are read by `feeds.fastparse`, which gives feedparser's entries
    about 20 times faster; what it leaves alone (its module docstring says what) and a
    feed that yields no article are read by feedparser itself."""
    return _parse(fetched, fast=True)


def parse_with_feedparser(fetched: FetchedFeed) -> ParsedFeed:
    """`parse` with feedparser reading every feed: the reference `parse` must agree with."""
    return _parse(fetched, fast=False)


def fast_entries(fetched: FetchedFeed) -> tuple[list[dict[str, Any]] | None, str]:
    """The entries `feeds.fastparse` reads from a 200 response, or None and why it
    leaves the feed to feedparser. Raises `ParseError` for a broken compressed body."""
    body, headers, shown = _prepared(fetched)
    if shown == CP1251:
        return None, "windows-1251 without its label (read twice by feedparser)"
    if not body:
        return None, "empty"
    return fastparse.read(_characters_only(body), headers)


def _prepared(fetched: FetchedFeed) -> tuple[bytes, dict[str, str], str | None]:
    """The body with its content coding undone, the headers feedparser gets, and the
    charset the bytes show (`feeds.decode.charset_of`)."""
    body = content_decoded(fetched)
    headers = {k.lower(): v for k, v in fetched.headers.items()}
    headers.pop("content-encoding", None)  # undone above
    # Relative links resolve against the URL the feed came from (Atom xml:base
    # inside the document takes precedence, as feedparser implements it).
    headers["content-location"] = fetched.final_url or fetched.outlet.url
    headers.setdefault("content-type", "application/xml")  # the XML declaration decides
    shown = charset_of(body)
    if shown is not None and shown != CP1251:  # the bytes show it: the labels lose
        headers["content-type"] = f"application/xml; charset={shown}"
    return body, headers, shown


def _parse(fetched: FetchedFeed, *, fast: bool) -> ParsedFeed:
    outlet = fetched.outlet
    if fast:
        entries, why = fast_entries(fetched)
        if why.startswith(fastparse.FAILED):
            log.warning("%s: %s; read by feedparser", outlet.id, why)
        articles, skipped = _articles(outlet.id, entries or [])
        if articles:
            _log_skipped(outlet.id, skipped)
            return ParsedFeed(outlet=outlet, articles=articles)
    body, headers, shown = _prepared(fetched)
    parsed = _feedparse(fetched, body, headers)
    if shown == CP1251 and parsed.get("encoding", "").lower() in _LATIN1:
        # Served without (or with a wrong) charset: read as Latin-1, Russian and
        # Kazakh in windows-1251 would be mojibake.
        parsed = _feedparse(fetched, body, {**headers, "content-type": _XML_CP1251})
    articles, skipped = _articles(outlet.id, parsed.entries)
    _log_skipped(outlet.id, skipped)
    # A broken document that still yields items (say, a truncated tail) is used;
    # one that yields nothing is an error, unlike a valid feed with no items.
    if not articles and (parsed.get("bozo") or not parsed.get("version")):
        kind: ErrorKind = "blocked" if is_challenge_page(body) else "broken"
        raise ParseError(outlet.id, outlet.url, _why_not_a_feed(body, parsed), kind=kind)
    return ParsedFeed(outlet=outlet, articles=articles)


def _articles(outlet_id: str, entries: list[Any]) -> tuple[list[ParsedArticle], list[str]]:
    """The entries as articles, the first of each key kept, and why items were skipped."""
    articles: dict[str, ParsedArticle] = {}
    skipped = []
    for number, entry in enumerate(entries, 1):
        try:
            article = _article(outlet_id, entry)
        except (TypeError, ValueError, AttributeError, OverflowError) as e:
            # One malformed item never costs the others.
            skipped.append(f"item {number} skipped: {type(e).__name__}: {e}")
            continue
        if article is not None:
            articles.setdefault(article.key, article)
    return list(articles.values()), skipped


def _log_skipped(outlet_id: str, skipped: list[str]) -> None:
    for why in skipped:
        log.warning("%s: %s", outlet_id, why)


log = logging.getLogger(__name__)
_XML_CP1251 = f"application/xml; charset={CP1251}"
_LATIN1 = ("windows-1252", "iso-8859-1", "latin-1", "iso8859-1", "cp1252")
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


def _feedparse(fetched: FetchedFeed, body: bytes, headers: dict[str, str]) -> Any:
    """feedparser's result; `ParseError` if feedparser itself raises, so one
    outlet's odd bytes cost that outlet's poll, never the cycle."""
    try:
        return feedparser.parse(
            _characters_only(body),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except Exception as e:  # feedparser's loose parser raises on inputs it did not foresee
        outlet = fetched.outlet
        raise ParseError(
            outlet.id, outlet.url, f"feedparser failed: {type(e).__name__}: {e}"
        ) from e


# An http(s) URL with a host of letters, digits, dots and dashes, no spaces around.
_PLAIN_WEB_LINK = re.compile(
    r"https?://[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::[0-9]{1,5})?(?:[/?#][!-~]*)?\Z"
)
_CHARREF = re.compile(rb"&#([xX][0-9a-fA-F]+|[0-9]+);")


def _characters_only(body: bytes) -> bytes:
    """Numeric character references to what is not a character (a surrogate such as
    `&#xD83D;`, beyond U+10FFFF, NUL) become U+FFFD: XML 1.0 allows none of them,
    and feedparser's fallback parser raises on all but NUL, losing every item."""

    def fix(ref: re.Match[bytes]) -> bytes:
        digits = ref.group(1)
        number = int(digits[1:], 16) if digits[:1] in b"xX" else int(digits)
        if number == 0 or 0xD800 <= number <= 0xDFFF or number > 0x10FFFF:
            return b"&#xFFFD;"
        return ref.group()

    return _CHARREF.sub(fix, body) if b"&#" in body else body


def is_challenge_page(body: bytes) -> bool:
    head = body[:20_000].lower()
    return b"<html" in head and any(marker in head for marker in CHALLENGE_MARKERS)


def _article(outlet_id: str, entry: Any) -> ParsedArticle | None:
    title = _text_field(entry, "title")
    text = html_to_text(_body_html(entry))
    link = web_link(entry.get("link"))
    guid = entry.get("id") or None
    if not (title or text) or not (link or guid or title):
        return None
    return ParsedArticle(
        key=article_key(outlet_id, link, guid, title or text[:120]),
        url=link or "",
        guid=guid,
        title=title or text[:120],
        text=text,
        author=one_line(entry.get("author", ""), plain=True) or None,
        published=_published(entry),
        url_key=url_key(link) if link else None,
    )


def _text_field(entry: Any, name: str) -> str:
    """A title-like field as one line: HTML stripped only when the feed says it is HTML."""
    detail = entry.get(f"{name}_detail") or {}
    plain = detail.get("type", "text/plain") == "text/plain"
    return one_line(entry.get(name, ""), plain=plain)


def web_link(link: object) -> str | None:
    """The link if it is an absolute http(s) URL (feedparser has resolved it against
    xml:base and the feed's URL); None for javascript:, mailto:, data: and the like."""
    if not isinstance(link, str):
        return None
    if _PLAIN_WEB_LINK.match(link):
        return link  # what urlsplit would find a web link with a host in
    parts = urlsplit(link.strip())
    if parts.scheme.lower() in ("http", "https") and parts.hostname:
        return link.strip()
    return None


def _body_html(entry: Any) -> str:
    """The fullest body the entry has: content:encoded / Atom content, else summary."""
    contents = [c.get("value", "") for c in entry.get("content", []) if c.get("value")]
    summary = entry.get("summary", "")
    best = max(contents, key=len, default="")
    return best if len(best) > len(summary) else summary


def _published(entry: Any) -> datetime | None:
    """The publication date, else the update date, in UTC; a date as written that
    names no real day is skipped. dict.get: feedparser's own get() warns when it
    maps one date to the other."""
    for name in ("published", "updated"):
        parsed = dict.get(entry, f"{name}_parsed")
        if parsed and exists_as_written(dict.get(entry, name)):
            return _utc(parsed)
    return None


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
