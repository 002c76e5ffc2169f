"""Bot commands against the fake Bot API: the real python-telegram-bot Application,
long polling on 127.0.0.1, admins answered, strangers refused once."""

import asyncio
import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot import services
from bot.app import build_app
from bot.commands import build_commands, serve_commands
from bot.context import App
from bot.settings import load_settings
from core.research import Verdict
from feeds.localserver import serve
from storage import replicas
from storage.evidence import add_page_snapshot
from tests.conftest import TOKEN
from tests.telegram_server import BOT_USER, FakeTelegram

pytestmark = pytest.mark.slow

ADMIN = 111
STRANGER = 666
GROUP = -1005550000001
WATCHLIST = """
defendants:
  - {id: orazbek, name: Dauren Orazbek}
  - {id: semirova, name: Lyazzat Semirova}
cases:
  - {id: salt-lake, name: Salt Lake affair}
keywords:
  - {id: verdict, terms: [verdict], urgent: true}
"""
START = datetime(2026, 10, 1, 6, 0, tzinfo=UTC)
MARKERS = itertools.count()


def rss(items: list[tuple[str, str, datetime]]) -> str:
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        f"<pubDate>{when:%a, %d %b %Y %H:%M:%S +0000}</pubDate>"
        f"<description>{title}.</description></item>"
        for title, link, when in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{body}</channel></rss>'
    )


HEARINGS = [
    (
        f"Dauren Orazbek hearing, day {n}: witness number {n} &amp; the prosecutor "
        + "speak at length " * 8,
        f"https://steppe.test/orazbek/day-{n}",
        START + timedelta(days=n),
    )
    for n in range(1, 26)
]
VERDICT = (
    "Verdict for Lyazzat Semirova in the Salt Lake affair",
    "https://steppe.test/semirova-verdict?utm_source=rss",
    START + timedelta(days=30),
)


@pytest.fixture
async def app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, telegram: FakeTelegram
) -> AsyncIterator[App]:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "steppe.xml").write_text(rss([*HEARINGS, VERDICT]), encoding="utf-8")
    config = tmp_path / "config"
    config.mkdir()
    (config / "watchlist.yaml").write_text(WATCHLIST, encoding="utf-8")
    with serve(feeds) as server:
        (config / "feeds.yaml").write_text(
            f"feeds:\n  - {{id: steppe, name: Steppe News, url: '{server.url('steppe.xml')}', "
            "lang: en}\n",
            encoding="utf-8",
        )
        monkeypatch.setenv("TRIALWATCH_CONFIG_DIR", str(config))
        monkeypatch.setenv("TRIALWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'tw.db'}")
        monkeypatch.setenv("TRIALWATCH_TELEGRAM_TOKEN", TOKEN)
        monkeypatch.setenv("TRIALWATCH_TELEGRAM_CHAT", telegram.chat_id)
        monkeypatch.setenv("TRIALWATCH_TELEGRAM_API", telegram.base_url)
        monkeypatch.setenv("TRIALWATCH_ADMINS", str(ADMIN))
        async with build_app(load_settings()) as app:
            await services.poll(app, datetime.now(UTC), every_outlet=True)
            yield app


@pytest.fixture
async def bot(app: App, telegram: FakeTelegram) -> AsyncIterator[FakeTelegram]:
    """The commands served by long polling until the test ends."""
    application = build_commands(app, TOKEN, telegram.base_url, frozenset({ADMIN}))
    stop = asyncio.Event()
    task = asyncio.create_task(serve_commands(application, stop))
    await until(lambda: any(m == "getupdates" for m, _ in telegram.calls))
    yield telegram
    stop.set()
    await asyncio.wait_for(task, 10)


