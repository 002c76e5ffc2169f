"""The fast path of parsing gives what feedparser gives, on every feed we have.

feedparser is the reference: for each fixture feed (ours, the shared real-world
ones when present, and the bench's generated ones) the entries `feeds.fastparse`
reads must equal feedparser's on every field `feeds.parse` uses, and `parse` must
give the same articles (or the same error) as `parse_with_feedparser`.
"""

import gzip
import os
import string
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest
from feedparser.datetimes import _parse_date
from feedparser.encodings import convert_to_utf8
from feedparser.urls import _urljoin
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.feedgen import people, write_feeds
from core.errors import ParseError
from core.records import OutletForPoll
from feeds import fastparse, text
from feeds.decode import CP1251, charset_of, content_decoded
from feeds.parse import _characters_only, parse, parse_with_feedparser, web_link
from feeds.records import FetchedFeed

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("TRIALWATCH_SHARED_DIR", REPO.parent / "shared")) / "fixtures/feeds"
OUTLET = OutletForPoll(
    id="o", name="O", url="https://o.test/feed", lang="en", every=timedelta(minutes=15)
)
FIELDS = (
    "title", "link", "id", "author", "summary", "published", "published_parsed", "updated",
    "updated_parsed",
)  # fmt: skip
FEED_SUFFIXES = {".xml", ".atom", ".rss", ".gz"}


def own_fixture_feeds() -> list[Path]:
    return sorted(p for p in DATA.rglob("*") if p.suffix in FEED_SUFFIXES)


def shared_fixture_feeds() -> list[Path]:
    if not SHARED.is_dir():
        return []
    return sorted(p for p in SHARED.glob("*") if p.suffix in FEED_SUFFIXES)


def fetched(body: bytes, headers: dict[str, str] | None = None) -> FetchedFeed:
    return FetchedFeed(OUTLET, 200, body, headers or {}, None, None)


def reference_headers(feed: FetchedFeed) -> tuple[bytes, dict[str, str]]:
    """The body and headers `parse` hands to feedparser (and to the fast path)."""
    body = content_decoded(feed)
    headers = {k.lower(): v for k, v in feed.headers.items()}
    headers.pop("content-encoding", None)
    headers["content-location"] = feed.final_url or OUTLET.url
    headers.setdefault("content-type", "application/xml")
    shown = charset_of(body)
    if shown is not None and shown != CP1251:
        headers["content-type"] = f"application/xml; charset={shown}"
    return _characters_only(body), headers


def projected(entry: Any) -> dict[str, Any]:
    """The fields `feeds.parse` reads, as feedparser's FeedParserDict or our dict has them."""
    out = {name: dict.get(entry, name) for name in FIELDS}
    out["title_type"] = (dict.get(entry, "title_detail") or {}).get("type")
    contents = dict.get(entry, "content")
    out["content"] = None if contents is None else [c.get("value") for c in contents]
    return out


def outcome(parser: Any, feed: FetchedFeed) -> object:
    try:
        return parser(feed).articles
    except ParseError as e:
        return ("error", str(e), e.kind)


def assert_same(feed: FetchedFeed) -> bool:
    """Both paths agree on `feed`; True when the fast path read it."""
    body, headers = reference_headers(feed)
    fast, _ = fastparse.read(body, headers)
    if fast is not None:
        reference = feedparser.parse(
            body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False
        )
        assert [projected(e) for e in fast] == [projected(e) for e in reference.entries]
    assert outcome(parse, feed) == outcome(parse_with_feedparser, feed)
    return fast is not None


@pytest.mark.parametrize("path", own_fixture_feeds(), ids=lambda p: p.name)
def test_own_fixture_feeds_parse_alike(path: Path) -> None:
    assert_same(fetched(path.read_bytes()))


@pytest.mark.parametrize("path", shared_fixture_feeds(), ids=lambda p: p.name)
def test_shared_fixture_feeds_parse_alike(path: Path) -> None:
    body = path.read_bytes()
    assert_same(fetched(body))
    if path.suffix == ".gz":
        assert_same(fetched(gzip.decompress(body), {"Content-Type": "application/rss+xml"}))


