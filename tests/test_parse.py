"""Parsing feed bytes into text articles, with our own sample feeds (and shared ones)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.errors import ParseError
from core.links import canonical_url
from core.records import OutletForPoll
from feeds.identity import article_key
from feeds.parse import parse
from feeds.records import FetchedFeed
from feeds.text import html_to_text

DATA = Path(__file__).parent / "data" / "feeds"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "feeds"
OUTLET = OutletForPoll(
    id="o", name="O", url="https://o.test/rss", lang="en", every=timedelta(minutes=15)
)


def fetched(body: bytes, headers: dict[str, str] | None = None) -> FetchedFeed:
    return FetchedFeed(OUTLET, 200, body, headers or {}, None, None)


def test_rss_items_become_text_articles() -> None:
    """Title, text without HTML or scripts, author, UTC date and canonical key."""
    articles = parse(fetched((DATA / "eurasianet_en.xml").read_bytes())).articles
    assert len(articles) == 3
    first = articles[0]
    assert first.title == "Kazakhstan: Journalist Duman Mukhammedkarim loses appeal"
    assert "upheld the seven-year sentence" in first.text and "<" not in first.text
    assert "track()" not in first.text
    assert first.author == "Sample Author"
    assert first.published == datetime(2026, 11, 21, 6, 15, tzinfo=UTC)
    assert first.key == "guid:o:https://example-eurasianet.test/?p=501"
    assert first.url_key == "example-eurasianet.test/kazakhstan-journalist-appeal"


def test_atom_entries_parse() -> None:
    """Atom summaries with escaped HTML become text, in Kazakh Cyrillic."""
    articles = parse(fetched((DATA / "azattyq_kk.atom").read_bytes())).articles
    assert [a.title for a in articles][1] == "Астанада жаңа саябақ ашылды"
    assert articles[0].text.startswith("Белсенді Айгерим")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        pytest.param(b"", "empty response", id="empty 200"),
        pytest.param(
            b"<!DOCTYPE html><html><title>Just a moment...</title></html>",
            "bot-protection",
            id="challenge page",
        ),
        pytest.param(
            b"<!DOCTYPE html><html><body>Welcome to our site</body></html>",
            "HTML page",
            id="html instead of a feed",
        ),
        pytest.param(
            (DATA / "broken_truncated.xml").read_bytes(), "not a readable", id="truncated xml"
        ),
    ],
)
def test_not_a_feed_is_a_parse_error(body: bytes, reason: str) -> None:
    """Bodies that are not feeds give a ParseError that says what came back."""
    with pytest.raises(ParseError) as caught:
        parse(fetched(body))
    assert reason in str(caught.value) and "'https://o.test/rss'" in str(caught.value)


def test_valid_empty_feed_is_not_an_error() -> None:
    """A well-formed feed with no items is simply empty."""
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    assert parse(fetched(body)).articles == []


@pytest.mark.skipif(not SHARED.exists(), reason="shared fixtures not present")
def test_windows_1251_feed_decodes() -> None:
    """A Cyrillic feed declared as windows-1251 comes out as readable Russian."""
    articles = parse(fetched((SHARED / "rss2_windows1251_cyrillic_oren_ru.xml").read_bytes()))
    assert articles.articles and any("Оренбург" in a.text + a.title for a in articles.articles)


def test_cp1251_with_header_charset() -> None:
    """The Content-Type charset is used when the document does not declare one."""
    body = (
        '<rss version="2.0"><channel><title>т</title><item><title>Приговор по делу'
        "</title><link>https://x.test/1</link></item></channel></rss>"
    ).encode("cp1251")
    articles = parse(fetched(body, {"content-type": "application/xml; charset=windows-1251"}))
    assert articles.articles[0].title == "Приговор по делу"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTPS://Example.TEST/a/b/", "https://example.test/a/b"),
        ("https://example.test/a?utm_source=rss&id=5#comments", "https://example.test/a?id=5"),
        ("https://example.test:443/a?b=2&a=1", "https://example.test/a?a=1&b=2"),
        ("http://example.test:8080/a", "http://example.test:8080/a"),
        ("https://example.test/a?fbclid=x&at_medium=rss", "https://example.test/a"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    """Case, default ports, tracking parameters, fragments and trailing slashes don't count."""
    assert canonical_url(url) == canonical


def test_key_falls_back_to_guid_then_title() -> None:
    """Items with no link are identified by guid, else by their title."""
    assert article_key("o", None, "g-1", "T") == "guid:o:g-1"
    assert article_key("o", "", None, "Some  Title") == "title:o:some title"


def test_html_to_text_keeps_paragraphs_apart() -> None:
    """Block elements separate words; entities decode; scripts vanish."""
    text = html_to_text("<p>one</p><p>two &amp; three</p><script>x()</script><br>four")
    assert text == "one\ntwo & three\nfour"