async def until(condition: Any, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def ask(telegram: FakeTelegram, text: str, **where: Any) -> list[dict[str, Any]]:
    """Send a command and collect the replies; an admin's /test with a marker after it
    shows when they are complete (updates are handled in order)."""
    before = len(telegram.sent)
    telegram.command(text, **where)
    marker = f"end-of-replies-{next(MARKERS)}"
    telegram.command(f"/test {marker}", user_id=ADMIN)
    await until(lambda: any(marker in m["text"] for m in telegram.sent[before:]))
    replies = telegram.sent[before:]
    return replies[: next(i for i, m in enumerate(replies) if marker in m["text"])]


async def text_of(telegram: FakeTelegram, command: str) -> str:
    sent = await ask(telegram, command, user_id=ADMIN)
    replies = [r for r in sent if str(r["chat_id"]) == str(ADMIN)]
    assert replies, f"no reply to {command}"
    return "\n".join(r["text"] for r in replies)


async def test_menu_registered_and_help(bot: FakeTelegram) -> None:
    """setMyCommands lists every command; /help describes them."""
    assert [c["command"] for c in bot.commands] == [
        "help",
        "status",
        "watchlist",
        "search",
        "case",
        "why",
        "test",
        "digest",
    ]
    help_text = await text_of(bot, "/start")
    assert "/case &lt;entry-id&gt; [page]" in help_text


async def test_status(bot: FakeTelegram) -> None:
    """/status: each outlet with its health and last success, the queue, the last cycle."""
    text = await text_of(bot, "/status")
    assert "<b>steppe</b> ok · last success" in text
    assert "Queued: default: 26" in text  # a first poll is backlog: all wait for the digest
    assert "Last poll cycle:" in text


async def test_status_lists_the_replicas(app: App, bot: FakeTelegram) -> None:
    """In replica mode /status ends with the replicas as `trialwatch status` lists them:
    host, pid, state (alive within the lease, silent past it), last heartbeat, tasks done."""
    now = datetime.now(UTC)
    for host, pid, beat_ago, done in (("node-a", 4242, 2, 37), ("node-b", 77, 300, 5)):
        replicas.register(app.engine, f"{host}:{pid}", host, pid, now - timedelta(hours=1))
        replicas.beat(
            app.engine, f"{host}:{pid}", now - timedelta(seconds=beat_ago), tasks_done=done
        )
    text = await text_of(bot, "/status")
    assert "<b>steppe</b> ok" in text  # the outlets first, as before
    table = text.split("<b>Replicas</b> (heartbeat in the last 24 h)\n<pre>")[1]
    rows = [line.split() for line in table.split("</pre>")[0].splitlines()]
    assert rows[0] == ["host", "pid", "state", "started", "last", "heartbeat", "tasks", "done"]
    assert [(r[0], r[1], r[2], r[-1]) for r in rows[1:]] == [
        ("node-a", "4242", "alive", "37"),
        ("node-b", "77", "silent", "5"),
    ]
    # the same rows as the command line's `trialwatch status`
    cli = services.status_text(app.engine, now, app.settings.tz, app.settings.lease)
    cli_rows = [line.split() for line in cli.split("replicas (heartbeat")[1].splitlines()[1:]]
    assert [(r[0], r[1], r[2], r[-1]) for r in cli_rows] == [
        (r[0], r[1], r[2], r[-1]) for r in rows
    ]


async def test_watchlist(bot: FakeTelegram) -> None:
    """/watchlist: ids, names and kinds."""
    text = await text_of(bot, "/watchlist")
    assert "orazbek · Dauren Orazbek · person" in text
    assert "salt-lake · Salt Lake affair · case" in text
    assert "verdict · verdict · keyword (urgent)" in text


async def test_search_by_name_in_another_spelling_and_by_words(bot: FakeTelegram) -> None:
    """/search finds articles about a watched name however it is spelt, and by words."""
    by_name = await text_of(bot, "/search Семирова")
    assert "semirova-verdict" in by_name and "Steppe News" in by_name
    by_words = await text_of(bot, "/search witness number 7")
    assert "day-7" in by_words and "day-8" not in by_words
    assert "nothing stored matches" in await text_of(bot, "/search zzyzx")


async def test_case_pages(bot: FakeTelegram) -> None:
    """A long /case timeline comes a page at a time, newest first, each reply valid and
    within Telegram's limit (the fake Bot API rejects anything else)."""
    first = await text_of(bot, "/case orazbek")
    assert "page 1 of 3" in first and "Older: /case orazbek 2" in first
    assert first.index("day-25") < first.index("day-24")  # newest first
    assert "26 Oct 2026" in first and "16 Oct 2026" not in first  # dated, one page
    last = await text_of(bot, "/case orazbek 3")
    assert "page 3 of 3" in last and "day-5" in last and 'day-1"' in last
    assert "Older" not in last
    assert "no page 4" in await text_of(bot, "/case orazbek 4")
    assert "No entry “nobody”" in await text_of(bot, "/case nobody")


async def test_why(bot: FakeTelegram) -> None:
    """/why <link>: entries, the words found, scores, reasons, and where it went; the link
    may carry tracking parameters or not."""
    text = await text_of(bot, "/why https://steppe.test/semirova-verdict")
    assert "Lyazzat Semirova" in text and "1.00 full name" in text
    assert "“Salt Lake affair”" in text and "“Verdict”" in text
    assert "→ default: digest, queued" in text  # a first poll's backlog is never an alert
    assert "No stored article" in await text_of(bot, "/why https://elsewhere.test/x")


async def test_test(bot: FakeTelegram) -> None:
    """/test <text>: what the watchlist finds, whether urgent, where it would go."""
    text = await text_of(bot, "/test The verdict for Dauren Orazbek is due")
    assert "Dauren Orazbek</b> (person)" in text and "Urgent: yes" in text
    assert "Would go to: default" in text
    assert "No match." in await text_of(bot, "/test nothing here")


async def test_digest(bot: FakeTelegram) -> None:
    """/digest sends the pending digest now and says how many went where."""
    text = await text_of(bot, "/digest")
    assert "default: 26 sent" in text
    assert any("day-25" in t for t in bot.texts_to(bot.chat_id))
    assert "nothing is pending" in await text_of(bot, "/digest")


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        ("/search", "Usage: /search &lt;name or words&gt;"),
        ("/case", "Usage: /case &lt;entry-id&gt; [page]"),
        ("/case orazbek two", "Usage: /case"),
        ("/case orazbek 0", "Usage: /case"),
        ("/why", "Usage: /why &lt;article link&gt;"),
        ("/test", "Usage: /test &lt;text&gt;"),
        ("/frobnicate", "Unknown command; /help lists them."),
    ],
)
async def test_bad_arguments_get_a_usage_line(bot: FakeTelegram, command: str, usage: str) -> None:
    """A missing or malformed argument gets one usage line, never an error."""
    assert (await text_of(bot, command)).startswith(usage)


