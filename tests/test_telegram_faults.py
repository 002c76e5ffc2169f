"""Telegram refuses, floods or fails: nothing is dropped, nothing is sent twice,
and the queue goes out oldest first once Telegram accepts again. Real
python-telegram-bot against the fake Bot API on 127.0.0.1."""

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from bot.deliver import Sent, send_digest, send_urgent
from bot.notify import TelegramNotifier, make_bot
from bot.services import sync_outlets
from core.records import ArticleIntent, Match, OutletConfig, OutletUpdate, ParsedArticle
from storage import articles, outbox
from storage.db import init_db, make_engine
from tests.conftest import TOKEN
from tests.telegram_server import FakeTelegram, Fault

pytestmark = pytest.mark.slow
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Almaty")


@pytest.fixture
def store(tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'tw.db'}")
    init_db(engine)
    sync_outlets(
        engine,
        [OutletConfig("o", "Outlet", "https://o.test/rss", "en")],
        timedelta(minutes=15),
        NOW,
    )
    yield engine
    engine.dispose()


@pytest.fixture
async def notifier(telegram: FakeTelegram) -> AsyncIterator[TelegramNotifier]:
    bot = make_bot(TOKEN, telegram.base_url, timeout=1.0)
    async with bot:
        yield TelegramNotifier(bot, int(telegram.chat_id), backoff=0.01)


def queue(store: Engine, titles: list[str], *, urgent: bool = True) -> None:
    intents = []
    for title in titles:
        article = ParsedArticle(
            f"https://o.test/{title}", f"https://o.test/{title}", None, title, "Body", None, NOW
        )
        match = Match("mamay", "person", "Mamay", 0, 5, 1.0, "full name", "Mamay spoke", (0, 5))
        intents.append(ArticleIntent(article, "en", (match,), urgent))
    articles.apply(store, OutletUpdate("o", NOW, NOW), intents)


async def urgent(store: Engine, notifier: TelegramNotifier) -> Sent:
    return await send_urgent(store, notifier, TZ, lambda e: e, NOW)


def titles(telegram: FakeTelegram) -> list[str]:
    return [next(t for t in ("A1", "A2", "A3", "A4") if t in text) for text in telegram.texts]


async def test_flood_control_waits_and_keeps_order(
    store: Engine, notifier: TelegramNotifier, telegram: FakeTelegram
) -> None:
    """A burst of 429s is waited out; every alert goes out once, in order."""
    queue(store, ["A1", "A2", "A3"])
    telegram.faults = [Fault(429, "Too Many Requests: retry after 1", retry_after=1)] * 2
    assert await urgent(store, notifier) == Sent(3)
    assert titles(telegram) == ["A1", "A2", "A3"]


async def test_server_errors_and_timeouts_are_retried(
    store: Engine, notifier: TelegramNotifier, telegram: FakeTelegram
) -> None:
    """A 502 and a timed-out request are retried; the alert arrives."""
    queue(store, ["A1"])
    telegram.faults = [Fault(502, "Bad Gateway"), Fault(200, "", delay=1.5)]
    result = await urgent(store, notifier)
    assert result == Sent(1)
    assert titles(telegram)[-1] == "A1"


async def test_unparsable_html_is_resent_as_plain_text(
    store: Engine, notifier: TelegramNotifier, telegram: FakeTelegram
) -> None:
    """If Telegram cannot parse our HTML, the same message goes out as plain text."""
    queue(store, ["A1"])
    telegram.faults = [Fault(400, "Bad Request: can't parse entities: Unsupported start tag")]
    assert await urgent(store, notifier) == Sent(1)
    assert telegram.sent[0].get("parse_mode") is None and "<b>" not in telegram.texts[0]


async def test_too_long_digest_goes_out_reduced(
    store: Engine, notifier: TelegramNotifier, telegram: FakeTelegram
) -> None:
    """'message is too long' sends the same digest reduced (plain text), every article
    in it once; no part of it is posted alone."""
    queue(store, ["A1", "A2", "A3", "A4"], urgent=False)
    telegram.faults = [Fault(400, "Bad Request: message is too long")]
    result = await send_digest(store, notifier, TZ, lambda e: e, NOW)
    assert result == Sent(4)
    assert len(telegram.sent) == 1 and telegram.sent[0].get("parse_mode") is None
    for title in ("A1", "A2", "A3", "A4"):
        assert telegram.texts[0].count(f"o.test/{title}") == 1


async def test_forbidden_keeps_everything_queued_then_sends_oldest_first(
    store: Engine, notifier: TelegramNotifier, telegram: FakeTelegram
) -> None:
    """When the bot may not post, nothing is marked sent and the error says what to do;
    once fixed, the queue goes out oldest first, each alert once."""
    queue(store, ["A1", "A2"])
    telegram.faults = [Fault(403, "Forbidden: bot is not a member of the channel chat")]
    result = await urgent(store, notifier)
    sent, error = result.count, result.error
    assert sent == 0 and telegram.sent == []
    assert "administrator of the channel" in str(error) and telegram.chat_id in str(error)
    assert len(outbox.pending(store, urgent=True)) == 2
    queue(store, ["A3"])
    assert await urgent(store, notifier) == Sent(3)
    assert await urgent(store, notifier) == Sent(0)
    assert titles(telegram) == ["A1", "A2", "A3"]


async def test_chat_not_found(
    store: Engine, notifier: TelegramNotifier, telegram: FakeTelegram
) -> None:
    """A wrong chat id is reported with the variable to fix."""
    queue(store, ["A1"])
    notifier.chat_id = -100999
    result = await urgent(store, notifier)
    sent, error = result.count, result.error
    assert sent == 0 and "TRIALWATCH_TELEGRAM_CHAT (-100999)" in str(error)


async def test_group_migrated_to_supergroup(
    store: Engine, notifier: TelegramNotifier, telegram: FakeTelegram
) -> None:
    """A chat that became a supergroup keeps the queue and names the new id to set."""
    queue(store, ["A1"])
    telegram.faults = [
        Fault(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            migrate_to=-1009876543210,
        )
    ]
    result = await urgent(store, notifier)
    sent, error = result.count, result.error
    assert sent == 0 and "set TRIALWATCH_TELEGRAM_CHAT=-1009876543210" in str(error)
    assert len(outbox.pending(store, urgent=True)) == 1
