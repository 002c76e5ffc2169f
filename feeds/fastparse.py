"""feedparser's entries, read fast, for the feeds whose reading needs none of its
special cases. Pure functions: no network, no clock.

feedparser spends about 15 ms of CPU on a 30 KB bench feed (`python -m bench.parse`,
sanitizer off), most of it in its Python SAX callbacks. This module drives the same
expat parser (`pyexpat`, namespaces on, as feedparser's `xml.sax` reader sets it
up) with small callbacks that repeat what feedparser does for the fields
`feeds.parse` reads — title (and whether it is HTML), link, id, author, content,
summary, published and updated dates — and uses feedparser's own helpers for the
rest: the charset (`convert_to_utf8`), URL joining (`_urljoin`,
`make_safe_absolute_uri`), dates (`_parse_date`), the HTML guess
(`looks_like_html`) and the text fix-ups it applies to every value (UTF-8 read as
Latin-1, windows-1252 controls). Where one of these is slow on common input (plain
absolute URLs, the two usual date forms, UTF-8 bytes), the result is worked out
directly and a property test checks it against feedparser's. So a feed read here
gives the same entries as feedparser, and `tests/test_fastparse.py` checks it on
every fixture feed and on generated ones.

The rule: `entries` returns None, and the caller uses feedparser, for

- a document expat rejects (feedparser then falls back on its loose parser), one
  with a DOCTYPE or entity declarations, one whose charset feedparser cannot tell;
- a document with no items (feedparser decides whether that is an error);
- an element inside a text element (titles, links, ids, dates, descriptions and
  other content: feedparser reads such markup as inline XHTML), a content type
  other than plain text or HTML, or a `mode` attribute (Atom 0.3, base64);
- an item inside an item (or inside a source, image or text input), an item with
  `href` or `lastmod` attributes, a source, image or text input inside an item,
  an author inside an author or contributor;
- inside an item, any element feedparser has a handler for that is neither read
  here nor listed in `_NO_EFFECT`/`_OTHER_TEXTS`, and any element without a
  handler whose name is one of the entry's keys (an unknown `<date>` is stored as
  `updated`);
- outside items, a summary or content element (feedparser would carry its state
  into the first item), or a source;
- an xlink namespace declaration, a `math` or `svg` element (feedparser declares
  namespaces for these anew), or an element whose end tag feedparser would name
  differently from its start tag (a prefix redeclared inside it).

`feeds.parse` also leaves windows-1251 bytes without their label to feedparser
(it reads them twice) and uses feedparser when the entries give no article.
"""

import contextlib
import pyexpat
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from feedparser.datetimes import _parse_date
from feedparser.encodings import convert_to_utf8
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.sanitizer import replace_doctype
from feedparser.urls import _urljoin, make_safe_absolute_uri
from feedparser.util import FeedParserDict

Entry = dict[str, Any]


def entries(body: bytes, headers: dict[str, str]) -> list[Entry] | None:
    """See `read`; None when the module docstring leaves the document to feedparser."""
    return read(body, headers)[0]


def read(body: bytes, headers: dict[str, str]) -> tuple[list[Entry] | None, str]:
    """The entries feedparser would give for `body` served with `headers` (lower-case
    names, as `feedparser.parse(response_headers=...)` gets them), as dicts holding
    only title, title_detail (its type), link, id, author, content (list of
    {"type", "value"}), summary, published(_parsed) and updated(_parsed) when
    feedparser sets them; or None and the reason when the module docstring leaves the
    document to feedparser."""
    data = _utf8(body) if headers.get("content-type") == _UTF8_XML else None
    if data is None:
        result: dict[str, Any] = {}
        data = convert_to_utf8(dict(headers), body, result)
        if not result.get("encoding"):
            return None, "charset unknown"  # feedparser reads it with its loose parser
    version, stripped, declared = replace_doctype(data)
    if version or declared or stripped != data:
        return None, "a DOCTYPE"
    location = headers.get("content-location", "")
    base = make_safe_absolute_uri("", location) or make_safe_absolute_uri(location) or ""
    reader = _Reader(base)
    reader.c1 = bool(_C1_AS_UTF8.search(data) or _C1_AS_REFERENCE.search(data))
    parser = pyexpat.ParserCreate(None, " ")
    parser.namespace_prefixes = True
    parser.buffer_text = True
    parser.StartNamespaceDeclHandler = reader.namespace
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.characters
    try:
        parser.Parse(data, True)
    except pyexpat.ExpatError as e:
        return None, f"not well-formed: {e}"
    except _Refused as e:
        return None, str(e)
    except Exception as e:  # a fault of ours: feedparser reads the feed, as it always could
        return None, f"{FAILED}: {type(e).__name__}: {e}"
    return (reader.entries, "") if reader.entries else (None, "no items")


