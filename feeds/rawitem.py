"""The feed items' XML as the outlet served it, for the evidence trail.
Pure functions: no network, no database, no clock.

feedparser hands over parsed fields, never an item's markup, so the items are
found again in the feed's bytes (content coding undone) with expat, which
reports the byte offset of every start and end tag: the slice from `<item`
(or `<entry`) to the end of its end tag is the item byte for byte, CDATA and
comments included. A real XML parser, not a pattern: `</item>` inside CDATA or
a comment cannot cut an item short. An item is matched to its article by guid
(Atom id, RSS 1.0 rdf:about), else by link.

What is left out, on purpose (the article is stored either way, without it):
a document expat cannot read up to an item (not well-formed before it, or in an
encoding expat cannot read, such as a multi-byte one it does not know), and an
item over MAX_ITEM bytes. Entities a DTD would declare (`&nbsp;` with no DTD, as
outlets write them) do not stop it: expat is told the DTD is external and unread.
"""

import codecs
import contextlib
import hashlib
import re
import xml.parsers.expat as expat
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.records import ParsedArticle, RawItem
from feeds.decode import CP1251, charset_of, content_decoded
from feeds.identity import url_key
from feeds.records import FetchedFeed

MAX_ITEM = 1024 * 1024  # bytes; an item past this (a whole book in content:encoded) is not kept
_ITEMS = {"item", "entry"}
_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_LATIN1 = {"iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "us-ascii"}


def raw_items(fetched: FetchedFeed, articles: Sequence[ParsedArticle]) -> dict[str, RawItem]:
    """The served XML of each of `articles` found in the feed, by article key."""
    if not articles or fetched.not_modified:
        return {}
    body = content_decoded(fetched)
    encoding = _encoding(body)
    found = _slices(body, encoding if encoding in ("utf-8", CP1251) else None)
    by_guid: dict[str, tuple[int, int]] = {}
    by_link: dict[str, tuple[int, int]] = {}
    for item in found:
        if item.guid:
            by_guid.setdefault(item.guid, item.span)
        if item.link:
            by_link.setdefault(item.link, item.span)
            by_link.setdefault(url_key(item.link) or item.link, item.span)
    raws = {}
    for article in articles:
        span = (
            (by_guid.get(article.guid) if article.guid else None)
            or by_link.get(article.url)
            or (by_link.get(article.url_key) if article.url_key else None)
        )
        if span is not None and span[1] - span[0] <= MAX_ITEM:
            raw = body[span[0] : span[1]]
            xml = raw.decode(_known(encoding), errors="replace")
            raws[article.key] = RawItem(xml, hashlib.sha256(raw).hexdigest())
    return raws


def _encoding(body: bytes) -> str | None:
    """The encoding the items' bytes are in: what the bytes show (`decode.charset_of`,
    as the parser trusts them), else what the XML declaration says, else UTF-8."""
    shown = charset_of(body)
    declared = _DECLARED.match(body[:200])
    name = declared.group(1).decode("ascii").lower() if declared else None
    if shown == CP1251 and name not in (None, *_LATIN1):
        return name  # declared, say, koi8-r: the declaration knows better than a guess
    return shown or name or "utf-8"


@dataclass
class _Item:
    start: int
    end: int = 0
    guid: str | None = None
    link: str | None = None

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end


def _slices(body: bytes, override: str | None) -> list[_Item]:
    """Top-level items with their byte span, guid and link, in document order; those
    completed before any error expat meets."""
    parser = expat.ParserCreate(encoding=override)
    parser.UseForeignDTD(True)  # undeclared entities (&nbsp;) are skipped, not fatal
    parser.buffer_text = True
    gt = ">".encode(_codec(body, override))
    items: list[_Item] = []
    state: dict[str, Any] = {"item": None, "depth": 0, "field": None, "text": []}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        item: _Item | None = state["item"]
        if item is None:
            if local in _ITEMS:
                state["item"] = _Item(parser.CurrentByteIndex, guid=attrs.get("rdf:about"))
                state["depth"] = 0
            return
        state["depth"] += 1
        if state["depth"] != 1:
            return
        if local == "link" and "href" in attrs:
            if attrs.get("rel", "alternate") == "alternate" and item.link is None:
                item.link = attrs["href"].strip()
        elif local in ("link", "guid", "id"):
            state["field"], state["text"] = local, []

    def text(data: str) -> None:
        if state["field"] is not None:
            state["text"].append(data)

    def end(name: str) -> None:
        item: _Item | None = state["item"]
        if item is None:
            return
        if state["depth"] == 0:  # the item's own end tag
            item.end = body.index(gt, parser.CurrentByteIndex) + len(gt)
            items.append(item)
            state["item"] = None
            return
        if state["depth"] == 1 and state["field"] is not None:
            value = "".join(state["text"]).strip() or None
            if state["field"] == "link":
                item.link = item.link or value
            else:
                item.guid = value or item.guid
            state["field"] = None
        state["depth"] -= 1

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    with contextlib.suppress(expat.ExpatError, ValueError):  # keep the items done before it
        parser.Parse(_characters_only(body), True)
    return items


_CHARREF = re.compile(rb"&#([xX][0-9a-fA-F]+|[0-9]+);")


def _characters_only(body: bytes) -> bytes:
    """References to what is not a character (a lone surrogate `&#xD83D;`, NUL, past
    U+10FFFF), which XML forbids and outlets write, become as many spaces: expat reads
    on, and every byte keeps its offset, so the slices are of the bytes as served."""

    def blank(ref: re.Match[bytes]) -> bytes:
        digits = ref.group(1)
        number = int(digits[1:], 16) if digits[:1] in b"xX" else int(digits)
        if number in (0x9, 0xA, 0xD) or 0x20 <= number <= 0xD7FF or 0xE000 <= number <= 0xFFFD:
            return ref.group()
        if 0x10000 <= number <= 0x10FFFF:
            return ref.group()
        return b" " * len(ref.group())

    return _CHARREF.sub(blank, body) if b"&#" in body else body


def _known(encoding: str | None) -> str:
    """A codec Python has for `encoding`, else UTF-8 (the text is then approximate;
    the hash is of the bytes either way)."""
    try:
        return codecs.lookup(encoding or "utf-8").name
    except LookupError:
        return "utf-8"


def _codec(body: bytes, override: str | None) -> str:
    """How `>` is written in the document: UTF-16 by its first bytes, else one byte."""
    if override is None:
        for start, codec in (
            (b"\xff\xfe", "utf-16-le"),
            (b"<\x00?\x00", "utf-16-le"),
            (b"\xfe\xff", "utf-16-be"),
            (b"\x00<\x00?", "utf-16-be"),
        ):
            if body.startswith(start):
                return codec
    return "ascii"