def test_shared_fixture_feeds_mostly_take_the_fast_path() -> None:
    paths = shared_fixture_feeds()
    if not paths:
        pytest.skip("shared fixtures not present")
    fast = {p.name for p in paths if assert_same(fetched(p.read_bytes()))}
    # The well-formed news feeds (see the fixtures' README) are read fast.
    assert {p.name for p in paths if p.name.startswith(("rss2_", "rss1_", "atom_"))} - {
        "rss2_windows1251_cyrillic_oren_ru.xml"
    } <= fast


def test_bench_feeds_parse_alike_and_fast(tmp_path: Path) -> None:
    written = write_feeds(tmp_path, 12, 20, people(30, 2026), 2026)
    for name, _ in written:
        assert assert_same(fetched((tmp_path / name).read_bytes())), name


def rss(items: str, channel: str = "", namespaces: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        f'xmlns:media="http://search.yahoo.com/mrss/" xmlns:atom="http://www.w3.org/2005/Atom" '
        f"{namespaces}><channel><title>T</title><link>https://o.test/</link>{channel}"
        f"{items}</channel></rss>"
    ).encode()


def atom(entries: str, feed: str = "", base: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<feed xmlns="http://www.w3.org/2005/Atom" {base}><title>T</title><id>urn:t</id>'
        f"{feed}{entries}</feed>"
    ).encode()


