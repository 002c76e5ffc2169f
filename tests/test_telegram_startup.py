"""Telegram at start-up (issue 8, kind 7): a rejected token or an unreachable Bot API
is one clear line (never the token), polling and storing go on, and the queue goes
out once Telegram answers. `TRIALWATCH_TELEGRAM_API` takes the root or `…/bot`."""

import logging
import socket
from pathlib import Path

import pytest

from bot.cli import main
from feeds.localserver import Canned, OutletServer
from storage import articles
from storage.db import make_engine
from tests.conftest import TOKEN
from tests.telegram_server import FakeTelegram

pytestmark = pytest.mark.slow
WRONG = "7000000002:AAWrongTokenForTests_zyxwvutsrqponmlk"
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Vesti</title><link>https://vesti.test/</link>
<description>d</description>
<item><title>Суд огласил приговор Айбеку Сарсенову</title><link>https://vesti.test/1</link>
<guid>v-1</guid><description>Айбек Сарсенов приговорён.</description></item>
</channel></rss>"""


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outlet_server: OutletServer) -> str:
    """Config with one outlet carrying an urgent verdict; returns the database URL."""
    outlet_server.canned["/vesti.xml"] = Canned(body=FEED.encode())
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
    url = f"sqlite:///{tmp_path / 'tw.db'}"
    monkeypatch.setenv("TRIALWATCH_CONFIG_DIR", str(config))
    monkeypatch.setenv("TRIALWATCH_DATABASE_URL", url)
    return url


def telegram_env(monkeypatch: pytest.MonkeyPatch, token: str, api: str, chat: str) -> None:
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_TOKEN", token)
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_API", api)
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_CHAT", chat)


def queued(url: str) -> tuple[int, int]:
    engine = make_engine(url)
    counts = articles.counts(engine)
    engine.dispose()
    return counts.articles, counts.queued


def everything_printed(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> tuple[str, list[str]]:
    out = capsys.readouterr()
    return out.out + out.err + caplog.text, [r.getMessage() for r in caplog.records]


def test_rejected_token_is_one_line_and_polling_goes_on(
    setup: str,
    monkeypatch: pytest.MonkeyPatch,
    telegram: FakeTelegram,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A revoked token: one line naming TRIALWATCH_TELEGRAM_TOKEN and the fix, no
    traceback, the token nowhere; the verdict is stored and queued, and goes out once
    the token is fixed."""
    telegram_env(monkeypatch, WRONG, telegram.base_url, telegram.chat_id)
    with caplog.at_level(logging.INFO):
        assert main(["run", "--once"]) == 0
    printed, messages = everything_printed(capsys, caplog)
    assert WRONG not in printed and WRONG.partition(":")[2] not in printed
    assert "Traceback" not in printed and not any(r.exc_info for r in caplog.records)
    [line] = [m for m in messages if "TRIALWATCH_TELEGRAM_TOKEN" in m and "BotFather" in m]
    assert "\n" not in line
    assert queued(setup) == (1, 1) and telegram.sent == []

    telegram_env(monkeypatch, TOKEN, telegram.base_url, telegram.chat_id)
    assert main(["run", "--once"]) == 0
    assert main(["digest"]) == 0  # a first poll's verdict is backlog: it is in the digest
    assert len(telegram.sent) == 1 and "Сарсенову" in telegram.texts[0]
    assert queued(setup) == (1, 0)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_telegram_never_stops_polling(
    setup: str,
    monkeypatch: pytest.MonkeyPatch,
    telegram: FakeTelegram,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Telegram down at start: `run --once` polls, stores, queues and exits 0 with a
    warning; the queued article goes out when Telegram answers."""
    telegram_env(monkeypatch, TOKEN, f"http://127.0.0.1:{_closed_port()}", telegram.chat_id)
    with caplog.at_level(logging.INFO):
        assert main(["run", "--once"]) == 0
    printed, messages = everything_printed(capsys, caplog)
    assert "Traceback" not in printed and TOKEN.partition(":")[2] not in printed
    assert any("Telegram does not answer" in m and "queued" in m for m in messages)
    assert queued(setup) == (1, 1)

    telegram_env(monkeypatch, TOKEN, telegram.base_url, telegram.chat_id)
    assert main(["run", "--once"]) == 0
    assert main(["digest"]) == 0  # a first poll's verdict is backlog: it is in the digest
    assert len(telegram.sent) == 1 and queued(setup) == (1, 0)


@pytest.mark.parametrize("suffix", ["", "/", "/bot", "/bot/"])
def test_api_url_root_or_bot_form(
    setup: str, monkeypatch: pytest.MonkeyPatch, telegram: FakeTelegram, suffix: str
) -> None:
    """TRIALWATCH_TELEGRAM_API works as the server root and in python-telegram-bot's
    `…/bot` form."""
    telegram_env(monkeypatch, TOKEN, telegram.base_url + suffix, telegram.chat_id)
    assert main(["run", "--once"]) == 0
    assert main(["digest"]) == 0
    assert len(telegram.sent) == 1


def test_api_base_and_hide_token() -> None:
    """The two URL forms give one base; the token and its secret half are hidden."""
    from bot.notify import api_base, hide_token

    assert api_base("http://h:8081") == api_base("http://h:8081/bot/") == "http://h:8081/bot"
    hidden = hide_token(f"url /bot{WRONG}/getMe and {WRONG.partition(':')[2]}", WRONG)
    assert WRONG.partition(":")[2] not in hidden
