"""Article identity (issue 8, kind 1): the table of cases, through real polls.

Each case is two polls of one outlet (or of two outlets) on a real server and a
real database; what matters is which items are stored and alerted as new.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from core.links import url_key
from core.records import KnownArticle, OutletConfig, ParsedArticle
from feeds.identity import article_key, new_articles
from feeds.localserver import Canned, OutletServer
from storage import articles
from storage.db import alembic_config, init_db, make_engine
from tests.realworld import open_db, poll_all

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def rss(*items: tuple[str, str, str | None]) -> bytes:
    """A feed of (title, link, guid) items about a watched defendant."""
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        + (f'<guid isPermaLink="false">{guid}</guid>' if guid else "")
        + "<description>Aibek Sarsenov in court.</description></item>"
        for title, link, guid in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>https://vesti.test/</link><description>d</description>{body}</channel></rss>"
    ).encode()


HEARING = ("Sarsenov hearing postponed", "https://court.test/schedule/", "case-7-hearing")
VERDICT = ("Sarsenov verdict announced", "https://court.test/schedule/", "case-7-verdict")
STORY = ("Aibek Sarsenov sentenced", "http://vesti.test/news/77", "vesti-77")

# (first poll, second poll, how many of the second poll's items are new)
CASES = {
    "stable guid, URL moves http→https, www., trailing slash": (
        [STORY],
        [(STORY[0], "https://www.vesti.test/news/77/", STORY[2])],
        0,
    ),
    "stable guid, URL moves elsewhere entirely": (
        [STORY],
        [(STORY[0], "https://vesti.test/2026/11/sarsenov-sentenced", STORY[2])],
        0,
    ),
    "shared URL, distinct guids (a court's schedule page)": ([HEARING], [VERDICT, HEARING], 1),
    "shared URL, distinct guids, the new item alone": ([HEARING], [VERDICT], 1),
    "live blog anchors, no guids": (
        [("Sarsenov trial: day one", "https://vesti.test/live#post-1", None)],
        [
            ("Sarsenov trial: verdict", "https://vesti.test/live#post-2", None),
            ("Sarsenov trial: day one", "https://vesti.test/live#post-1", None),
        ],
        1,
    ),
    "items all linking to the home page, no guids": (
        [("Sarsenov detained", "https://vesti.test/", None)],
        [
            ("Sarsenov sentenced", "https://vesti.test/", None),
            ("Sarsenov detained", "https://vesti.test/", None),
        ],
        1,
    ),
    "changing guid, stable URL and title": ([STORY], [(STORY[0], STORY[1], "vesti-77-v2")], 0),
    "edited title, stable guid": ([STORY], [("Aibek Sarsenov jailed", STORY[1], STORY[2])], 0),
    "edited title, no guid": (
        [(STORY[0], STORY[1], None)],
        [("Aibek Sarsenov jailed for five years", "https://vesti.test/news/77/", None)],
        0,
    ),
    "guid and title both change on a shared URL": (
        [HEARING],
        [("Sarsenov appeal hearing set", HEARING[1], "case-7-appeal")],
        1,
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
async def test_identity_table(tmp_path: Path, outlet_server: OutletServer, case: str) -> None:
    """Which items of a second poll are new articles, for each kind of identity change."""
    first, second, new = CASES[case]
    outlet_server.canned["/feed.xml"] = Canned(body=rss(*first))
    db = open_db(
        f"sqlite:///{tmp_path / 'tw.db'}",
        [OutletConfig("vesti", "Vesti", outlet_server.url("feed.xml"), "en")],
        NOW,
    )
    [result] = await poll_all(db, NOW)
    assert result.new == len(first)
    outlet_server.canned["/feed.xml"] = Canned(body=rss(*second))
    [result] = await poll_all(db, LATER)
    assert result.new == new
    counts = articles.counts(db)
    assert counts.articles == len(first) + new and counts.deliveries == counts.articles


@pytest.mark.slow
@pytest.mark.parametrize(
    ("other_link", "stored"),
    [
        ("https://www.vesti.test/news/77/?utm_source=rss", 1),
        ("https://other.test/sarsenov-sentenced", 2),
    ],
    ids=["same story, same link: one article", "own story, own link: two articles"],
)
async def test_same_story_in_two_outlets(
    tmp_path: Path, outlet_server: OutletServer, other_link: str, stored: int
) -> None:
    """Two outlets carrying one link (with their own guids) make one article and one
    alert, even when both are polled in the same cycle."""
    outlet_server.canned["/a.xml"] = Canned(body=rss(STORY))
    outlet_server.canned["/b.xml"] = Canned(
        body=rss(("Kazakh activist Sarsenov sentenced", other_link, "agg-9001"))
    )
    db = open_db(
        f"sqlite:///{tmp_path / 'tw.db'}",
        [
            OutletConfig("vesti", "Vesti", outlet_server.url("a.xml"), "en"),
            OutletConfig("agg", "Aggregator", outlet_server.url("b.xml"), "en"),
        ],
        NOW,
    )
    await poll_all(db, NOW)
    await poll_all(db, LATER)
    assert articles.counts(db).articles == stored
    assert articles.counts(db).deliveries == stored


def test_articles_stored_before_the_upgrade_stay_known(tmp_path: Path) -> None:
    """Rows keyed by the old rule (canonical URL) get their link identity in migration
    0008, so the same items are not new after the upgrade."""
    engine: Engine = make_engine(f"sqlite:///{tmp_path / 'tw.db'}")
    from alembic import command

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0007")
        connection.execute(
            text(
                "INSERT INTO outlet (id, name, config_url, url, lang, every_seconds, active, "
                "failures, state) VALUES ('vesti', 'V', 'https://v/rss', 'https://v/rss', "
                "'en', 900, true, 0, 'ok')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO article (key, outlet_id, url, guid, title, text, lang, seen_at) "
                "VALUES ('http://vesti.test/news/77', 'vesti', 'http://vesti.test/news/77', "
                "NULL, 'Aibek Sarsenov sentenced', '', 'en', :now)"
            ),
            {"now": NOW},
        )
    init_db(engine)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT url_key FROM article")).scalar() == (
            "vesti.test/news/77"
        )
    item = parsed(STORY[0], "https://vesti.test/news/77/", None)
    known = articles.known_keys(engine, [item.key])
    by_link = articles.articles_by_link(engine, [item.url_key or ""])
    assert new_articles("vesti", [item], known, by_link) == []
    engine.dispose()


def parsed(title: str, link: str, guid: str | None, outlet: str = "vesti") -> ParsedArticle:
    return ParsedArticle(
        article_key(outlet, link, guid, title), link, guid, title, "", None, None, url_key(link)
    )


def test_new_articles_keep_feed_order_and_skip_known_keys() -> None:
    """Known keys are skipped; the rest keep the feed's order."""
    items = [parsed(f"Story {n}", f"https://v.test/{n}", f"g{n}") for n in (3, 1, 2)]
    known = {items[1].key}
    assert [a.title for a in new_articles("vesti", items, known, [])] == ["Story 3", "Story 2"]


def test_a_link_stored_by_several_articles_is_not_an_identity() -> None:
    """Once two stored articles share a link, a third item with it is new."""
    stored = [
        KnownArticle(f"guid:vesti:{g}", "vesti", g, t, "vesti.test")
        for g, t in (("a", "One"), ("b", "Two"))
    ]
    item = parsed("Three", "https://vesti.test/", None)
    assert new_articles("vesti", [item], set(), stored) == [item]


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://www.Vesti.test/a/b/", "vesti.test/a/b"),
        ("https://vesti.test/a/b?utm_source=x#comments", "vesti.test/a/b"),
        ("https://vesti.test/live#post-12", "vesti.test/live#post-12"),
        ("javascript:alert(1)", None),
        ("mailto:desk@vesti.test", None),
    ],
)
def test_url_key(url: str, key: str | None) -> None:
    """Scheme, www., case, tracking and non-numbered anchors do not change a link's identity."""
    assert url_key(url) == key
