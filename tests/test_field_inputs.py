"""Field inputs found by trying trialwatch as a new user: more members of the
real-world kinds (issue 8), each through a real server on 127.0.0.1 and a real poll.

- character references to code points that are not characters (surrogates,
  beyond U+10FFFF, NUL and other control characters) in one outlet's feed;
"""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from core.records import OutletConfig
from feeds.localserver import Canned, OutletServer
from tests.realworld import open_db, poll_all

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
        rows: dict[str, str] = dict(
            db.execute(text("SELECT url, title || ' ' || text FROM article")).tuples().all()
        )
    engine.dispose()
    assert "Aibek Sarsenov sentenced" in rows["https://stepnoy.test/n/1"]
    assert "Dana Zholdasova verdict" in rows["https://stepnoy.test/n/2"]
    weather = rows["https://stepnoy.test/n/3"]
    assert "Weather in Aktau" in weather
    assert not any(ord(c) < 32 and c not in "\t\n" for c in weather), repr(weather)
