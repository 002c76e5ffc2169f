"""Evidence: first-sight snapshots, polite page re-checks (loopback server), the trail."""

import hashlib
import io
import json
import shutil
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.cli import main
from bot.research.evidence import evidence_history, recheck, render_notice
from bot.research.export import ExportOptions, export
from bot.services import sync_outlets
from core.research import ArticleFilter, PageBefore
from feeds.evidence import due_stage, judge, moved
from feeds.fetch import make_client
from feeds.localserver import Canned, OutletServer, serve
from feeds.pages import PageFetcher
from feeds.records import PageResult
from storage.db import init_db, make_engine
from tests.archive import OUTLETS, Item, matcher, store_item

DATA = Path(__file__).parent / "data"
SEEN = datetime(2026, 11, 21, 9, 40, tzinfo=UTC)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


# --- when and what: pure decisions -------------------------------------------------


@pytest.mark.parametrize(
    ("after", "done", "stage"),
    [
        (timedelta(0), set(), 0),
        (timedelta(minutes=30), {0}, None),
        (HOUR, {0}, 1),
        (DAY, {0, 1}, 2),
        (3 * DAY, {0}, 2),  # late: the latest stage due, earlier ones skipped
        (7 * DAY, {0, 1, 2}, 3),
        (9 * DAY, {0, 1, 2, 3}, None),
    ],
    ids=["first check", "not yet", "1 h", "1 d", "late", "7 d", "done"],
)
def test_due_stage(after: timedelta, done: set[int], stage: int | None) -> None:
    assert due_stage(SEEN, done, SEEN + after) == stage


def page(status: int | None = 200, html: str | None = "<p>x</p>", **kw: str) -> PageResult:
    return PageResult("https://b.test/ru/2", status, kw.get("final", "https://b.test/ru/2"), html)


BASE = PageBefore("first", "aa", "old text", "https://b.test/ru/2")


@pytest.mark.parametrize(
    ("before", "result", "text_", "status", "notable"),
    [
        (None, page(), "text", "first", False),
        (BASE, page(), "old text", "changed", True),
        (PageBefore("first", judge(None, page(), "same").sha256, "same", None), page(), "same",
         "same", False),
        (BASE, page(404, None), None, "gone", True),
        (PageBefore("gone", "aa", "old", "https://b.test/ru/2"), page(410, None), None, "gone",
         False),
        (BASE, page(final="https://b.test/"), "home page", "moved", True),
        (None, page(final="https://b.test/real/2"), "text", "first", False),
        (BASE, page(final="https://www.b.test/ru/2/"), "old text", "changed", True),
        (BASE, page(503, None), None, "failed", False),
        (BASE, page(), None, "failed", False),
    ],
    ids=["first", "edited", "same", "gone", "still gone", "moved", "feed link redirects",
         "www and slash are not a move", "server error", "no text"],
)  # fmt: skip
def test_judge(
    before: PageBefore | None, result: PageResult, text_: str | None, status: str, notable: bool
) -> None:
    """A check is first, same, changed, gone, moved or failed; gone/moved are told once."""
    verdict = judge(before, result, text_)
    assert (verdict.status, verdict.notable) == (status, notable)


def test_http_to_https_is_not_a_move() -> None:
    assert not moved("http://b.test/ru/2", "https://b.test/ru/2?utm_source=x")
    assert moved("https://b.test/ru/2", "https://b.test/ru/3")


# --- the real thing: SQLite/PostgreSQL and an outlet on loopback ---------------------


@pytest.fixture
def site(tmp_path: Path) -> Iterator[OutletServer]:
    """An outlet's web site: one article page and a robots.txt that allows it."""
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(DATA / "pages" / "article.html", root / "article.html")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    with serve(root) as server:
        yield server