# The kinds of difference an earlier fast parser had with feedparser, and their neighbours.
CASES = {
    "guid is the link": rss("<item><title>a</title><guid>https://o.test/a</guid></item>"),
    "guid not a permalink": rss(
        '<item><title>a</title><guid isPermaLink="false">https://o.test/a</guid></item>'
    ),
    "relative guid": rss("<item><title>a</title><guid>/news/1</guid></item>"),
    "guid before link": rss(
        "<item><title>a</title><guid>https://o.test/g</guid><link>https://o.test/l</link></item>"
    ),
    "link only": rss("<item><title>a</title><link> /relative?a=1&amp;b=2 </link></item>"),
    "atom id before related link": atom(
        "<entry><title>a</title><id>https://o.test/id</id>"
        '<link rel="related" href="https://o.test/rel"/><updated>2026-01-02T03:04:05Z</updated>'
        "</entry>"
    ),
    "atom alternate after id": atom(
        '<entry><id>tag:o.test,2026:1</id><title type="html">a &amp;lt;b&amp;gt;</title>'
        '<link href="/x" rel="alternate" type="text/html"/><link rel="enclosure" href="/e"/>'
        "</entry>",
        base='xml:base="https://o.test/base/"',
    ),
    "rdf about": (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b'<channel rdf:about="https://o.test/"><title>T</title></channel>'
        b'<item rdf:about="https://o.test/1"><title>a</title><link>https://o.test/1</link>'
        b"<dc:date>2026-03-04T05:06:07+03:00</dc:date><dc:creator>Ann</dc:creator></item>"
        b"</rdf:RDF>"
    ),
    "odd dates": rss(
        "<item><title>a</title><pubDate>2026-02-17T17:36:36-0500</pubDate></item>"
        "<item><title>b</title><pubDate>Sat, Dec 16 2023 02:02:33 PM</pubDate></item>"
        "<item><title>c</title><pubDate>Wed, 19 jan 2026 10:00:00 EST</pubDate></item>"
        "<item><title>d</title><pubDate>2026-02-30T00:00:00Z</pubDate></item>"
        "<item><title>e</title><pubDate></pubDate><dc:date>2026-01-01</dc:date></item>"
        "<item><title>f</title><pubDate>nonsense</pubDate><atom:updated>2026-05-05T05:05:05Z"
        "</atom:updated></item>"
    ),
    "authors inherited from the feed?": atom(
        "<entry><title>a</title><id>urn:1</id></entry>"
        "<entry><title>b</title><id>urn:2</id><author><name>Bo</name><email>b@o.test</email>"
        "</author></entry>",
        feed="<author><name>Feed Author</name></author>",
    ),
    "rss authors": rss(
        "<item><title>a</title><author>ann@o.test (Ann)</author></item>"
        "<item><title>b</title><dc:creator>Bo</dc:creator><dc:creator>Cy</dc:creator></item>"
        "<item><title>c</title><author>x@o.test</author><dc:creator>Di</dc:creator></item>",
        channel="<managingEditor>ed@o.test (Ed)</managingEditor>",
    ),
    "media:description as body": rss(
        "<item><title>a</title><description>short</description><media:content url='/v'>"
        "<media:title>media title</media:title><media:description>a much longer media "
        "description than the description</media:description></media:content></item>"
        "<item><media:description>first</media:description><description>second and longer"
        "</description><title>b</title></item>"
    ),
    "media:title only": rss(
        "<item><media:title>only the media title</media:title><link>https://o.test/m</link></item>"
    ),
    "content before description": rss(
        "<item><title>a</title><content:encoded><![CDATA[<p>full <b>text</b></p>]]>"
        "</content:encoded><description>teaser</description></item>"
        "<item><title>b</title><description>teaser</description><content:encoded></content:encoded>"
        "</item>"
    ),
    "html-looking titles": rss(
        "<item><title>Smith &amp;amp; Co &lt;b&gt;bold&lt;/b&gt;</title></item>"
        "<item><title><![CDATA[R&D <rubber stamp> &mdash; yes]]></title></item>"
        "<item><title>a</title><title>second</title></item>"
    ),
    "double-encoded UTF-8 and windows-1252 controls": rss(
        "<item><title>CafÃ© \u0093quoted\u0094 &#195;&#169;</title><description>Ð¡ÑƒÐ´"
        "</description></item>"
    ),
    "source and categories": rss(
        "<item><title>a</title><source url='https://s.test/rss'>Source</source>"
        "<category domain='d'>c</category><enclosure url='/e.mp3' length='1' type='audio/mpeg'/>"
        "<comments>/c</comments><media:title>media</media:title></item>"
    ),
    "unknown elements": rss(
        "<item><title>a</title><post-id xmlns='http://o.test/ns'>12</post-id><wsj:type "
        "xmlns:wsj='http://wsj.test/'>x</wsj:type><link>https://o.test/a</link></item>"
    ),
    "channel image and textinput": rss(
        "<item><title>a</title></item>",
        channel="<image><url>/i.png</url><title>I</title><link>/</link></image>"
        "<textInput><title>S</title><name>q</name><link>/s</link></textInput>",
    ),
    "atom 0.3": (
        b'<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#">'
        b'<title>T</title><entry><title>a</title><link rel="alternate" type="text/html" '
        b'href="https://o.test/a"/><id>tag:o,1</id><issued>2026-01-01T00:00:00Z</issued>'
        b"<modified>2026-01-02T00:00:00Z</modified><summary>s</summary>"
        b'<content type="text/html" mode="escaped">&lt;p&gt;c&lt;/p&gt;</content></entry></feed>'
    ),
    "undeclared latin-1": (
        b'<rss version="2.0"><channel><title>T</title><item><title>Not\xedcias do Brasil'
        b"</title><description>Pol\xedcia prende suspeito</description>"
        b"<link>https://o.test/n</link></item></channel></rss>"
    ),
}


@pytest.mark.parametrize("body", CASES.values(), ids=CASES.keys())
def test_cases_parse_alike(body: bytes) -> None:
    assert_same(fetched(body))


def test_fast_path_reads_the_common_shapes() -> None:
    """The cases above that are well-formed and plain are read fast, not left to feedparser."""
    slow = {name for name, body in CASES.items() if not assert_same(fetched(body))}
    assert slow == {"atom 0.3"}  # a mode attribute: left to feedparser by the rule


def test_ill_formed_and_cp1251_feeds_are_left_to_feedparser() -> None:
    for body in (
        b"<rss><channel><item><title>a</title></item>",
        rss("<item><title>a</title><item><title>nested</title></item></item>"),
        rss("<item><title>a <b>bold</b></title></item>"),
    ):
        body_, headers = reference_headers(fetched(body))
        assert fastparse.read(body_, headers)[0] is None
        assert_same(fetched(body))
    # windows-1251 without a label: feedparser reads it twice (see feeds.parse)
    cyrillic = "<rss><channel><item><title>Суд над журналистом</title></item></channel></rss>"
    feed = fetched(cyrillic.encode("cp1251"))
    assert_same(feed)
    assert parse(feed).articles[0].title == "Суд над журналистом"


