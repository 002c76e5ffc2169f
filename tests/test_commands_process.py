"""`trialwatch run` with bot commands, as a real process: while Telegram is down, outlets
are still polled and stored; once it is back, the queued alert goes out and a command
sent meanwhile is answered."""

import signal
import sqlite3
from pathlib import Path

import pytest

from tests.telegram_server import FakeTelegram
from tests.test_process import env, feed, start, wait_for

pytestmark = pytest.mark.slow
ADMIN = 111
# An item that matches nothing: the outlet's first poll succeeds, so the verdict that
# comes next is news, not backlog (a first poll is never an alert).
UNRELATED = "<item><title>Snow in the steppe</title><link>https://a.test/snow</link></item>"

__all__ = ["env"]  # the fixture, shared with test_process


def stored_articles(db: str) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute("SELECT count(*) FROM article").fetchone()[0])


def test_polling_goes_on_while_telegram_is_down(
    env: dict[str, str], tmp_path: Path, telegram: FakeTelegram
) -> None:
    """Telegram down: feeds keep being polled and stored; back up: the alert is sent once
    and the /status sent during the outage is answered."""
    log = tmp_path / "out.log"
    a = Path(env["FEEDS_DIR"], "a.xml")
    a.write_text(a.read_text().replace("</channel>", UNRELATED + "</channel>"), encoding="utf-8")
    process = start({**env, "TRIALWATCH_ADMINS": str(ADMIN)}, log, "run")
    try:
        assert wait_for(lambda: telegram.commands != [], 30), log.read_text()
        telegram.down = True
        assert wait_for(lambda: stored_articles(env["DB_PATH"]) == 1, 30), log.read_text()
        a.write_text(
            feed(range(1), "a").replace("</channel>", UNRELATED + "</channel>"), encoding="utf-8"
        )
        telegram.command("/status", user_id=ADMIN)
        # the outlets are polled every 30 s
        assert wait_for(lambda: stored_articles(env["DB_PATH"]) == 2, 70), log.read_text()
        assert telegram.sent == []
        telegram.down = False
        assert wait_for(lambda: len(telegram.texts_to(env["TRIALWATCH_TELEGRAM_CHAT"])) == 1, 60)
        assert wait_for(lambda: any("trialwatch status" in t for t in telegram.texts_to(ADMIN)), 60)
        assert "a.test/item-0" in telegram.texts_to(env["TRIALWATCH_TELEGRAM_CHAT"])[0]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0, log.read_text()[-3000:]
