"""`trialwatch run` as a real process: clean SIGTERM, no token in any output, and
SIGKILL at random moments without losing or (beyond the unavoidable) repeating alerts."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from feeds.localserver import serve
from tests.conftest import TOKEN
from tests.telegram_server import FakeTelegram, Fault

pytestmark = pytest.mark.slow

WATCHLIST = """
defendants:
  - id: mamay
    name: Zhanbolat Mamay
keywords:
  - id: verdict
    terms: [verdict]
    urgent: true
"""


def feed(items: range, outlet: str) -> str:
    entries = "".join(
        f"<item><title>Verdict for Zhanbolat Mamay, case {outlet}-{n}</title>"
        f"<link>https://{outlet}.test/item-{n}</link>"
        f"<description>The court read the verdict ({outlet}-{n}).</description></item>"
        for n in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{outlet}</title>'
        f"{entries}</channel></rss>"
    )


@pytest.fixture
def env(tmp_path: Path, telegram: FakeTelegram) -> Iterator[dict[str, str]]:
    feeds_dir = tmp_path / "feeds"
    feeds_dir.mkdir()
    for outlet in ("a", "b", "c"):
        (feeds_dir / f"{outlet}.xml").write_text(feed(range(0), outlet), encoding="utf-8")
    with serve(feeds_dir) as server:
        config = tmp_path / "config"
        config.mkdir()
        (config / "feeds.yaml").write_text(
            "feeds:\n"
            + "".join(
                f"  - {{id: {o}, name: Outlet {o}, url: '{server.url(o + '.xml')}', lang: en, "
                f"every: 30s}}\n"
                for o in ("a", "b", "c")
            ),
            encoding="utf-8",
        )
        (config / "watchlist.yaml").write_text(WATCHLIST, encoding="utf-8")
        yield {
            **os.environ,
            "TRIALWATCH_CONFIG_DIR": str(config),
            "TRIALWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'tw.db'}",
            "TRIALWATCH_TELEGRAM_TOKEN": TOKEN,
            "TRIALWATCH_TELEGRAM_CHAT": telegram.chat_id,
            "TRIALWATCH_TELEGRAM_API": telegram.base_url,
            "TRIALWATCH_POLL_EVERY": "1s",
            "FEEDS_DIR": str(feeds_dir),
            "DB_PATH": str(tmp_path / "tw.db"),
        }


def start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_for(condition, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_sigterm_stops_cleanly(env: dict[str, str], tmp_path: Path, telegram: FakeTelegram) -> None:
    """SIGTERM ends the monitor within a few seconds, exit status 0."""
    log = tmp_path / "out.log"
    feeds_yaml = Path(env["TRIALWATCH_CONFIG_DIR"], "feeds.yaml")  # poll every second
    feeds_yaml.write_text(feeds_yaml.read_text().replace(", every: 30s", ""), encoding="utf-8")
    process = start(env, log, "run")
    # News after the outlets' first poll (what that poll finds is backlog, not alerts).
    assert wait_for(lambda: log.exists() and "a: 0 items" in log.read_text(), 30)
    Path(env["FEEDS_DIR"], "a.xml").write_text(feed(range(2), "a"), encoding="utf-8")
    assert wait_for(lambda: len(telegram.sent) >= 2, 30), log.read_text()
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    assert process.wait(timeout=10) == 0
    assert time.monotonic() - started < 5
    assert "stopping" in (tmp_path / "out.log").read_text()


def test_token_never_appears_in_output(
    env: dict[str, str], tmp_path: Path, telegram: FakeTelegram
) -> None:
    """A full run, with errors and verbose logging, never prints the bot token."""
    Path(env["FEEDS_DIR"], "a.xml").write_text(feed(range(3), "a"), encoding="utf-8")
    log = tmp_path / "out.log"
    telegram.faults = [Fault(502, "Bad Gateway"), Fault(403, "Forbidden: bot was kicked")]
    for args in (
        ["-v", "run", "--once"],
        ["-v", "digest"],
        ["-v", "run", "--once"],
        ["status"],
        ["check"],
        ["health"],
    ):
        start(env, log, *args).wait(timeout=60)
    broken = {**env, "TRIALWATCH_TELEGRAM_API": "http://127.0.0.1:9"}  # nothing listens
    start(broken, log, "-v", "digest").wait(timeout=60)
    output = log.read_text()
    assert "Telegram refused" in output  # the errors were really exercised
    assert TOKEN not in output and TOKEN.split(":")[1] not in output


def test_sigkill_at_random_moments(
    env: dict[str, str], tmp_path: Path, telegram: FakeTelegram
) -> None:
    """30+ kills during fetch, store and send: every article is delivered, duplicates are
    at most one per kill, and the database passes an integrity check."""
    rng = random.Random(7)
    log = tmp_path / "out.log"
    feeds_dir = Path(env["FEEDS_DIR"])
    counts = {"a": 0, "b": 0, "c": 0}
    kills = 0
    start(env, log, "run", "--once").wait(timeout=60)  # the first poll: every item after it is news
    for _ in range(32):
        for outlet in counts:  # new items appear between runs and during them
            counts[outlet] += rng.randint(0, 1)
            (feeds_dir / f"{outlet}.xml").write_text(
                feed(range(counts[outlet]), outlet), encoding="utf-8"
            )
        process = start(env, log, "run")
        time.sleep(rng.uniform(0.4, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
    expected = {f'{o}.test/item-{n}"' for o, count in counts.items() for n in range(count)}

    def per_article() -> dict[str, int]:  # messages that link each article
        return {k: sum(1 for text in telegram.texts if k in text) for k in expected}

    process = start(env, log, "run")
    # Telegram allows ~20 posts a minute to a channel: the backlog may take a while.
    wait_for(lambda: all(per_article().values()), 180)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=10)
    sent = per_article()
    duplicates = sum(n - 1 for n in sent.values() if n > 1)
    missing = sorted(k for k, n in sent.items() if n == 0)
    integrity = sqlite3.connect(env["DB_PATH"]).execute("PRAGMA integrity_check").fetchone()[0]
    report = (
        f"crash test: {kills} kills, {len(expected)} expected, "
        f"{len(expected) - len(missing)} delivered, {duplicates} duplicates, "
        f"integrity {integrity}"
    )
    print(report)
    (tmp_path.parent / "crash-report.txt").write_text(report, encoding="utf-8")
    assert kills >= 30 and len(expected) >= 30
    assert missing == [], f"{report}\n{log.read_text()[-3000:]}"
    assert duplicates <= kills, report
    assert integrity == "ok"