_UTF8_XML = "application/xml; charset=utf-8"  # what feeds.parse says of UTF-8 bytes
_DECLARATION = re.compile(r"^<\?xml[^>]*?>")
_UTF8_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>"
# Byte-order marks and the first bytes of `<?` in UTF-16, UTF-32 and EBCDIC.
_NOT_UTF8_STARTS = (
    b"\x00\x00\xfe\xff", b"\xff\xfe", b"\xfe\xff", b"\x4c\x6f\xa7\x94", b"\x00\x3c\x00\x3f",
    b"\x3c\x00\x3f\x00", b"\x00\x00\x00\x3c", b"\x3c\x00\x00\x00",
)  # fmt: skip


def _utf8(body: bytes) -> bytes | None:
    """What feedparser's `convert_to_utf8` makes of UTF-8 bytes served as
    `application/xml; charset=utf-8`: the byte-order mark dropped and the XML
    declaration replaced by its own. Its search for the declared encoding, which
    backtracks over the whole first line (all of a one-line feed), is skipped: with
    that header, feedparser uses it only when the bytes are not UTF-8. None when the
    bytes are not UTF-8 or start like another encoding: `convert_to_utf8` decides."""
    if body.startswith(_NOT_UTF8_STARTS):
        return None
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _DECLARATION.search(text):
        text = _DECLARATION.sub(_UTF8_DECLARATION, text)
    else:
        text = _UTF8_DECLARATION + "\n" + text
    return text.encode("utf-8")


FAILED = "fast path failed"


class _Refused(Exception):
    """The document needs feedparser (see the module docstring)."""


