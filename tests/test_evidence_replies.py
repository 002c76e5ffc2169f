"""Change notices reach each destination as a reply to the article's alert there, against
the fake Bot API: the message id Telegram gave the alert is kept in the outbox and the
notice replies to it; an article sent in a digest gets a notice of its own; a notice
waits while its article is still queued; an alert deleted meanwhile does not keep the
notice out. Real databases, real pages on 127.0.0.1."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.app import build_app
from bot.cli import main
from bot.context import App
from bot.research.notices import NoticeFacts, Telling, how_to_tell, render_notice
from bot.services import check_evidence, due_digests, poll
from bot.settings import load_settings
from core.research import Original, Verdict
from feeds.localserver import serve
from feeds.pages import PageFetcher
from tests.conftest import TOKEN
from tests.telegram_server import FakeTelegram

pytestmark = pytest.mark.slow

DESK, TOPIC = -1005550000002, 7
ALMATY = ZoneInfo("Asia/Almaty")
WATCHLIST = """
defendants:
  - {id: semirova, name: Lyazzat Semirova}
cases:
  - {id: salt-lake, name: Salt Lake affair}
keywords:
  - {id: verdict, terms: [verdict], urgent: true}
"""
VERDICT = "Verdict for Lyazzat Semirova in the Salt Lake affair"
WITNESSES = "Salt Lake affair: witnesses questioned"


def rss(items: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{t}.</description></item>"
        for t, link in items
    )
    channel = f"<channel><title>s</title>{body}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


def page(title: str, sentence: str) -> str:
    """An article page with enough text for the extractor."""
    paragraphs = "".join(f"<p>{sentence} Paragraph {i} of the report.</p>" for i in range(4))
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body><main><article>"
        f"<h1>{title}</h1>{paragraphs}</article></main></body></html>"
    )


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 1, hour, minute, tzinfo=ALMATY).astimezone(UTC)


@dataclass
class World:
    app: App
    site: Path  # the outlet's web root: edit or delete its pages


@pytest.fixture
async def world(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    telegram: FakeTelegram,
    database_url: str,
) -> AsyncIterator[World]:
    """Two destinations (the channel; a desk's forum topic for the Salt Lake case), an
    outlet whose verdict article is urgent and whose witnesses article waits for digests."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (site / "feed.xml").write_text(rss([]), encoding="utf-8")
    (site / "verdict.html").write_text(page(VERDICT, "The court sentenced Semirova to five years."))
    (site / "witnesses.html").write_text(page(WITNESSES, "Two witnesses spoke in court today."))
    config = tmp_path / "config"
    config.mkdir()
    (config / "watchlist.yaml").write_text(WATCHLIST, encoding="utf-8")
    (config / "destinations.yaml").write_text(
        f"""
destinations:
  - id: main
    chat: {telegram.chat_id}
    digest_at: "09:00"
  - id: desk
    chat: {DESK}
    topic: {TOPIC}
    filter: {{cases: [salt-lake]}}
    digest_at: "12:00"
""",
        encoding="utf-8",
    )
    telegram.add_chat(DESK, "supergroup", title="Salt Lake desk", topics=frozenset({TOPIC}))
    with serve(site) as server:
        (config / "feeds.yaml").write_text(
            f"feeds:\n  - {{id: steppe, name: Steppe, url: '{server.url('feed.xml')}', "
            "lang: en}\n",
            encoding="utf-8",
        )
        monkeypatch.setenv("TRIALWATCH_CONFIG_DIR", str(config))
        monkeypatch.setenv("TRIALWATCH_DATABASE_URL", database_url)
        monkeypatch.setenv("TRIALWATCH_TELEGRAM_TOKEN", TOKEN)
        monkeypatch.setenv("TRIALWATCH_TELEGRAM_API", telegram.base_url)
        async with build_app(load_settings()) as app:
            app.pages = PageFetcher(app.client, per_host=0.0)
            app.started_at = at(7)
            await poll(app, at(7), every_outlet=True)  # the first poll: no backlog
            items = [(VERDICT, "verdict.html"), (WITNESSES, "witnesses.html")]
            feed = rss([(title, server.url(name)) for title, name in items])
            (site / "feed.xml").write_text(feed, encoding="utf-8")
            await poll(app, at(8), every_outlet=True)  # the verdict: an alert to both
            yield World(app, site)


def message_id(telegram: FakeTelegram, chat: int | str, words: str) -> int:
    """The id the fake Bot API gave the one message in `chat` containing `words`."""
    [found] = [
        m["message_id"]
        for (c, _), m in telegram.messages.items()
        if c == str(chat) and words in m["text"]
    ]
    return int(found)


def sent_with(telegram: FakeTelegram, chat: int | str, start: str) -> list[dict[str, Any]]:
    return [
        m for m in telegram.sent if str(m["chat_id"]) == str(chat) and m["text"].startswith(start)
    ]


def rows(world: World, query: str) -> list[tuple[Any, ...]]:
    with world.app.engine.connect() as connection:
        return [tuple(r) for r in connection.execute(text(query))]


async def test_a_notice_replies_to_the_alert_in_each_destination(
    world: World, telegram: FakeTelegram, capsys: pytest.CaptureFixture[str]
) -> None:
    """The edited verdict: a reply to its alert in the channel and in the desk's topic,
    to the very message ids Telegram returned, which the outbox kept. The witnesses
    article, taken down, went in digests: its notice waits for each digest, then goes
    out on its own, quoting title and link and saying why. Nothing goes out twice."""
    main_alert = message_id(telegram, telegram.chat_id, VERDICT)
    desk_alert = message_id(telegram, DESK, VERDICT)
    assert sorted(rows(world, "SELECT destination, chat, topic, message_id FROM delivery "
                               "WHERE message_id IS NOT NULL")) == sorted(
        [("main", telegram.chat_id, None, main_alert), ("desk", str(DESK), TOPIC, desk_alert)]
    )  # fmt: skip

    await check_evidence(world.app, at(8, 1))  # the first look at both pages
    (world.site / "verdict.html").write_text(
        page(VERDICT, "The court sentenced Semirova to four years.")
    )
    (world.site / "witnesses.html").unlink()  # 404: taken down
    assert await check_evidence(world.app, at(9, 2)) == 2  # the digests have not gone out yet

    [to_main] = sent_with(telegram, telegram.chat_id, "Edited")
    [to_desk] = sent_with(telegram, DESK, "Edited")
    assert to_main["reply_parameters"]["message_id"] == main_alert
    assert to_desk["reply_parameters"]["message_id"] == desk_alert
    assert int(to_desk["message_thread_id"]) == TOPIC
    assert "four years" in to_main["text"] and "Not a reply" not in to_main["text"]
    replies = rows(world, "SELECT destination, how, reply_to FROM notice WHERE sent_at IS NOT NULL")
    assert sorted(replies) == [("desk", "reply", desk_alert), ("main", "reply", main_alert)]

    assert (await due_digests(world.app, at(9, 3))).sent == {"main": 1}
    assert await check_evidence(world.app, at(9, 4)) == 1
    [taken_down] = sent_with(telegram, telegram.chat_id, "Taken down (404)")
    assert "reply_parameters" not in taken_down
    assert "/witnesses.html" in taken_down["text"] and "went out in a digest" in taken_down["text"]
    assert sent_with(telegram, DESK, "Taken down") == []  # its digest is at noon

    assert (await due_digests(world.app, at(12, 1))).sent == {"desk": 1}
    assert await check_evidence(world.app, at(12, 2)) == 1
    [in_topic] = sent_with(telegram, DESK, "Taken down (404)")
    assert int(in_topic["message_thread_id"]) == TOPIC
    assert await check_evidence(world.app, at(12, 30)) == 0
    assert rows(world, "SELECT count(*) FROM notice WHERE sent_at IS NULL") == [(0,)]
    assert rows(world, "SELECT count(*) FROM snapshot WHERE notable AND told_at IS NULL") == [(0,)]

    [(verdict_url,), (witnesses_url,)] = rows(world, "SELECT url FROM article ORDER BY id")
    assert main(["evidence", verdict_url]) == 0
    trail = capsys.readouterr().out
    assert f"told main 2026-12-01 04:02Z: reply to message {main_alert}" in trail
    assert f"told desk 2026-12-01 04:02Z: reply to message {desk_alert}" in trail
    assert main(["evidence", witnesses_url]) == 0
    trail = capsys.readouterr().out
    assert "told main 2026-12-01 04:04Z: on its own (the article went out in a digest)" in trail


async def test_an_alert_deleted_meanwhile_does_not_keep_the_notice_out(
    world: World, telegram: FakeTelegram
) -> None:
    """Someone deleted the alert in the channel: Telegram would refuse the reply ("message
    to be replied not found"); the notice asks to go out anyway, and does, once."""
    main_alert = message_id(telegram, telegram.chat_id, VERDICT)
    desk_alert = message_id(telegram, DESK, VERDICT)
    await check_evidence(world.app, at(8, 1))
    telegram.delete(telegram.chat_id, main_alert)
    (world.site / "verdict.html").write_text(
        page(VERDICT, "The court sentenced Semirova to four years.")
    )
    assert await check_evidence(world.app, at(9, 2)) == 2
    [to_main] = sent_with(telegram, telegram.chat_id, "Edited")
    assert to_main["reply_parameters"] == {
        "message_id": main_alert,
        "allow_sending_without_reply": True,
    }
    notices = rows(world, "SELECT destination, how, reply_to FROM notice ORDER BY destination")
    assert notices == [("desk", "reply", desk_alert), ("main", "deleted", None)]
    assert await check_evidence(world.app, at(9, 30)) == 0
    assert len(sent_with(telegram, telegram.chat_id, "Edited")) == 1


SENT = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("original", "telling"),
    [
        (Original(True, SENT, False, "-100", None, 17), Telling("reply", 17)),
        (Original(True, SENT, False, "-100", 7, 17), Telling("elsewhere")),  # now a topic
        (Original(True, SENT, False, "-200", None, 17), Telling("elsewhere")),
        (Original(True, SENT, False, None, None, None), Telling("unknown")),
        (Original(False, SENT, False, "-100", None, 18), Telling("digest")),
        (Original(True, None, True, None, None, None), Telling("unsent")),
        (None, Telling("unsent")),
        (Original(False, None, False, None, None, None), None),
    ],
    ids=["alert", "topic changed", "chat changed", "sent before ids were kept", "digest",
         "set aside", "never queued there", "still queued: wait"],
)  # fmt: skip
def test_how_to_tell(original: Original | None, telling: Telling | None) -> None:
    """A reply only to an alert in the chat and topic the destination posts to now."""
    assert how_to_tell(original, "-100", None) == telling


def test_a_notice_on_its_own_says_why() -> None:
    facts = NoticeFacts("T <1>", "https://b.test/1?a=1&b=2", Verdict("gone", 410, notable=True))
    assert (
        render_notice(facts)
        == 'Taken down (410): <a href="https://b.test/1?a=1&amp;b=2">T &lt;1&gt;</a>'
    )
    alone = render_notice(facts, "unknown")
    assert alone.splitlines()[1:] == [
        "https://b.test/1?a=1&amp;b=2",
        "<i>Not a reply: the alert's Telegram message id is not known.</i>",
    ]
