"""Real-world text decoding (issue 8, kind 3): the bytes win over wrong labels.

Fetched from a real server on 127.0.0.1 and parsed, as the poll cycle does.
"""

import gzip
import zlib
from datetime import timedelta
from pathlib import Path

import pytest

from core.records import OutletForPoll, ParsedArticle
from feeds.fetch import fetch_one, make_client
from feeds.localserver import Canned, OutletServer
from feeds.parse import parse
from feeds.records import FetchedFeed

pytestmark = pytest.mark.slow
DATA = Path(__file__).parent / "data" / "realworld"
CYRILLIC = (DATA / "utf8_cyrillic.xml").read_bytes()
FRENCH = (DATA / "latin1_french.xml").read_bytes()
GERMAN = (DATA / "cp1252_german.xml").read_bytes()


async def fetch_and_parse(server: OutletServer, canned: Canned) -> list[ParsedArticle]:
    server.canned["/feed"] = canned
    outlet = OutletForPoll("o", "O", server.url("feed"), "ru", timedelta(minutes=15))
    async with make_client(timeout=2.0) as client:
        result = await fetch_one(client, outlet)
    assert result.error is None, result.error
    assert result.feed is not None
    return parse(result.feed).articles


@pytest.mark.parametrize(
    "content_type",
    [
        "text/xml; charset=ISO-8859-1",
        "application/rss+xml; charset=windows-1252",
        "application/xml; charset=windows-1251",
        "text/xml; charset=latin1",
        "text/xml",
    ],
)
async def test_valid_utf8_is_read_as_utf8_whatever_the_header(
    outlet_server: OutletServer, content_type: str
) -> None:
    """A UTF-8 Cyrillic feed served with a wrong charset keeps its Cyrillic text."""
    articles = await fetch_and_parse(
        outlet_server, Canned(body=CYRILLIC, headers={"Content-Type": content_type})
    )
    assert articles[0].title == "Суд огласил приговор Айбеку Сарсенову"
    assert "приговорён к пяти годам" in articles[0].text


async def test_utf8_without_declaration_and_wrong_header(outlet_server: OutletServer) -> None:
    """No XML declaration, a Latin-1 header: still UTF-8, Kazakh letters included."""
    body = (
        '<rss version="2.0"><channel><title>t</title><item><title>Сот үкім шығарды: '
        "Дана Жолдасова</title><link>https://kk.test/1</link></item></channel></rss>"
    ).encode()
    articles = await fetch_and_parse(
        outlet_server, Canned(body=body, headers={"Content-Type": "text/xml; charset=iso-8859-1"})
    )
    assert articles[0].title == "Сот үкім шығарды: Дана Жолдасова"


@pytest.mark.parametrize(
    ("body", "content_type", "title", "in_text"),
    [
        pytest.param(
            FRENCH,
            "application/rss+xml; charset=ISO-8859-1",
            "Procès de Kadyr Oralbekov : le militant accusé de « fausses nouvelles »",
            "Mme Bérénice Lefèvre",
            id="French, ISO-8859-1 in header and declaration",
        ),
        pytest.param(
            FRENCH,
            "application/xml",
            "Procès de Kadyr Oralbekov : le militant accusé de « fausses nouvelles »",
            "L'accusé nie tout",
            id="French, declared in the XML only",
        ),
        pytest.param(
            GERMAN,
            "text/xml; charset=windows-1252",
            "Urteil gegen Aibek Sarsenov: Gericht bestätigt „Hausarrest“ für fünf Jahre",
            "äußerte sich nicht",
            id="German, windows-1252",
        ),
    ],
)
async def test_correctly_labelled_latin1_stays_latin1(
    outlet_server: OutletServer, body: bytes, content_type: str, title: str, in_text: str
) -> None:
    """A French or German feed in Latin-1 is not turned into Cyrillic."""
    articles = await fetch_and_parse(
        outlet_server, Canned(body=body, headers={"Content-Type": content_type})
    )
    assert articles[0].title == title
    assert in_text in articles[0].text


@pytest.mark.parametrize(
    "content_type", ["application/xml", "text/xml; charset=ISO-8859-1", "text/html"]
)
async def test_unlabelled_or_mislabelled_cp1251_is_still_guessed(
    outlet_server: OutletServer, content_type: str
) -> None:
    """Bytes that are not UTF-8 and read as nonsense Latin-1 are windows-1251 Russian."""
    articles = await fetch_and_parse(
        outlet_server,
        Canned(
            body=(DATA / "cp1251_undeclared.xml").read_bytes(),
            headers={"Content-Type": content_type},
        ),
    )
    assert articles[0].title == "Суд огласил приговор Айбеку Сарсенову"


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush()