_MATCH = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_USERLAND = "http://backend.userland.com/rss"
_XLINK = "http://www.w3.org/1999/xlink"
# Element names (as feedparser's handler names spell them) with a handler in feedparser.
_HANDLED_BY_FEEDPARSER = {
    name.split("_", 2)[2] if name.startswith("_start_") else name[len("_end_") :]
    for name in dir(_FeedParserMixin)
    if name.startswith(("_start_", "_end_"))
}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_TEXT_TYPES = {"text/plain", "text/html"}
_TITLES = {"title", "dc_title", "media_title"}
_AUTHORS = {"author", "managingeditor", "dc_author", "dc_creator", "itunes_author"}
_AUTHOR_PARTS = {
    "name": "name", "itunes_name": "name", "email": "email", "itunes_email": "email",
    "uri": "href", "url": "href", "homepage": "href",
}  # fmt: skip
_CONTRIBUTORS = {"contributor", "dc_contributor"}
_DESCRIPTIONS = {"description", "media_description", "dc_description"}
_SUMMARIES = {"summary", "itunes_summary"}
_CONTENTS = {"content": "text/plain", "content_encoded": "text/html", "fullitem": "text/html"}
_DATES = {
    "published": "published", "pubdate": "published", "issued": "published",
    "dcterms_issued": "published", "updated": "updated", "modified": "updated",
    "lastbuilddate": "updated", "dc_date": "updated", "dcterms_modified": "updated",
}  # fmt: skip
# Handlers that touch none of the fields we read when they run inside an item.
_NO_EFFECT = {
    "category", "keywords", "tags", "dc_subject", "media_category", "media_keywords",
    "itunes_keywords", "itunes_category", "enclosure", "media_content", "media_group",
    "media_thumbnail", "media_credit", "media_rating", "media_restriction", "media_license",
    "media_player", "itunes_image", "itunes_link", "itunes_block", "itunes_explicit",
    "language", "dc_language", "created", "dcterms_created", "expirationdate", "webmaster",
    "dc_publisher", "generator", "cloud", "width", "height", "newlocation",
}  # fmt: skip
# Handlers that hold text like a title does (feedparser's push_content), without effect.
_OTHER_TEXTS = {
    "subtitle", "tagline", "itunes_subtitle", "rights", "copyright", "dc_rights", "info",
    "feedburner_browserfriendly",
}  # fmt: skip
# Keys of an entry that an element without a handler would overwrite (directly or
# through FeedParserDict's key map).
_ENTRY_KEYS = {
    "title", "title_detail", "link", "links", "id", "guidislink", "author", "author_detail",
    "authors", "content", "summary", "summary_detail", "published", "published_parsed",
    "updated", "updated_parsed", "tags", "contributors", "source", "href",
} | set(FeedParserDict.keymap) | {"category", "enclosures", "license"}  # fmt: skip
_FEED_LEVEL_REFUSED = {
    "summary", "itunes_summary", "content", "content_encoded", "fullitem", "body",
    "xhtml_body", "source",
}  # fmt: skip
_RSS_VERSIONS = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
_ATOM_VERSIONS = {"0.1": "atom01", "0.2": "atom02", "0.3": "atom03"}
# What urljoin and feedparser's slash fixer leave alone: lower-case http(s), a host,
# no whitespace, controls, non-ASCII, backslashes, brackets, path parameters (;),
# empty query or fragment, and no slash after "//".
_PLAIN_URL = re.compile(
    r"https?://[!$%&'()*+,\-.0-:=@A-Z^_`a-z{|}~][!$%&'()*+,\-.0-:=@A-Z^_`a-z{|}~]*"
    r"(?:/[!$%&'()*+,\-./0-:=@A-Z^_`a-z{|}~]*)?"
    r"(?:\?[!$%&'()*+,\-./0-;=?@A-Z^_`a-z{|}~]+)?"
    r"(?:#[!#$%&'()*+,\-./0-;=?@A-Z^_`a-z{|}~]+)?\Z"
)
_URN = re.compile(r"(?:urn|tag):[!-.0-~][!-~]*\Z")
# How a C1 character gets into a value: as UTF-8, or as a character reference (the
# re-reading of UTF-8 read as Latin-1 only makes one out of one already there).
# Two patterns, each with a literal start that the regex engine scans for quickly.
_C1_AS_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
_C1_AS_REFERENCE = re.compile(rb"&#(?:0*(?:12[89]|1[34][0-9]|15[0-9])|[xX]0*[89][0-9a-fA-F]);")
_W3DTF = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]+)?"
    r"(?:Z|([+-])([0-9]{2}):([0-9]{2}))\Z"
)
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_RFC822 = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?([0-9]{1,2}) "
    rf"({'|'.join(_MONTH_NAMES)}) ([0-9]{{4}}) "
    r"([0-9]{2}):([0-9]{2}):([0-9]{2}) (?:GMT|UTC|UT|Z|([+-])([0-9]{2})([0-9]{2}))\Z"
)
_C1 = re.compile(f"[{''.join(map(chr, sorted(_cp1252)))}]")
_QUERY_REF = re.compile("&([A-Za-z0-9_]+);")


def _resolve(base: str, uri: str) -> str:
    """feedparser's `_urljoin(base, uri)`; an absolute http(s) URL that urllib would
    give back unchanged is taken as it is (urljoin costs 10-40 µs)."""
    if _PLAIN_URL.match(uri):
        return uri
    if _URN.match(uri) and base.startswith(("http://", "https://")):
        return uri  # another scheme than the base's: urljoin returns it as given
    return _urljoin(base or "", uri)  # type: ignore[no-any-return]


def _date(value: str) -> Any:
    """feedparser's `_parse_date(value)` (a UTC struct_time, or None), worked out
    directly for the two forms most feeds use: W3C-DTF (`2026-11-21T10:05:00Z`),
    the first form feedparser tries, and RFC 822 (`Sat, 21 Nov 2026 10:05:00 +0000`),
    which its W3C-DTF reader refuses. Both readers compute `(datetime - offset)
    .utctimetuple()`; anything else, or a day that does not exist, goes to feedparser."""
    found = _W3DTF.match(value)
    if found:
        year, month, day, hour, minute, second, sign, hours, minutes = found.groups()
    else:
        found = _RFC822.match(value)
        if found is None:
            return _parse_date(value)
        day, name, year, hour, minute, second, sign, hours, minutes = found.groups()
        month = _MONTHS[name]
    offset = timedelta(hours=int(hours), minutes=int(minutes)) if sign else timedelta()
    try:
        stamp = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=UTC
        )
        return (stamp - offset if sign != "-" else stamp + offset).utctimetuple()
    except (ValueError, OverflowError):
        return _parse_date(value)


