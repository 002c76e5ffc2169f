"""The feed item's XML as served, kept with the first-sight evidence: sliced out of
the feed's bytes (feeds.rawitem), stored by the poll cycle, shown with its hash."""

import gzip
import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.cli import main
from bot.cycle import CycleDeps, run_cycle
from bot.services import sync_outlets
from core.records import OutletConfig, OutletForPoll
from feeds.fetch import make_client
from feeds.localserver import serve
from feeds.parse import parse
from feeds.rawitem import MAX_ITEM, raw_items
from feeds.records import FetchedFeed
from storage.db import init_db, make_engine
from tests.archive import matcher

DATA = Path(__file__).parent / "data"
NOW = datetime(2026, 11, 21, 9, 40, tzinfo=UTC)
OUTLET = OutletForPoll("b", "Outlet B", "https://b.test/rss", "ru", timedelta(minutes=15))


def fetched(body: bytes, **headers: str) -> FetchedFeed:
    return FetchedFeed(OUTLET, 200, body, headers, None, None)


def items_of(body: bytes, **headers: str) -> dict[str, bytes]:
    """Article title → the raw item's bytes, checked against its hash."""
    feed = fetched(body, **headers)
    articles = parse(feed).articles
    raws = raw_items(feed, articles)
    found = {}
    for article in articles:
        if article.key in raws:
            raw = raws[article.key]
            encoded = [
                b for b in _encodings(raw.xml) if hashlib.sha256(b).hexdigest() == raw.sha256
            ]
            assert encoded, f"{article.title}: the hash is not of the item's bytes"
            found[article.title] = encoded[0]
    return found


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _encodings(xml: str) -> list[bytes]:
    return [
        xml.encode(e, errors="replace")
        for e in ("utf-8", "windows-1251", "windows-1252", "latin-1")
    ]


@pytest.mark.parametrize(
    "name",
    [
        "feeds/azattyq_ru.xml",
        "feeds/azattyq_kk.atom",
        "feeds/eurasianet_en.xml",
        "feeds/kk_lookalike_letters.xml",
        "fieldinputs/bad_charrefs.xml",
        "fieldinputs/entity_titles.xml",
        "fieldinputs/written_dates.xml",
        "realworld/cp1251_undeclared.xml",
        "realworld/cp1252_german.xml",
        "realworld/latin1_french.xml",
    ],
)
def test_every_item_of_the_sample_feeds_is_found_byte_for_byte(name: str) -> None:
    """Each parsed article's item is a slice of the feed's bytes from `<item`/`<entry`
    to its end tag, whatever the encoding, entities or broken character references."""
    body = (DATA / name).read_bytes()
    found = items_of(body)
    assert len(found) == len(parse(fetched(body)).articles)
    for raw in found.values():
        assert raw in body
        assert raw.startswith((b"<item", b"<entry")) and raw.endswith((b"</item>", b"</entry>"))


TRICKY = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>B</title>
<!-- <item><title>not an item</title></item> -->
<item><title>Приговор Тасболатову</title><link>https://b.test/ru/1</link>
<description><![CDATA[<p>Ержан&nbsp;Тасболатов: "</item>" in CDATA</p>]]></description></item>
<item><title>Second&nbsp;one</title><guid isPermaLink="false">b-2</guid>
<link>https://b.test/ru/2?utm_source=rss</link><description>Text.</description></item>
<item><title>Third</title><atom:link rel="self" href="https://b.test/self"/>
<link>https://b.test/ru/3</link><description>Text.</description></item>
<item><title>Cut off"""


def test_cdata_comments_entities_guids_and_a_truncated_tail() -> None:
    """`</item>` in CDATA and an item in a comment change nothing; an undeclared entity
    (&nbsp;) does not stop it; the item cut off at the end is not kept (it has no end)."""
    body = TRICKY.encode()
    found = items_of(body)
    assert set(found) == {"Приговор Тасболатову", "Second one", "Third"}
    assert found["Приговор Тасболатову"].endswith(b'" in CDATA</p>]]></description></item>')
    assert b"<guid" in found["Second one"] and b"Third" not in found["Second one"]


def test_gzip_and_windows_1251_bytes_are_sliced_as_served() -> None:
    """A gzip body is inflated first (as the parser does); the hash is of the bytes in
    the feed's own encoding, the text is read in it."""
    body = (DATA / "realworld" / "cp1251_undeclared.xml").read_bytes()
    feed = fetched(gzip.compress(body), **{"content-encoding": "gzip"})
    [article] = parse(feed).articles
    [raw] = raw_items(feed, [article]).values()
    assert raw.xml.startswith("<item><title>Суд огласил приговор Айбеку Сарсенову</title>")
    assert raw.sha256 == hashlib.sha256(raw.xml.encode("windows-1251")).hexdigest()


def test_what_cannot_be_read_is_left_out() -> None:
    """Not well-formed before any item: nothing, and no error; an item over MAX_ITEM: left out."""
    body = b"<rss><channel><item><title>A & B</title><link>https://b.test/1</link></item>"
    assert raw_items(fetched(body), parse(fetched(body)).articles) == {}
    huge = "<p>" + "x" * MAX_ITEM + "</p>"
    second = "<description>Text.</description></item>\n<item><title>Third"
    body = TRICKY.replace(second, second.replace("Text.", huge), 1).encode()
    assert set(items_of(body)) == {"Приговор Тасболатову", "Third"}


# --- the poll cycle keeps it; `trialwatch evidence URL` shows its hash ---------------


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    init_db(engine)
    yield engine
    engine.dispose()


async def test_the_poll_cycle_stores_the_item_xml_with_the_first_sight(
    engine: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """A matched article's first-sight snapshot holds its item's XML as served and the
    hash; an unmatched one stores no snapshot at all."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "feed.xml").write_bytes(TRICKY.encode())
    with serve(root) as server:
        outlet = OutletConfig("b", "Outlet B", server.url("feed.xml"), "ru")
        sync_outlets(engine, [outlet], timedelta(minutes=15), NOW)
        async with make_client() as client:
            await run_cycle(CycleDeps(engine, client, matcher(), None, frozenset()), NOW)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT a.url, s.raw, s.raw_sha256 FROM snapshot s JOIN article a "
                 "ON a.id = s.article_id WHERE s.source = 'feed'")
        ).all()  # fmt: skip
    [(url, raw, digest)] = rows
    assert url == "https://b.test/ru/1"
    assert raw.startswith("<item><title>Приговор Тасболатову</title>") and raw in TRICKY
    assert digest == hashlib.sha256(raw.encode()).hexdigest()
    monkeypatch.setenv("TRIALWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("TRIALWATCH_CONFIG_DIR", str(DATA.parent.parent / "config"))
    assert main(["evidence", url]) == 0
    assert f"item XML       as served   {digest}" in capsys.readouterr().out