async def test_strangers_get_one_refusal_and_no_data(bot: FakeTelegram) -> None:
    """A user not in TRIALWATCH_ADMINS gets one short refusal, then silence."""
    first = await ask(bot, "/status", user_id=STRANGER)
    assert [r["text"] for r in first] == ["This bot answers its administrators only."]
    for command in ("/status", "/case orazbek", "/digest", "/search Orazbek"):
        assert await ask(bot, command, user_id=STRANGER) == []
    assert not any("orazbek" in t.lower() for t in bot.texts_to(STRANGER))


async def test_group_status_addressed_to_the_bot(bot: FakeTelegram) -> None:
    """In a group, /status@botname answers an admin; a command for another bot is ignored."""
    replies = await ask(bot, f"/status@{BOT_USER['username']}", user_id=ADMIN, group=True)
    assert len(replies) == 1 and str(replies[0]["chat_id"]) == str(GROUP)
    assert "<b>steppe</b> ok" in replies[0]["text"]
    assert await ask(bot, "/status@other_bot", user_id=ADMIN, group=True) == []
    assert await ask(bot, "/status@other_bot", user_id=STRANGER, group=True) == []
    refused = await ask(bot, f"/status@{BOT_USER['username']}", user_id=STRANGER, group=True)
    assert [r["text"] for r in refused] == ["This bot answers its administrators only."]


async def test_updates_resume_after_telegram_was_down(
    app: App, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Telegram unreachable at start and again while polling: commands are answered
    once it is back, none lost."""
    monkeypatch.setattr("bot.commands.RESTART_AFTER", 0.2)
    telegram.down = True
    application = build_commands(app, TOKEN, telegram.base_url, frozenset({ADMIN}))
    stop = asyncio.Event()
    task = asyncio.create_task(serve_commands(application, stop))
    await until(lambda: sum(m == "getme" for m, _ in telegram.calls) >= 2)
    telegram.down = False
    await until(lambda: any(m == "getupdates" for m, _ in telegram.calls))
    telegram.down = True
    telegram.command("/watchlist", user_id=ADMIN)
    await asyncio.sleep(0.5)
    telegram.down = False
    await until(lambda: any("Watchlist" in t for t in telegram.texts_to(ADMIN)), seconds=15)
    stop.set()
    await asyncio.wait_for(task, 10)


async def test_case_shows_what_the_articles_pages_went_through(app: App, bot: FakeTelegram) -> None:
    """/case lists, under an article, its page's evidence changes: edited (hash before →
    after) and taken down, with dates."""
    first, edited = "0123abcd" + "0" * 56, "4567cdef" + "0" * 56
    with app.engine.begin() as connection:
        article_id = connection.execute(
            text("SELECT id FROM article WHERE url = 'https://steppe.test/orazbek/day-25'")
        ).scalar_one()
        checks = [
            Verdict("first", 200, sha256=first, text="a"),
            Verdict("changed", 200, sha256=edited, text="b", diff="-a\n+b", notable=True),
            Verdict("gone", 410, notable=True),
        ]
        for stage, verdict in enumerate(checks):
            at = datetime(2026, 11, 2 + stage, 10, 40, tzinfo=UTC)
            add_page_snapshot(connection, article_id, stage, verdict, at)
    reply = await text_of(bot, "/case orazbek")
    day25 = reply[reply.index("day-25") : reply.index("day-24")]
    assert "✎ edited 03 Nov 2026 15:40 · sha256 0123abcd → 4567cdef" in day25  # Almaty time
    assert "✎ taken down 04 Nov 2026 15:40 (HTTP 410) · last sha256 4567cdef" in day25
    assert "✎" not in reply[reply.index("day-24") :]
