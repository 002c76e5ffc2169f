"""A queue that never jams (issue 8, kind 6): a message Telegram refuses goes out
reduced, or is set aside with a report to the admin chat; later alerts never wait
behind it, and nothing is posted as a header without its content. Real
python-telegram-bot against the fake Bot API on 127.0.0.1."""

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from bot.cli import main
from bot.deliver import send_urgent
from bot.notify import TelegramNotifier, make_bot
from bot.services import sync_outlets
from core.records import ArticleIntent, Match, OutletConfig, OutletUpdate, ParsedArticle
from feeds.localserver import Canned, OutletServer
from storage import articles, outbox
from storage.db import init_db, make_engine
from tests.conftest import TOKEN
from tests.telegram_server import FakeTelegram, Fault

pytestmark = pytest.mark.slow
NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Almaty")
REFUSED = Fault(400, "Bad Request: wrong HTTP URL specified")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'tw.db'}")
    init_db(engine)
    sync_outlets(
        engine, [OutletConfig("vesti", "Vesti", "https://vesti.test/rss", "ru")], timedelta(1), NOW
    )
    yield engine
    engine.dispose()


@pytest.fixture
async def notifier(telegram: FakeTelegram) -> AsyncIterator[TelegramNotifier]:
    bot = make_bot(TOKEN, telegram.base_url, timeout=1.0)
    async with bot:
        yield TelegramNotifier(bot, int(telegram.chat_id), backoff=0.01)


def person(n: int) -> Match:
    name = f"Defendant {n:03d}"
    return Match(f"d{n:03d}", "person", name, 0, 13, 1.0, "full name", name, (0, 13))


def queue(db: Engine, titles: list[str], matches: tuple[Match, ...] = (person(0),)) -> None:
    intents = [
        ArticleIntent(
            ParsedArticle(
                f"https://vesti.test/{t}", f"https://vesti.test/{t}", None, t, "", None, NOW
            ),
            "ru",
            matches,
            True,
        )
        for t in titles
    ]
    articles.apply(db, OutletUpdate("vesti", NOW, NOW), intents)


async def test_refused_twice_is_set_aside_and_the_rest_goes_out(
    db: Engine, notifier: TelegramNotifier, telegram: FakeTelegram
) -> None:
    """A message refused as HTML and again as plain text is set aside; the alerts behind
    it go out now, and it is not tried again on every cycle."""
    queue(db, ["first-verdict", "second-verdict", "third-verdict"])
    telegram.faults = [REFUSED, REFUSED]
    sent = await send_urgent(db, notifier, TZ, str, NOW)
    assert sent.count == 2 and sent.error is None
    assert len(sent.set_aside) == 1 and "first-verdict" in str(sent.set_aside[0])
    assert [t for t in telegram.texts if "verdict" in t] == telegram.texts
    assert ["second" in telegram.texts[0], "third" in telegram.texts[1]] == [True, True]
    assert outbox.pending(db, urgent=True) == []
    again = await send_urgent(db, notifier, TZ, str, NOW)
    assert again.count == 0 and len(telegram.sent) == 2
    assert articles.counts(db).set_aside == 1 and articles.counts(db).queued == 0


async def test_refused_once_goes_out_reduced(
    db: Engine, notifier: TelegramNotifier, telegram: FakeTelegram
) -> None:
    """A message refused as HTML goes out as plain text with its title and link."""
    queue(db, ["only-verdict"])
    telegram.faults = [REFUSED]
    sent = await send_urgent(db, notifier, TZ, str, NOW)
    assert sent.count == 1 and not sent.set_aside
    [message] = telegram.sent
    assert message.get("parse_mode") is None
    assert (
        "only-verdict" in message["text"] and "https://vesti.test/only-verdict" in message["text"]
    )


async def test_alert_naming_150_people_goes_out_whole(
    db: Engine, notifier: TelegramNotifier, telegram: FakeTelegram
) -> None:
    """An article matching 150 watched people is one accepted HTML message with its
    content, and the urgent alert queued after it goes out too."""
    queue(db, ["mass-trial"], tuple(person(n) for n in range(150)))
    queue(db, ["next-verdict"])
    sent = await send_urgent(db, notifier, TZ, str, NOW)
    assert sent.count == 2 and sent.error is None
    assert all(m.get("parse_mode") == "HTML" for m in telegram.sent)
    assert "+ 140 more" in telegram.texts[0] and "next-verdict" in telegram.texts[1]
    assert all("(full name)" in text for text in telegram.texts)  # never a header alone


FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Vesti</title><link>https://vesti.test/</link>
<description>d</description>
<item><title>Суд огласил приговор Айбеку Сарсенову</title><link>https://vesti.test/1</link>
<guid>v-1</guid><description>Айбек Сарсенов приговорён.</description></item>
<item><title>Дана Жолдасова: приговор</title><link>https://vesti.test/2</link>
<guid>v-2</guid><description>Суд вынес приговор Дане Жолдасовой.</description></item>
</channel></rss>"""


def test_set_aside_is_reported_to_the_admin_chat(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    outlet_server: OutletServer,
    telegram: FakeTelegram,
) -> None:
    """`run --once`: the refused alert is reported to the admin chat, the other alert is
    posted, and the run succeeds."""
    config = tmp_path / "config"
    config.mkdir()
    (config / "feeds.yaml").write_text(
        f"feeds:\n  - {{id: vesti, name: Vesti, url: '{outlet_server.url('vesti.xml')}', "
        "lang: ru}\n",
        encoding="utf-8",
    )
    (config / "watchlist.yaml").write_text(
        (Path(__file__).parent / "data" / "realworld" / "watchlist.yaml").read_text("utf-8"),
        encoding="utf-8",
    )
    for name, value in {
        "CONFIG_DIR": str(config),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'tw.db'}",
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_CHAT": telegram.chat_id,
        "TELEGRAM_ADMIN_CHAT": telegram.chat_id,
        "TELEGRAM_API": telegram.base_url,
    }.items():
        monkeypatch.setenv(f"TRIALWATCH_{name}", value)
    empty = FEED[: FEED.index("<item>")] + "</channel></rss>"
    outlet_server.canned["/vesti.xml"] = Canned(body=empty.encode())
    assert main(["run", "--once"]) == 0  # the outlet's first poll (its backlog: none)
    outlet_server.canned["/vesti.xml"] = Canned(body=FEED.encode())
    telegram.faults = [REFUSED, REFUSED]
    assert main(["run", "--once"]) == 0
    texts = telegram.texts
    assert any("set aside" in t and "Сарсенов" in t for t in texts)
    assert any("Жолдасова" in t and t.startswith("🔴") for t in texts)