@pytest.mark.parametrize(
    ("body", "encoding"),
    [
        pytest.param(CYRILLIC, "gzip", id="gzip label on plain bytes"),
        pytest.param(CYRILLIC, "deflate", id="deflate label on plain bytes"),
        pytest.param(CYRILLIC, "x-gzip", id="x-gzip label on plain bytes"),
        pytest.param(gzip.compress(CYRILLIC), "gzip", id="real gzip"),
        pytest.param(zlib.compress(CYRILLIC), "deflate", id="real deflate (zlib)"),
        pytest.param(_raw_deflate(CYRILLIC), "deflate", id="real deflate (raw)"),
        pytest.param(gzip.compress(CYRILLIC), None, id="gzip with no label"),
        pytest.param(gzip.compress(CYRILLIC), "identity", id="gzip labelled identity"),
    ],
)
async def test_content_encoding_label_is_checked_against_the_bytes(
    outlet_server: OutletServer, body: bytes, encoding: str | None
) -> None:
    """A wrong Content-Encoding (or none) is survived by trusting the bytes."""
    headers = {"Content-Type": "application/rss+xml; charset=utf-8"}
    if encoding:
        headers["Content-Encoding"] = encoding
    articles = await fetch_and_parse(outlet_server, Canned(body=body, headers=headers))
    assert articles[0].title == "Суд огласил приговор Айбеку Сарсенову"


@pytest.mark.parametrize(
    ("xml_title", "title"),
    [
        pytest.param(
            "Dana Zholdasova jailed for calling the court a &lt;puppet show&gt;",
            "Dana Zholdasova jailed for calling the court a <puppet show>",
            id="escaped brackets",
        ),
        pytest.param("Budget R&lt;D&gt; cut", "Budget R<D> cut", id="R<D>"),
        pytest.param(
            "Court: &lt;unnamed witness&gt; &amp; the defence",
            "Court: <unnamed witness> & the defence",
            id="brackets and ampersand",
        ),
        pytest.param(
            "<![CDATA[Appeal of <b>Aibek Sarsenov</b> fails]]>",
            "Appeal of Aibek Sarsenov fails",
            id="real HTML in CDATA is stripped once",
        ),
        pytest.param("&lt;i&gt;Verdict&lt;/i&gt; day", "Verdict day", id="escaped real HTML"),
    ],
)
def test_titles_are_not_stripped_as_html_twice(xml_title: str, title: str) -> None:
    """Text in angle brackets that is not HTML survives in titles; real tags go."""
    body = (
        '<rss version="2.0"><channel><title>t</title><item>'
        f"<title>{xml_title}</title><link>https://o.test/1</link>"
        "<author>Zhanna Ospan &lt;desk@o.test&gt;</author>"
        "</item></channel></rss>"
    ).encode()
    article = parse_bytes(body)[0]
    assert article.title == title
    assert article.author == "Zhanna Ospan <desk@o.test>"


def test_atom_text_and_html_titles() -> None:
    """Atom says which titles are HTML: type="text" keeps brackets, type="html" is stripped."""
    body = b"""<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
      <entry><title type="text">Sarsenov: the &lt;rubber stamp&gt; court</title>
        <link href="https://o.test/1"/><id>1</id></entry>
      <entry><title type="html">&lt;em&gt;Sarsenov&lt;/em&gt; appeal &amp;lt;denied&amp;gt;</title>
        <link href="https://o.test/2"/><id>2</id></entry></feed>"""
    first, second = parse_bytes(body)
    assert first.title == "Sarsenov: the <rubber stamp> court"
    assert second.title == "Sarsenov appeal <denied>"


def test_body_text_keeps_bracketed_words() -> None:
    """In HTML bodies, brackets that are text (escaped twice by the outlet) stay."""
    body = (
        b'<rss version="2.0"><channel><title>t</title><item><title>x</title>'
        b"<link>https://o.test/1</link><description>He called it a &amp;lt;rubber "
        b"stamp&amp;gt; &lt;b&gt;parliament&lt;/b&gt;.</description></item></channel></rss>"
    )
    assert parse_bytes(body)[0].text == "He called it a <rubber stamp> parliament."


def parse_bytes(body: bytes) -> list[ParsedArticle]:
    outlet = OutletForPoll("o", "O", "https://o.test/rss", "en", timedelta(minutes=15))
    return parse(FetchedFeed(outlet, 200, body, {}, None, None)).articles
