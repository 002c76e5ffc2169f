"""Several destinations against the fake Bot API: each gets what its filter lets through,
once; a forum topic gets its messages in the topic; quiet hours hold the digest; one
destination refusing never holds the others back."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import build_app
from bot.context import App
from bot.services import DigestReport, digest, due_digests, poll, send_alerts, status_view
from bot.settings import load_settings
from feeds.localserver import serve
from tests.conftest import TOKEN
from tests.telegram_server import FakeTelegram, Fault

pytestmark = pytest.mark.slow

DESK = -1005550000002
TOPIC = 7
ALMATY = ZoneInfo("Asia/Almaty")
WATCHLIST = """
defendants:
  - {id: orazbek, name: Dauren Orazbek}
  - {id: semirova, name: Lyazzat Semirova}
cases:
  - {id: salt-lake, name: Salt Lake affair}
keywords:
  - {id: verdict, terms: [verdict], urgent: true}
"""
NEWS = ("Weather: snow in the steppe", "https://steppe.test/weather")  # matches nothing
ITEMS = [
    ("Dauren Orazbek appeal heard", "https://steppe.test/orazbek-appeal"),
    ("Salt Lake affair: witnesses questioned", "https://steppe.test/salt-lake-witnesses"),
    ("Verdict for Lyazzat Semirova in the Salt Lake affair", "https://steppe.test/verdict"),
]


def rss(items: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{t}.</description></item>"
        for t, link in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>s</title>{body}</channel></rss>'
    )


def destinations_yaml(main_chat: str) -> str:
    return f"""
destinations:
  - id: main
    chat: {main_chat}
    digest_at: "09:00"
  - id: desk
    chat: {DESK}
    topic: {TOPIC}
    filter:
      cases: [salt-lake]
    digest_at: "09:00"
    quiet: "08:00-12:00"
"""


def at(hour: int) -> datetime:
    """A moment given in Almaty time, as UTC (what the app stores)."""
    return datetime(2026, 12, 1, hour, 0, tzinfo=ALMATY).astimezone(UTC)


@pytest.fixture
async def app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, telegram: FakeTelegram
) -> AsyncIterator[App]:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "steppe.xml").write_text(rss([NEWS]), encoding="utf-8")
    config = tmp_path / "config"
    config.mkdir()
    (config / "watchlist.yaml").write_text(WATCHLIST, encoding="utf-8")
    (config / "destinations.yaml").write_text(destinations_yaml(telegram.chat_id), "utf-8")
    telegram.add_chat(DESK, "supergroup", title="Salt Lake desk", topics=frozenset({TOPIC}))
    with serve(feeds) as server:
        (config / "feeds.yaml").write_text(
            f"feeds:\n  - {{id: steppe, name: Steppe, url: '{server.url('steppe.xml')}', "
            "lang: en}\n",
            encoding="utf-8",
        )
        monkeypatch.setenv("TRIALWATCH_CONFIG_DIR", str(config))
        monkeypatch.setenv("TRIALWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'tw.db'}")
        monkeypatch.setenv("TRIALWATCH_TELEGRAM_TOKEN", TOKEN)
        monkeypatch.setenv("TRIALWATCH_TELEGRAM_API", telegram.base_url)
        async with build_app(load_settings()) as app:
            app.started_at = at(8) - timedelta(minutes=30)
            await poll(app, at(7), every_outlet=True)  # the outlet's first poll: no backlog
            (feeds / "steppe.xml").write_text(rss([NEWS, *ITEMS]), encoding="utf-8")
            yield app


def count(texts: list[str], words: str) -> int:
    return sum(words in t for t in texts)


async def test_filters_topics_and_quiet_hours(app: App, telegram: FakeTelegram) -> None:
    """The verdict goes to both as an alert (urgent ignores quiet hours); at 09:00 the
    main channel gets its digest and the desk, quiet until 12:00, gets its own then,
    in its forum topic, with only the Salt Lake articles; each article once per place."""
    await poll(app, at(8), every_outlet=True)
    main = lambda: telegram.texts_to(telegram.chat_id)  # noqa: E731
    desk = lambda: telegram.texts_to(DESK, TOPIC)  # noqa: E731
    assert count(main(), "Verdict for Lyazzat Semirova") == 1
    assert count(desk(), "Verdict for Lyazzat Semirova") == 1
    assert all(m.get("message_thread_id") == TOPIC for m in telegram.sent if m["chat_id"] == DESK)

    assert await due_digests(app, at(9)) == DigestReport({"main": 2}, {})
    assert count(main(), "Dauren Orazbek appeal") == 1 and count(main(), "witnesses") == 1
    assert count(desk(), "witnesses") == 0  # quiet: held

    assert await due_digests(app, at(11)) == DigestReport({}, {})
    assert await due_digests(app, at(12)) == DigestReport({"desk": 1}, {})
    assert count(desk(), "witnesses") == 1
    assert count(desk(), "Orazbek") == 0  # not the desk's case
    assert await due_digests(app, at(13)) == DigestReport({}, {})
    await send_alerts(app, at(13))
    assert len(telegram.sent) == 4  # main: alert + digest; desk: alert + digest


async def test_one_destination_refusing_does_not_hold_the_other(
    app: App, telegram: FakeTelegram
) -> None:
    """The desk refuses (403): the main channel still gets everything; the desk's
    messages stay queued and go out once, when it accepts again."""
    telegram.refusing[str(DESK)] = Fault(403, "Forbidden: bot is not a member of the chat")
    await poll(app, at(8), every_outlet=True)
    assert await due_digests(app, at(9)) == DigestReport({"main": 2}, {})
    report = await due_digests(app, at(12))
    refused = report.refused["desk"]
    assert report.sent == {} and "Forbidden" in refused and "destinations.yaml" in refused
    assert count(telegram.texts_to(telegram.chat_id), "Verdict") == 1
    assert telegram.texts_to(DESK) == []
    assert status_view(app, at(12)).queued == {"desk": 2}

    del telegram.refusing[str(DESK)]
    await send_alerts(app, at(13))
    assert count(telegram.texts_to(DESK, TOPIC), "Verdict") == 1
    assert (await digest(app, at(13))).sent == {"desk": 1}
    await send_alerts(app, at(14))
    assert await digest(app, at(14)) == DigestReport({}, {})
    assert count(telegram.texts, "Verdict for Lyazzat Semirova") == 2  # once per destination
    assert status_view(app, at(14)).queued == {}


async def test_digest_asked_twice_at_once_goes_out_once(app: App, telegram: FakeTelegram) -> None:
    """/digest while the digest job is sending: each article still reaches a place once."""
    await poll(app, at(8), every_outlet=True)
    await asyncio.gather(*(digest(app, at(12)) for _ in range(3)))
    assert count(telegram.texts_to(telegram.chat_id), "Dauren Orazbek appeal") == 1
    assert count(telegram.texts_to(DESK, TOPIC), "witnesses") == 1