# Generated documents: items made of the elements (and texts) that matter, in any order.
TEXTS = st.sampled_from(
    [
        "", "plain", " spaced  out ", "R&amp;D", "&lt;b&gt;x&lt;/b&gt;", "<![CDATA[<p>c</p>]]>",
        "Суд", "CafÃ©", "a&#8217;b", "https://o.test/x?a=1&amp;b=2", "/rel/path", "urn:x:1",
        "Sat, 21 Nov 2026 10:05:00 +0000", "2026-11-21T10:05:00Z", "2026-13-45", "a@b.test (A)",
    ]
)  # fmt: skip
TAGS = st.sampled_from(
    [
        "title", "link", "guid", "description", "content:encoded", "dc:creator", "author",
        "pubDate", "dc:date", "media:title", "media:description", "summary", "atom:updated",
        "category", "comments", "source", "dc:title", "atom:published",
    ]
)  # fmt: skip
ELEMENT = st.tuples(TAGS, TEXTS, st.sampled_from(["", " isPermaLink='false'", " type='html'"]))
ITEM = st.lists(ELEMENT, max_size=7)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(items=st.lists(ITEM, min_size=1, max_size=3))
def test_generated_feeds_parse_alike(items: list[list[tuple[str, str, str]]]) -> None:
    body = rss(
        "".join(
            "<item>" + "".join(f"<{t}{a}>{x}</{t}>" for t, x, a in item) + "</item>"
            for item in items
        )
    )
    assert_same(fetched(body))


URL_CHARS = string.ascii_letters + string.digits + "-._~:/?#[]@!$&'()*+,;=% \t\\é"


@given(
    base=st.sampled_from(["https://o.test/feed", "http://o.test/a/b", "ftp://o.test/", ""]),
    uri=st.one_of(
        st.text(URL_CHARS, max_size=30),
        st.builds(lambda s, r: s + r, st.sampled_from(["http://", "https://", "urn:", "tag:"]),
                  st.text(URL_CHARS, max_size=30)),
    ),
)  # fmt: skip
def test_urls_resolve_as_feedparser_resolves_them(base: str, uri: str) -> None:
    assert fastparse._resolve(base, uri) == _urljoin(base, uri)


# html_to_text: the one-regex reading and html.parser's agree on any markup.
HTML_PIECES = st.sampled_from(
    [
        "<p>", "</p>", "<P class='x'>", "<br/>", "<br />", "<BR>", "</br>",
        "<a href=\"/x?a=1&b=2\">", "</a>", "<a href=x>", "<a href=x/>",
        "<img src='i.png' alt=\"a > b\"/>", "<div\n id=d>",
        "</div >", "</p class=x>", "</p/>", "<script>x<p></script>", "<style>p{}</style>",
        "<iframe src=v></iframe>", "<object>o</object>", "<template><p>t</p></template>",
        "<o:p>", "</o:p>", "<rubber stamp>", "R<D>", "<!-- c -->", "<![CDATA[x]]>", "<?pi?>",
        "<!DOCTYPE html>", "a < b", "<3", "<", ">", "&amp;", "&nbsp;", "&#8217;", "&#x41;",
        "&bogus;", "&", "R&D", "&amp", "AT&T;", "text", " ", "\n", "\t", "\xa0", "Суд",
        "\x07", "<p\xa0class=x>", "<b>", "</b>", "<td>", "<li/>", "<span title='<b>'>",
        "<a title=\"x\"title='y'>", "<em =x>", "<i a==b>", "\u2028", "\x85", "\u3000",
        "\r\n", "\v", "  ", " \n \n ", "\x1c",
    ]
)  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(pieces=st.lists(HTML_PIECES, max_size=12), plain=st.booleans())
def test_html_text_fast_reading_agrees_with_html_parser(pieces: list[str], plain: bool) -> None:
    markup = "".join(pieces)
    fast = text._simple_text(markup)
    assert fast is None or fast == text._collected(markup)
    assert text.html_to_text(markup, plain=plain) == reference_html_to_text(markup, plain=plain)


