"""Real-world links (issue 8, kind 2) and dates (kind 4), through a real poll.

Relative links resolve against the URL the feed finally came from and Atom
xml:base; only http(s) links are kept. Impossible dates count as missing, so
the article is dated when first seen, and no date can break a message.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from bot.render import render_alert, render_digest
from core.records import DeliveryItem, Match, OutletConfig
from feeds.localserver import Canned, OutletServer
from storage import outbox
from tests.realworld import open_db, poll_all

pytestmark = pytest.mark.slow
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)

RSS_RELATIVE = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Vesti</title><link>https://vesti.test/</link>
<description>d</description>
<item><title>Court: Aibek Sarsenov sentenced</title><link>news/2026/sarsenov-verdict/</link>
<description>Aibek Sarsenov was sentenced.</description></item>
<item><title>Dana Zholdasova sentenced</title><link>/archive/zholdasova</link>
<description>Dana Zholdasova was sentenced.</description></item>
<item><title>Aibek Sarsenov verdict: reactions</title>
<link>javascript:alert(document.cookie)</link><guid isPermaLink="false">r-3</guid>
<description>Aibek Sarsenov verdict.</description></item>
</channel></rss>"""

ATOM_BASE = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://mirror.vesti.test/kk/">
<title>Vesti kk</title><id>tag:vesti.test,2026:kk</id><updated>2026-11-21T05:00:00Z</updated>
<entry><title>Aibek Sarsenov sentenced</title><link href="articles/101"/>
<id>tag:vesti.test,2026:101</id><updated>2026-11-21T05:00:00Z</updated>
<summary>Aibek Sarsenov was sentenced.</summary></entry>
<entry xml:base="https://other.vesti.test/"><title>Dana Zholdasova sentenced</title>
<link href="a/102"/><id>tag:vesti.test,2026:102</id><updated>2026-11-21T05:00:00Z</updated>
<summary>Dana Zholdasova was sentenced.</summary></entry>
<entry><title>Aibek Sarsenov verdict appeal</title><link href="mailto:desk@vesti.test"/>
<id>tag:vesti.test,2026:103</id><updated>2026-11-21T05:00:00Z</updated>
<summary>The Aibek Sarsenov verdict.</summary></entry>
</feed>"""


def make_db(tmp_path: Path, server: OutletServer, path: str) -> Engine:
    return open_db(
        f"sqlite:///{tmp_path / 'tw.db'}",
        [OutletConfig("vesti", "Vesti", server.url(path), "en")],
        NOW,
    )


def queued(db: Engine) -> list[DeliveryItem]:
    """Every queued article, alert or digest (a first poll's are all digest: backlog)."""
    items = outbox.pending(db, urgent=True) + outbox.pending(db, urgent=False)
    return sorted(items, key=lambda i: i.delivery_id)


def alerts(db: Engine, tz: str = "Asia/Almaty") -> list[str]:
    return [render_alert(i, ZoneInfo(tz), str).html for i in queued(db)]


async def test_relative_rss_links_resolve_against_the_final_feed_url(
    tmp_path: Path, outlet_server: OutletServer
) -> None:
    """After a redirect, relative item links resolve against where the feed really is;
    a javascript: link is dropped and the alert has no link rather than a bad one."""
    outlet_server.canned["/old-feed"] = Canned(status=302, headers={"Location": "/rss/ru/feed.xml"})
    outlet_server.canned["/rss/ru/feed.xml"] = Canned(body=RSS_RELATIVE.encode())
    db = make_db(tmp_path, outlet_server, "old-feed")
    await poll_all(db, NOW)
    sent = alerts(db)
    base = outlet_server.base_url
    assert len(sent) == 3  # three distinct articles, none lost for lack of a link
    assert f'<a href="{base}/rss/ru/news/2026/sarsenov-verdict/">' in sent[0]
    assert f'<a href="{base}/archive/zholdasova">' in sent[1]
    assert "javascript:" not in sent[2] and "<a href" not in sent[2]


async def test_atom_links_resolve_against_xml_base(
    tmp_path: Path, outlet_server: OutletServer
) -> None:
    """Atom xml:base on the feed and on an entry is honoured; mailto: links are not links."""
    outlet_server.canned["/kk.atom"] = Canned(body=ATOM_BASE.encode())
    db = make_db(tmp_path, outlet_server, "kk.atom")
    await poll_all(db, NOW)
    sent = alerts(db)
    assert '<a href="https://mirror.vesti.test/kk/articles/101">' in sent[0]
    assert '<a href="https://other.vesti.test/a/102">' in sent[1]
    assert "mailto:" not in sent[2] and "<a href" not in sent[2]


DATED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Vesti</title><link>https://vesti.test/</link>
<description>d</description>{items}</channel></rss>"""
ITEM = """<item><title>Aibek Sarsenov sentenced ({n})</title>
<link>https://vesti.test/news/{n}</link>{date}
<description>Aibek Sarsenov was sentenced.</description></item>"""


@pytest.mark.parametrize(
    ("date", "kept"),
    [
        pytest.param("Mon, 01 Jan 0001 00:00:00 +0000", False, id="year 0001"),
        pytest.param("Thu, 01 Jan 1970 00:00:00 +0000", False, id="unix epoch"),
        pytest.param("Sat, 31 Dec 1988 12:00:00 +0000", False, id="before 1990"),
        pytest.param("Fri, 31 Dec 9999 23:59:59 +0000", False, id="year 9999"),
        pytest.param("Tue, 24 Nov 2026 06:00:01 +0000", False, id="more than a day ahead"),
        pytest.param("the day after tomorrow", False, id="unparseable"),
        pytest.param("0000-00-00T00:00:00Z", False, id="zero ISO date"),
        pytest.param("Sat, 21 Nov 2026 10:00:00 +0500", True, id="a real date"),
        pytest.param("Sun, 22 Nov 2026 18:00:00 +0000", True, id="hours ahead (time zone slip)"),
    ],
)
async def test_impossible_dates_count_as_missing(
    tmp_path: Path, outlet_server: OutletServer, date: str, kept: bool
) -> None:
    """An impossible date is dropped (the article is dated when first seen); the other
    items of the feed are stored and alerted as usual."""
    items = "".join(
        ITEM.format(n=n, date=f"<pubDate>{d}</pubDate>")
        for n, d in enumerate([date, "Sat, 21 Nov 2026 10:00:00 +0500"])
    )
    outlet_server.canned["/dated.xml"] = Canned(body=DATED.format(items=items).encode())
    db = make_db(tmp_path, outlet_server, "dated.xml")
    [result] = await poll_all(db, NOW)
    assert result.error is None and result.new == 2
    first, second = queued(db)
    assert (first.published is not None) == kept
    assert second.published == datetime(2026, 11, 21, 5, 0, tzinfo=UTC)
    for tz in ("Europe/London", "America/Los_Angeles", "Pacific/Kiritimati", "Asia/Almaty"):
        assert len(alerts(db, tz)) == 2


@pytest.mark.parametrize(
    "published",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, tzinfo=UTC),
        datetime(2031, 1, 1, tzinfo=UTC),
    ],
    ids=["year 1", "year 9999", "1969", "five years ahead"],
)
@pytest.mark.parametrize(
    "tz", ["Europe/London", "America/New_York", "Pacific/Kiritimati", "Asia/Almaty", "UTC"]
)
def test_no_stored_date_breaks_a_message(published: datetime, tz: str) -> None:
    """Dates already stored (before this check existed) render as the time first seen,
    in every time zone, in alerts and digests."""
    seen = datetime(2026, 11, 21, 5, 0, tzinfo=UTC)
    match = Match("sarsenov", "person", "Aibek Sarsenov", 0, 14, 1.0, "full name",
                  "Aibek Sarsenov sentenced", (0, 14))  # fmt: skip
    item = DeliveryItem(1, True, "Vesti", "Aibek Sarsenov sentenced", "https://v.test/1",
                        published, seen, (match,))  # fmt: skip
    local = seen.astimezone(ZoneInfo(tz)).strftime("%d %b %Y %H:%M")
    alert = render_alert(item, ZoneInfo(tz), str).html  # a fresh alert shows the time only
    assert seen.astimezone(ZoneInfo(tz)).strftime("%H:%M") in alert
    assert f"{published.year} " not in alert and f"{published:%d %b}" not in alert
    [digest] = render_digest([item, item], ZoneInfo(tz), str, seen + timedelta(hours=1))
    assert local in digest.html


async def test_atom_relative_links_without_xml_base(
    tmp_path: Path, outlet_server: OutletServer
) -> None:
    """With no xml:base, Atom links resolve against the feed's own URL."""
    body = ATOM_BASE.replace(' xml:base="https://mirror.vesti.test/kk/"', "")
    outlet_server.canned["/feeds/kk.atom"] = Canned(body=body.encode())
    db = make_db(tmp_path, outlet_server, "feeds/kk.atom")
    await poll_all(db, NOW)
    assert f'<a href="{outlet_server.base_url}/feeds/articles/101">' in alerts(db)[0]