def _content_type(value: str) -> str:
    return _FeedParserMixin.map_content_type(value)  # type: ignore[no-any-return]


def _fixed(text: str, c1: bool) -> str:
    """What feedparser does to every value: UTF-8 that was read as Latin-1 is read
    again, and windows-1252's characters in the C1 range take their real place.
    `c1`: whether the document can hold a C1 character at all."""
    if text.isascii():
        return text
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    # translate() looks up every character: only worth it when one is in the table
    return text.translate(_cp1252) if c1 and _C1.search(text) else text


class _Frame:
    """One open element: its handler name, what it does, its text, its type."""

    __slots__ = ("kind", "name", "tag", "text", "type")

    def __init__(self, name: str, kind: str, text: list[str] | None, type_: str = "") -> None:
        self.name = name
        self.tag = ""  # feedparser's name for it, set when it opens
        self.kind = kind
        self.text = text
        self.type = type_


class _Reader:
    """The state feedparser keeps while it reads, reduced to what the fields need."""

    def __init__(self, base: str) -> None:
        self.entries: list[Entry] = []
        self.version = ""
        self.namespaces_in_use: dict[str, str] = {}
        self.namespacemap: dict[str | None, str] = {}
        self.base = base
        self.bases: list[str] = []
        self.safe_bases: dict[str, str] = {}
        self.frames: list[_Frame] = []
        # expat's names to feedparser's, while the namespaces in use stay the same
        self.names: dict[str, tuple[str, str, bool]] = {}
        self.end_tags: dict[str, str] = {}
        self.depth = 0
        self.entry: Entry | None = None
        self.depths: dict[str, int] = {}
        self.authors: list[dict[str, str]] = []
        self.title_depth = -1
        self.guidislink = False
        self.has_content = False
        self.incontent = 0
        self.inauthor = self.incontributor = self.insource = False
        self.inimage = self.intextinput = False
        self.text: list[str] | None = None
        self.c1 = True  # whether a value can hold a C1 control (see _C1_SOURCES)

    # expat callbacks

    def namespace(self, prefix: str | None, uri: str | None) -> None:
        """feedparser's startPrefixMapping and track_namespace."""
        if not uri:
            return
        if uri == _XLINK:
            raise _Refused("an xlink namespace")  # feedparser adds a made-up attribute for it
        prefix = prefix or None
        lower = uri.lower()
        self.names.clear()
        self.end_tags.clear()
        if not self.version:
            if (prefix, lower) == (None, "http://my.netscape.com/rdf/simple/0.9/"):
                self.version = "rss090"
            elif lower == "http://purl.org/rss/1.0/":
                self.version = "rss10"
            elif lower == "http://www.w3.org/2005/atom":
                self.version = "atom10"
        if "backend.userland.com/rss" in lower:
            uri = lower = _USERLAND
        if lower in _MATCH:
            self.namespacemap[prefix] = _MATCH[lower]
            self.namespaces_in_use[_MATCH[lower]] = uri
        else:
            self.namespaces_in_use[prefix or ""] = uri

    def characters(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def start(self, name: str, attributes: dict[str, str]) -> None:
        self.depth += 1
        named = self.names.get(name)
        if named is None:
            named = self.names[name] = self._name(name)
        tag, key, plain = named
        if attributes:
            attrs = self._attributes(attributes)
            self._track_base(attrs.get("xml:base", attrs.get("base")))
        else:
            attrs = {}
            base = self.base
            if base:  # what _track_base does with no xml:base, the common case inlined
                known = self.safe_bases.get(base)
                if known is None:
                    known = self.safe_bases[base] = make_safe_absolute_uri(base, base) or base
                self.base = known
                self.bases.append(known)
            else:
                self._track_base(None)
        if self.incontent:
            # feedparser reads markup inside a text element as inline XHTML
            raise _Refused(f"an element inside a text element: <{tag}>")
        if plain and (self.inimage or self.intextinput):
            # feedparser forgets it is in an image or text input on most plain tags
            if tag not in ("title", "link", "description", "name"):
                self.intextinput = False
            if tag not in ("title", "link", "description", "url", "href", "width", "height"):
                self.inimage = False
        if self.entry is None:
            frame = self._start_outside(key, attrs)
        else:
            frame = self._start_inside(key, attrs)
        frame.tag = tag
        self.frames.append(frame)
        self.text = frame.text

    def end(self, name: str) -> None:
        frames = self.frames
        frame = frames.pop()
        tag = self.end_tags.get(name)
        if tag is None:
            tag = self.end_tags[name] = self._new_tag(name, start=False)
        if tag != frame.tag:
            # feedparser would call another end handler than the start's
            raise _Refused(f"end tag named otherwise: </{name}>")
        if frame.kind != "none":
            _END_HANDLERS[frame.kind](self, frame)
        bases = self.bases
        bases.pop()
        if bases and bases[-1]:
            self.base = bases[-1]
        self.depth -= 1
        self.text = frames[-1].text if frames else None

    def _name(self, name: str) -> tuple[str, str, bool]:
        """feedparser's name for an element (`dc:creator`), its handler's (`dc_creator`),
        and whether it has no prefix."""
        tag = self._new_tag(name, start=True)
        prefix, _, suffix = tag.partition(":") if ":" in tag else ("", "", tag)
        if suffix in ("math", "svg"):
            raise _Refused(f"<{suffix}>")  # feedparser declares their namespaces anew
        if prefix:
            prefix = self.namespacemap.get(prefix, prefix)
        return tag, f"{prefix}_{suffix}" if prefix else suffix, not prefix

    # names, attributes, base URIs: feedparser's startElementNS and unknown_starttag

    def _new_tag(self, name: str, *, start: bool) -> str:
        namespace, _, rest = name.partition(" ")
        if not rest:
            return name.lower()
        local = rest.partition(" ")[0]
        lower = namespace.lower()
        if start and "backend.userland.com/rss" in lower:
            namespace = lower = _USERLAND
        prefix = _MATCH.get(lower)
        if prefix:
            return f"{prefix.lower()}:{local}".lower()
        for used, uri in self.namespaces_in_use.items():
            if used and uri == namespace:
                return f"{used}:{local}".lower()
        return local.lower()

    @staticmethod
    def _attributes(attributes: dict[str, str]) -> dict[str, str]:
        named: dict[str, str] = {}
        qnames: list[tuple[str, str]] = []
        for raw, value in attributes.items():
            parts = raw.split(" ")
            if len(parts) == 1:
                named[raw.lower()] = value
                qnames.append((raw, value))
                continue
            prefix = _MATCH.get(parts[0].lower(), "")
            local = parts[1]
            named[(f"{prefix}:{local}" if prefix else local).lower()] = value
            qnames.append((f"{parts[2]}:{local}" if len(parts) == 3 else local, value))
        for qname, value in qnames:
            named[qname.lower()] = value
        return {k: v.lower() or v if k in ("rel", "type") else v for k, v in named.items()}

    def _track_base(self, given: str | None) -> None:
        if not given and self.base:
            known = self.safe_bases.get(self.base)
            if known is None:
                known = make_safe_absolute_uri(self.base, self.base) or self.base
                self.safe_bases[self.base] = known
            self.base = known
        elif self.base:
            self.base = make_safe_absolute_uri(self.base, given or self.base) or self.base
        else:
            self.base = _urljoin(self.base, given or self.base)
        self.bases.append(self.base)

    # outside items

    def _start_outside(self, key: str, attrs: dict[str, str]) -> _Frame:
        if key in ("item", "entry"):
            if self.insource or self.inimage or self.intextinput:
                raise _Refused("an item inside a source, image or text input")
            return self._start_item(key, attrs)
        if key in _FEED_LEVEL_REFUSED:
            raise _Refused(f"<{key}> outside items")
        if key == "rss":
            if not self.version or not self.version.startswith("rss"):
                given = attrs.get("version", "")
                known = _RSS_VERSIONS.get(given)
                self.version = known or ("rss20" if given.startswith("2.") else "rss")
        elif key == "feed":
            if not self.version:
                self.version = _ATOM_VERSIONS.get(attrs.get("version", ""), "atom")
        elif key == "image":
            self.inimage = True
            return _Frame(key, "image", None)
        elif key in ("textinput", "textInput"):
            self.intextinput = True
            return _Frame(key, "textinput", None)
        elif key in _AUTHORS:
            self.inauthor = True
            return _Frame(key, "outside_author", None)
        if key in _TITLES or key in _DESCRIPTIONS or key in _OTHER_TEXTS or key == "abstract":
            self.incontent += 1
            return _Frame(key, "outside_text", None)
        return _Frame(key, "none", None)

    def _end_image(self, frame: _Frame) -> None:
        self.inimage = False

    def _end_textinput(self, frame: _Frame) -> None:
        self.intextinput = False

    def _end_outside_author(self, frame: _Frame) -> None:
        self.inauthor = False

    def _end_outside_text(self, frame: _Frame) -> None:
        self.incontent -= 1

    # items

    def _start_item(self, key: str, attrs: dict[str, str]) -> _Frame:
        if "lastmod" in attrs or "href" in attrs:
            raise _Refused("href or lastmod on an item")
        self.entry = {}
        self.depths = {}
        self.authors = []
        self.entries.append(self.entry)
        self.guidislink = False
        self.title_depth = -1
        rdf = self.namespacemap.get("rdf", "rdf")
        about = attrs.get(f"{rdf}:about")
        if about:
            self.entry["id"] = about
        return _Frame(key, "item", None)

    def _end_item(self, frame: _Frame) -> None:
        self.entry = None
        self.has_content = False

    def _start_inside(self, key: str, attrs: dict[str, str]) -> _Frame:
        if key in _TITLES:
            return self._text_frame(key, "title", attrs, "text/plain")
        if key == "link":
            return self._start_link(key, attrs)
        if key in ("guid", "id"):
            self.guidislink = attrs.get("ispermalink", "true") == "true"
            return _Frame(key, "id", [])
        if key in _AUTHORS:
            if self.inauthor or self.incontributor:
                raise _Refused(f"<{key}> inside an author or contributor")
            self.inauthor = True
            self.authors.append({})
            return _Frame(key, "author", [])
        if key in _AUTHOR_PARTS:
            return _Frame(key, "author_part", [], _AUTHOR_PARTS[key])
        if key in _CONTRIBUTORS:
            if self.inauthor or self.incontributor:
                raise _Refused(f"<{key}> inside an author or contributor")
            self.incontributor = True
            return _Frame(key, "contributor", None)
        if key in _DESCRIPTIONS or key in _SUMMARIES:
            assert self.entry is not None
            if "summary" in self.entry and not self.has_content:
                self.has_content = True
                return self._text_frame(key, "content", attrs, "text/plain")
            default = "text/html" if key in _DESCRIPTIONS else "text/plain"
            return self._text_frame(key, "summary", attrs, default)
        if key == "abstract":
            return self._text_frame(key, "summary", attrs, "text/plain")
        if key in _CONTENTS:
            self.has_content = True
            return self._text_frame(key, "content", attrs, _CONTENTS[key])
        if key in _DATES:
            return _Frame(key, "date", [], _DATES[key])
        if key == "source":
            self.insource = True
            self.title_depth = -1
            self.incontent += 1  # a source with elements inside is left to feedparser
            return _Frame(key, "source", None)
        if key in _OTHER_TEXTS:
            self.incontent += 1
            return _Frame(key, "other_text", None)
        if key in _NO_EFFECT:
            return _Frame(key, "none", None)
        if key in _HANDLED_BY_FEEDPARSER or key in _ENTRY_KEYS:
            raise _Refused(f"<{key}> inside an item")
        return _Frame(key, "none", None)

    def _text_frame(self, key: str, kind: str, attrs: dict[str, str], default: str) -> _Frame:
        if "mode" in attrs:
            raise _Refused("a mode attribute")
        type_ = _content_type(attrs.get("type", default))
        if type_ not in _TEXT_TYPES:
            raise _Refused(f"content type {type_}")
        self.incontent += 1
        return _Frame(key, kind, [], type_)

    def _start_link(self, key: str, attrs: dict[str, str]) -> _Frame:
        attrs = dict(attrs)
        attrs.setdefault("rel", "alternate")
        attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
        attrs = _FeedParserMixin._enforce_href(attrs)
        if "href" not in attrs:
            return _Frame(key, "link", [])
        href = _resolve(self.base, attrs["href"])
        if attrs.get("rel") == "alternate" and _content_type(attrs["type"]) in _HTML_TYPES:
            assert self.entry is not None
            self.entry["link"] = href
        return _Frame(key, "none", None)

    # what feedparser's pop() does with an element's text

    def _fixed(self, text: str) -> str:
        return _fixed(text, self.c1)

    def _output(self, frame: _Frame) -> str:
        assert frame.text is not None
        return "".join(frame.text).strip()

    def _store(self, key: str, value: object) -> None:
        """feedparser keeps the value found at the shallowest depth, the last among equals."""
        assert self.entry is not None
        old = self.depths.get(key)
        if old is None or self.depth <= old:
            self.depths[key] = self.depth
            self.entry[key] = value

    def _end_title(self, frame: _Frame) -> None:
        self.incontent -= 1
        output = self._output(frame)
        type_ = frame.type
        if (
            not self.version.startswith("atom")
            and type_ == "text/plain"
            and _FeedParserMixin.looks_like_html(output)
        ):
            type_ = "text/html"
        output = self._fixed(output)
        if -1 < self.title_depth <= self.depth:
            return
        self._store("title", output)
        assert self.entry is not None
        self.entry["title_detail"] = {"type": type_}
        if output and frame.name != "media_title":  # media:title keeps the depth as it was
            self.title_depth = self.depth

    def _end_link(self, frame: _Frame) -> None:
        output = self._output(frame)
        if output:
            output = _resolve(self.base, output)
        output = self._fixed(output)
        if not self.inimage:
            if "&" in output:
                output = _QUERY_REF.sub(r"&\g<1>", output.replace("&amp;", "&"))
            assert self.entry is not None
            self.entry["link"] = output

    def _end_id(self, frame: _Frame) -> None:
        output = self._output(frame)
        if output and self.guidislink:
            output = _resolve(self.base, output)
        output = self._fixed(output)
        self._store("id", output)
        if self.guidislink:
            assert self.entry is not None
            self.entry.setdefault("link", output)

    def _end_author(self, frame: _Frame) -> None:
        self._store("author", self._fixed(self._output(frame)))
        self.inauthor = False
        self._sync_author()

    def _end_author_part(self, frame: _Frame) -> None:
        output = self._output(frame)
        if frame.type == "href":
            if output:
                output = _resolve(self.base, output)
            output = self._fixed(output)
        # name and email are taken before feedparser's fix-ups (it pops them without text)
        if self.inauthor:
            self._sync_author()
            if not self.authors:
                self.authors.append({})
            self.authors[-1][frame.type] = output

    def _sync_author(self) -> None:
        """feedparser's _sync_author_detail, on the fields we keep."""
        assert self.entry is not None
        detail = self.authors[-1] if self.authors else {}
        if detail:
            name, email = detail.get("name"), detail.get("email")
            if name and email:
                self.entry["author"] = f"{name} ({email})"
            elif name:
                self.entry["author"] = name
            elif email:
                self.entry["author"] = email
            return
        author = self.entry.get("author")
        if not author:
            return
        found = _EMAIL.search(author)
        email = None
        if found:
            email = found.group(0)
            author = author.replace(email, "").replace("()", "").replace("<>", "")
            author = author.replace("&lt;&gt;", "").strip()
            if author and author[0] == "(":
                author = author[1:]
            if author and author[-1] == ")":
                author = author[:-1]
            author = author.strip()
        if self.authors:  # feedparser fills the (empty) last author in place
            if author:
                detail["name"] = author
            if email:
                detail["email"] = email

    def _end_contributor(self, frame: _Frame) -> None:
        self.incontributor = False

    def _end_summary(self, frame: _Frame) -> None:
        self.incontent -= 1
        self._store("summary", self._fixed(self._output(frame)))

    def _end_content(self, frame: _Frame) -> None:
        self.incontent -= 1
        output = self._fixed(self._output(frame))
        assert self.entry is not None
        self.entry.setdefault("content", []).append({"type": frame.type, "value": output})
        self.entry.setdefault("summary", output)

    def _end_date(self, frame: _Frame) -> None:
        output = self._fixed(self._output(frame))
        self._store(frame.type, output)
        assert self.entry is not None
        self.entry[f"{frame.type}_parsed"] = _date(output)

    def _end_source(self, frame: _Frame) -> None:
        self.incontent -= 1
        self.insource = False

    def _end_other_text(self, frame: _Frame) -> None:
        self.incontent -= 1


# What each kind of element does when it closes: _Reader._end_<kind>.
_END_HANDLERS: dict[str, Callable[[_Reader, _Frame], None]] = {
    name[len("_end_") :]: getattr(_Reader, name)
    for name in dir(_Reader)
    if name.startswith("_end_")
}
_EMAIL = re.compile(
    r"""(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"""
)