def reference_html_to_text(html: str, *, plain: bool = False) -> str:
    """html_to_text as it was before its fast path: html.parser on everything."""
    if "<" not in html and "&" not in html:
        found = html
    else:
        found = "".join(text._collected(text._LONE_AMPERSAND.sub("&amp;", html) if plain else html))
    found = text._SPACES.sub(" ", text._CONTROLS.sub("", found))
    return text._NEWLINES.sub("\n", found).strip()


def test_html_text_fast_reading_takes_plain_markup() -> None:
    markup = "<p>Суд &amp; <b>co</b></p><p>x<br/>y <a href='/m/1'>…</a></p>"
    assert text._simple_text(markup) is not None
    assert text._simple_text("<p>a <!-- b --></p>") is None


NUMBER = st.integers(0, 99).map(lambda n: f"{n:02d}")
W3DTF_DATES = st.builds(
    "{}-{}-{}T{}:{}:{}{}{}".format,
    st.sampled_from(["2026", "1970", "0001", "9999", "1899", "0000"]), NUMBER, NUMBER,
    NUMBER, NUMBER, NUMBER, st.sampled_from(["", ".5", ".123456"]),
    st.sampled_from(["Z", "+03:00", "-05:30", "+14:00", "-99:99", "+00:60"]),
)  # fmt: skip
RFC822_DATES = st.builds(
    "{}{} {} {} {}:{}:{} {}".format,
    st.sampled_from(["", "Sat, ", "Mon, ", "Thu, "]), st.integers(0, 40).map(str),
    st.sampled_from(["Jan", "Feb", "Oct", "Nov", "Dec"]),
    st.sampled_from(["2026", "1970", "0001", "9999", "1899"]), NUMBER, NUMBER, NUMBER,
    st.sampled_from(["+0000", "-0500", "+0530", "GMT", "UTC", "UT", "Z", "-9999", "+2400"]),
)  # fmt: skip


@given(value=st.one_of(W3DTF_DATES, RFC822_DATES))
def test_dates_read_as_feedparser_reads_them(value: str) -> None:
    assert fastparse._date(value) == _parse_date(value)


@given(
    start=st.sampled_from(
        [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\x4c\x6f\xa7\x94"]
    ),
    declaration=st.sampled_from(
        [
            b"", b'<?xml version="1.0" encoding="windows-1251"?>', b"<?xml version='1.0'?>",
            b'<?xml?xml version="1.0" ??>', b"<!-- c -->", b" <?xml version='1.0'?>", b"<?xml",
        ]
    ),
    rest=st.sampled_from([b"<rss/>", "<rss>Суд é</rss>".encode(), b"<rss>\xff</rss>", b"\n<a>"]),
)  # fmt: skip
def test_utf8_bodies_convert_as_feedparser_converts_them(
    start: bytes, declaration: bytes, rest: bytes
) -> None:
    body = start + declaration + rest
    headers = {"content-type": "application/xml; charset=utf-8"}
    converted = fastparse._utf8(body)
    assert converted is None or converted == convert_to_utf8(headers, body, {})


@given(
    link=st.builds(
        lambda s, r: s + r,
        st.sampled_from(["http://", "https://", "HTTP://", " https://", "ftp://", ""]),
        st.text(URL_CHARS + ".", max_size=25),
    )
)
def test_web_links_as_urlsplit_finds_them(link: str) -> None:
    try:
        parts = urlsplit(link.strip())
    except ValueError:  # a broken IPv6 host: the item is skipped (feeds.parse)
        with pytest.raises(ValueError):
            web_link(link)
        return
    web = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    assert web_link(link) == (link.strip() if web else None)


def test_a_fault_in_the_fast_path_costs_nothing_but_time(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in the fast path (here: its date reader raising) leaves the feed to
    feedparser: same articles, and a warning that says so."""
    body = CASES["odd dates"]

    def broken(value: str) -> None:
        raise KeyError(value)

    monkeypatch.setattr(fastparse, "_date", broken)
    assert parse(fetched(body)).articles == parse_with_feedparser(fetched(body)).articles
    assert "fast path failed: KeyError" in caplog.text