@pytest.fixture
def engine(database_url: str, site: OutletServer) -> Iterator[Engine]:
    """A database holding one matched article whose link is the site's page."""
    engine = make_engine(database_url)
    init_db(engine)
    sync_outlets(engine, OUTLETS, timedelta(minutes=15), SEEN)
    title, body = "Суд над Тасболатовым отложен", "Заседание по делу Ержана Тасболатова перенесли."
    url = site.url("article.html")
    store_item(engine, Item("b", url, "ru", SEEN - timedelta(minutes=10), title, body), matcher())
    yield engine
    engine.dispose()


@pytest.fixture
async def fetcher() -> AsyncIterator[PageFetcher]:
    async with make_client(timeout=2.0) as client:
        yield PageFetcher(client, per_host=0.0, timeout=0.5)


def snapshots(engine: Engine) -> list[tuple[str, int, str]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT source, stage, status FROM snapshot ORDER BY id"))
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_first_sight_keeps_the_feed_text_and_its_hash(engine: Engine, site: OutletServer) -> None:
    """Stored with the article: the feed text as matched, SHA-256 of title, blank line, body."""
    [(article, records)] = [evidence_history(engine, site.url("article.html"))]  # type: ignore[list-item]
    [first] = records
    assert (first.source, first.stage, first.status) == ("feed", 0, "first")
    expected = hashlib.sha256(f"{article.title}\n\n{article.text}".encode()).hexdigest()
    assert first.sha256 == expected


async def test_an_edited_page_gets_a_new_snapshot_and_a_diff(
    engine: Engine, site: OutletServer, fetcher: PageFetcher
) -> None:
    """First check keeps the page text; after an edit the 1 h check stores the diff and tells."""
    assert await recheck(engine, fetcher, SEEN) == []
    page_file = site.root / "article.html"
    edited = page_file.read_text(encoding="utf-8").replace("на декабрь", "на январь")
    page_file.write_text(edited, encoding="utf-8")
    assert await recheck(engine, fetcher, SEEN + HOUR / 2) == []  # nothing due yet
    [notice] = await recheck(engine, fetcher, SEEN + HOUR)
    assert notice.verdict.status == "changed"
    assert "-Заседание по делу активиста Ержана Тасболатова перенесли на декабрь" in (
        notice.verdict.diff or ""
    )
    assert "+Заседание по делу активиста Ержана Тасболатова перенесли на январь" in (
        notice.verdict.diff or ""
    )
    assert render_notice(notice).startswith("Edited: <a href=")
    assert snapshots(engine)[1:] == [("page", 0, "first"), ("page", 1, "changed")]
    assert await recheck(engine, fetcher, SEEN + DAY) == []  # unchanged since: told nothing
    assert snapshots(engine)[-1] == ("page", 2, "same")


async def test_a_page_taken_down_is_told_once(
    engine: Engine, site: OutletServer, fetcher: PageFetcher
) -> None:
    """404 after the first check: "taken down" at the 1 d check, silence at 7 d; the
    export's page_status says "gone"."""
    await recheck(engine, fetcher, SEEN)
    site.canned["/article.html"] = Canned(404, b"gone")
    [notice] = await recheck(engine, fetcher, SEEN + DAY)
    assert notice.verdict.status == "gone" and render_notice(notice).startswith("Taken down (404)")
    assert await recheck(engine, fetcher, SEEN + 7 * DAY) == []
    assert snapshots(engine)[-1] == ("page", 3, "gone")
    out = io.StringIO()
    export(engine, ArticleFilter(), out, ExportOptions("jsonl"))
    assert {json.loads(line)["page_status"] for line in out.getvalue().splitlines()} == {"gone"}


async def test_a_redirect_elsewhere_is_a_move(
    engine: Engine, site: OutletServer, fetcher: PageFetcher
) -> None:
    """The article now redirects to the home page: "now redirects elsewhere"."""
    await recheck(engine, fetcher, SEEN)
    (site.root / "index.html").write_text("<html><body><p>Home</p></body></html>")
    site.canned["/article.html"] = Canned(301, headers={"Location": "/index.html"})
    [notice] = await recheck(engine, fetcher, SEEN + HOUR)
    assert notice.verdict.status == "moved"
    assert notice.verdict.final_url == site.url("index.html")


async def test_robots_txt_disallow_is_honoured(
    engine: Engine, site: OutletServer, fetcher: PageFetcher
) -> None:
    """A page robots.txt disallows is never requested; the trail says why."""
    (site.root / "robots.txt").write_text("User-agent: trialwatch\nDisallow: /article\n")
    assert await recheck(engine, fetcher, SEEN) == []
    assert site.requests_for("article.html") == []
    assert snapshots(engine)[-1] == ("page", 0, "disallowed")


async def test_a_slow_page_fails_the_check_without_holding_the_others(
    engine: Engine, site: OutletServer, fetcher: PageFetcher
) -> None:
    """A page slower than the timeout is a failed check, recorded with the reason."""
    site.canned["/article.html"] = Canned(200, b"<p>late</p>", delay=1.5)
    started = time.monotonic()
    assert await recheck(engine, fetcher, SEEN) == []
    assert time.monotonic() - started < 1.4
    _, records = evidence_history(engine, site.url("article.html"))  # type: ignore[misc]
    assert records[-1].status == "failed" and "timed out" in (records[-1].error or "")


def test_evidence_command_prints_the_trail(
    engine: Engine,
    site: OutletServer,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`trialwatch evidence URL` prints each snapshot with its hash; unknown links say so."""
    monkeypatch.setenv("TRIALWATCH_DATABASE_URL", database_url)
    assert main(["evidence", site.url("article.html")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == site.url("article.html")
    assert out[2].startswith("2026-11-21 09:40Z  feed  as first seen  first")
    assert len(out[2].split()[-1]) == 64
    assert main(["evidence", "https://nowhere.test/x"]) == 1
    assert "no stored article" in capsys.readouterr().err


# --- politeness ----------------------------------------------------------------------


async def test_one_request_a_second_per_host(site: OutletServer) -> None:
    """Requests to one host are spaced by `per_host` seconds, robots.txt included."""
    async with make_client() as client:
        fetcher = PageFetcher(client, per_host=0.2)
        started = time.monotonic()
        results = await fetcher.fetch_all([site.url("article.html")] * 3)
    assert all(r.ok for r in results)
    assert time.monotonic() - started >= 0.6  # robots.txt + 3 pages, 0.2 s apart
    assert len(site.requests_for("robots.txt")) == 1


async def test_cache_by_url_when_allowed(site: OutletServer) -> None:
    """Full text may reuse a page; a re-check never does."""
    async with make_client() as client:
        fetcher = PageFetcher(client, per_host=0.0)
        await fetcher.fetch(site.url("article.html"), cached=True)
        await fetcher.fetch(site.url("article.html"), cached=True)
        assert len(site.requests_for("article.html")) == 1
        await fetcher.fetch(site.url("article.html"))
        assert len(site.requests_for("article.html")) == 2


def test_recheck_command_checks_what_is_due(
    database_url: str,
    site: OutletServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`trialwatch recheck` checks the page of an article matched 2 hours ago, once."""
    engine = make_engine(database_url)
    init_db(engine)
    now = datetime.now(UTC)
    sync_outlets(engine, OUTLETS, timedelta(minutes=15), now)
    item = Item("b", site.url("article.html"), "ru", None, "Тасболатов", "Ержан Тасболатов.")
    store_item(engine, item, matcher())  # first seen at UNDATED_SEEN: too old to check
    with engine.begin() as connection:
        connection.execute(text("UPDATE article SET seen_at = :t"), {"t": now - 2 * HOUR})
    monkeypatch.setenv("TRIALWATCH_DATABASE_URL", database_url)
    assert main(["recheck"]) == 0
    assert main(["recheck"]) == 0
    assert capsys.readouterr().err.count("0 changes") == 2
    assert snapshots(engine)[1:] == [("page", 1, "first")]
    assert len(site.requests_for("article.html")) == 1
    engine.dispose()
