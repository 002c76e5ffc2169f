"""Full text for summary-only feeds, against an outlet site on loopback."""

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.records import ParsedArticle
from feeds.extract import extract_text, fallback_text
from feeds.fetch import make_client
from feeds.fulltext import pick_text, with_full_text
from feeds.localserver import Canned, OutletServer, serve
from feeds.outlets import parse_outlets
from feeds.pages import PageFetcher

DATA = Path(__file__).parent / "data"
LEAD = "Заседание по делу активиста перенесли на декабрь."
WHEN = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[OutletServer]:
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(DATA / "pages" / "article.html", root / "article.html")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    with serve(root) as server:
        yield server


def lead(url: str) -> ParsedArticle:
    return ParsedArticle(url, url, None, "Суд над активистом отложен", LEAD, None, WHEN)


async def full(site: OutletServer, *paths: str, wait: float = 2.0) -> list[str]:
    async with make_client() as client:
        fetcher = PageFetcher(client, per_host=0.0, timeout=wait)
        articles = await with_full_text(fetcher, [lead(site.url(p)) for p in paths])
    return [a.text for a in articles]


async def test_the_page_text_replaces_the_lead(site: OutletServer) -> None:
    """A name only in the body (Тасболатова) is in the text the matcher sees."""
    [text] = await full(site, "article.html")
    assert "Тасболатов находится под домашним арестом" in text
    assert "Все права защищены" not in text  # boilerplate dropped


def not_found(site: OutletServer) -> str:
    site.canned["/article.html"] = Canned(404, b"not here")
    return "article.html"


def disallowed(site: OutletServer) -> str:
    (site.root / "private").mkdir()
    shutil.copy(site.root / "article.html", site.root / "private" / "a.html")
    return "private/a.html"


def slow(site: OutletServer) -> str:
    site.canned["/article.html"] = Canned(200, b"<p>late</p>", delay=1.0)
    return "article.html"


def no_article(site: OutletServer) -> str:
    body = b"<html><body><p>Cookies?</p></body></html>"
    site.canned["/article.html"] = Canned(200, body, {"Content-Type": "text/html"})
    return "article.html"


def redirect_to_nothing(site: OutletServer) -> str:
    site.canned["/article.html"] = Canned(301, headers={"Location": "/gone.html"})
    return "article.html"


@pytest.mark.parametrize(
    "setup",
    [not_found, disallowed, slow, no_article, redirect_to_nothing],
    ids=["404", "robots.txt disallow", "slow page", "no article text", "redirect to nothing"],
)
async def test_any_failure_keeps_the_feed_text(
    site: OutletServer, setup: Callable[[OutletServer], str]
) -> None:
    """404, robots.txt, a timeout, a page with no article: the feed's lead is matched."""
    path = setup(site)
    assert await full(site, path, wait=0.4) == [LEAD]
    if setup is disallowed:
        assert site.requests_for(path) == []


async def test_pages_are_fetched_once_per_url(site: OutletServer) -> None:
    """Two items linking one page: one request (cache by URL)."""
    texts = await full(site, "article.html", "article.html")
    assert texts[0] == texts[1] != LEAD
    assert len(site.requests_for("article.html")) == 1


def test_pick_text() -> None:
    assert pick_text("lead", "a longer page text") == "a longer page text"
    assert pick_text("a long lead paragraph", "short") == "a long lead paragraph"
    assert pick_text("lead", None) == "lead"


def test_feeds_yaml_fulltext_flag() -> None:
    """`fulltext: true` per outlet; anything but true/false is an error naming the key."""
    text = "feeds:\n  - {id: a, name: A, url: 'https://a.test/rss', lang: ru, fulltext: true}\n"
    [outlet] = parse_outlets(text)
    assert outlet.fulltext
    with pytest.raises(Exception, match=r"feeds\[0\]\.fulltext: expected true or false"):
        parse_outlets(text.replace("true", "'yes'"))


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (
            "<body><nav>Menu</nav><article><h1>Title</h1><p>" + "Body text. " * 30
            + "</p></article><footer>© us</footer></body>",
            "Title\n" + ("Body text. " * 30).strip(),
        ),
        (
            "<body><header>Site</header><main><p>" + "Main text. " * 30 + "</p></main>"
            "<aside>Related</aside></body>",
            ("Main text. " * 30).strip(),
        ),
        ("<body><nav>Menu</nav><p>Short body.</p><footer>©</footer></body>", "Short body."),
        ("<body><nav>Only a menu</nav></body>", None),
    ],
    ids=["article", "main", "body less furniture", "nothing"],
)  # fmt: skip
def test_fallback_extractor(html: str, expected: str | None) -> None:
    """Without trafilatura: <article>, else <main>, else <body> without nav, header, footer."""
    assert fallback_text(html) == expected


def test_fallback_reads_the_sample_article_like_trafilatura() -> None:
    """On a typical news page both extractors give the article's paragraphs."""
    page = (DATA / "pages" / "article.html").read_text(encoding="utf-8")
    text = fallback_text(page) or ""
    assert text.splitlines()[0] == "Суд над Тасболатовым отложен"
    assert "Тасболатов находится под домашним арестом" in text
    assert "Главная" not in text and "Все права защищены" not in text
    assert extract_text(page) == text
