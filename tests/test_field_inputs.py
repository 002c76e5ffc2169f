"""Field inputs found by trying trialwatch as a new user: more members of the
real-world kinds (issue 8), each through a real server on 127.0.0.1 and a real poll.

- character references to code points that are not characters (surrogates,
  beyond U+10FFFF, NUL and other control characters) in one outlet's feed;
- a byte-order mark (or UTF-16's own first bytes) against a wrong charset label;
- complete entity references left in plain titles (CDATA, outlets that escape twice);
- ISO dates that name no calendar day, which feedparser reads as wrong real ones.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from core.records import OutletConfig, OutletForPoll
from feeds.fetch import fetch_one, make_client
from feeds.localserver import Canned, OutletServer
from feeds.parse import parse
from tests.realworld import MATCHER, open_db, poll_all

pytestmark = pytest.mark.slow
DATA = Path(__file__).parent / "data" / "fieldinputs"
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)


def serve_feeds(server: OutletServer, feeds: dict[str, bytes]) -> list[OutletConfig]:
    outlets = []
    for name, body in feeds.items():
        server.canned[f"/{name}"] = Canned(body=body, headers={"Content-Type": "application/xml"})
        outlets.append(OutletConfig(name, name.title(), server.url(name), "en"))
    return outlets


async def test_impossible_character_references_cost_nothing(
    outlet_server: OutletServer, database_url: str
) -> None:
    """`&#xD83D;`, `&#x110000;`, `&#99999999999;` and `&#0;` in one outlet's feed
    (feedparser raises on the first three) neither stop the cycle nor cost that
    outlet's items; control characters never reach the database."""
    outlets = serve_feeds(
        outlet_server,
        {
            "stepnoy": (DATA / "bad_charrefs.xml").read_bytes(),
            "dala": (DATA / "good.xml").read_bytes(),
        },
    )
    engine = open_db(database_url, outlets, NOW)
    results = {r.outlet_id: r for r in await poll_all(engine, NOW)}
    assert results["dala"].error is None and results["dala"].new == 1
    assert results["stepnoy"].error is None, results["stepnoy"].error
    assert results["stepnoy"].new == 3
    assert results["stepnoy"].matched == 2
    with engine.connect() as db:
        query = text("SELECT url, title || ' ' || text FROM article")
        rows = {str(url): str(body) for url, body in db.execute(query)}
    engine.dispose()
    assert "Aibek Sarsenov sentenced" in rows["https://stepnoy.test/n/1"]
    assert "Dana Zholdasova verdict" in rows["https://stepnoy.test/n/2"]
    weather = rows["https://stepnoy.test/n/3"]
    assert "Weather in Aktau" in weather
    assert not any(ord(c) < 32 and c not in "\t\n" for c in weather), repr(weather)


UNICODE_MARKED = (DATA / "unicode_marked.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("body", "label"),
    [
        (b"\xef\xbb\xbf" + UNICODE_MARKED.replace("ENCODING", "utf-8").encode(), "windows-1251"),
        (b"\xef\xbb\xbf" + UNICODE_MARKED.replace("ENCODING", "koi8-r").encode(), "koi8-r"),
        (("\ufeff" + UNICODE_MARKED.replace("ENCODING", "utf-16")).encode("utf-16-le"), "utf-8"),
        (("\ufeff" + UNICODE_MARKED.replace("ENCODING", "utf-16")).encode("utf-16-be"), "utf-8"),
        (UNICODE_MARKED.replace("ENCODING", "utf-16").encode("utf-16-le"), "iso-8859-1"),
        (UNICODE_MARKED.replace("ENCODING", "utf-16").encode("utf-16-be"), "windows-1251"),
    ],
    ids=["utf-8 BOM as cp1251", "utf-8 BOM as koi8-r", "utf-16le BOM", "utf-16be BOM",
         "utf-16le no BOM", "utf-16be no BOM"],
)  # fmt: skip
async def test_byte_order_mark_beats_the_charset_label(
    outlet_server: OutletServer, tmp_path: Path, body: bytes, label: str
) -> None:
    """The urgent verdict is read, matched and queued, not mojibake or a parse error."""
    outlet_server.canned["/kaspiy"] = Canned(
        body=body, headers={"Content-Type": f"application/rss+xml; charset={label}"}
    )
    outlet = OutletConfig("kaspiy", "Kaspiy", outlet_server.url("kaspiy"), "ru")
    engine = open_db(f"sqlite:///{tmp_path / 'tw.db'}", [outlet], NOW)
    [result] = await poll_all(engine, NOW)
    assert result.error is None, result.error
    assert (result.new, result.matched) == (1, 1)
    with engine.connect() as db:
        title = db.execute(text("SELECT title FROM article")).scalar_one()
    engine.dispose()
    assert title == "Суд вынес приговор Дане Жолдасовой"


async def test_entities_in_plain_titles_are_characters(outlet_server: OutletServer) -> None:
    """`&nbsp;`, `&#8217;`, `&mdash;` left in a title are the characters they name, so
    the full name matches (not the surname alone) and the alert shows no `&nbsp;`;
    a bare `&` stays (`R&D`, `AT&T`, `&nothing` is not `¬hing`)."""
    outlet_server.canned["/zhetysu"] = Canned(body=(DATA / "entity_titles.xml").read_bytes())
    outlet = OutletForPoll("zhetysu", "Z", outlet_server.url("zhetysu"), "en", timedelta(1))
    async with make_client(timeout=2.0) as client:
        fetched = await fetch_one(client, outlet)
    assert fetched.feed is not None, fetched.error
    first, second = parse(fetched.feed).articles
    assert (
        first.title
        == "Aibek Sarsenov’s appeal — verdict «upheld» in R&D <rubber stamp> case &nothing"
    )
    assert second.title == "Dana Zholdasova sentenced — R&D grant & AT&T"
    matches = MATCHER.match(first.title, first.text, "en")
    assert ("sarsenov", "full name") in {(m.entry_id, m.reason) for m in matches}


async def test_dates_that_name_no_day_count_as_missing(
    outlet_server: OutletServer, tmp_path: Path
) -> None:
    """`-0001-11-30`, `10000-01-01`, `2026-02-30`, `2026-13-01` are stored without a
    date (dated when first seen), not as 2000-01-01, 2010-11-01 or 2 March, which
    would make a fresh verdict old news; real dates in both forms are kept."""
    outlet_server.canned["/tobol"] = Canned(body=(DATA / "written_dates.xml").read_bytes())
    outlet = OutletConfig("tobol", "Tobol", outlet_server.url("tobol"), "en")
    engine = open_db(f"sqlite:///{tmp_path / 'tw.db'}", [outlet], NOW)
    [result] = await poll_all(engine, NOW)
    assert result.error is None and result.new == 6
    with engine.connect() as db:
        query = text("SELECT url, published_at FROM article")
        dates = {str(url): published for url, published in db.execute(query)}
    engine.dispose()
    assert [url for url, published in sorted(dates.items()) if published is None] == [
        "https://tobol.test/1",
        "https://tobol.test/2",
        "https://tobol.test/3",
        "https://tobol.test/4",
    ]
    assert str(dates["https://tobol.test/5"]).startswith("2026-11-21 04:00")
    assert str(dates["https://tobol.test/6"]).startswith("2026-11-21 04:30")
