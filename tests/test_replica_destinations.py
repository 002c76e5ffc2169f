"""Two replicas on one PostgreSQL database sending to two destinations, each with its own
digest times (through its own time zone), against the fake Bot API.

Asserted: each destination receives each alert once and each article of its digest once;
its digests go out at its own times, once per time although both replicas' clocks find
them due. /status is answered once, by one replica, and lists both; when that replica
is killed, the other answers."""

import os
import re
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from feeds.localserver import serve
from storage.db import make_engine
from tests.conftest import TOKEN
from tests.telegram_server import FakeTelegram
from tests.test_replicas import start, wait_for

pytestmark = pytest.mark.slow

OUTLETS = 4
ADMIN = 111
EVERY = 3.0  # seconds between polls of one outlet
OTHER_CHAT = -1005550000042
WEST_ZONE = "Asia/Tokyo"  # UTC+9 all year: its digest clock reads nine hours ahead
NAMES = ["Arman Tulegenov", "Dana Bekmuratov", "Yerlan Sarsenbayev", "Saule Zhaksylykov"]
WATCHLIST = (
    "defendants:\n"
    + "".join(f"  - {{id: p{n}, name: '{name}'}}\n" for n, name in enumerate(NAMES))
    + "keywords:\n  - {id: sentenced, terms: [sentenced], urgent: true}\n"
)
ITEM_URL = re.compile(r"https://w(\d+)\.test/(urgent|quiet)-(\d+)")


def feed(outlet: int, urgent: bool) -> str:
    """A quiet item (the first poll's backlog: digest), and an urgent one once added."""
    name = NAMES[outlet]
    items = [(f"https://w{outlet}.test/quiet-0", f"{name} appeal hearing {outlet}")]
    if urgent:
        items.append((f"https://w{outlet}.test/urgent-1", f"{name} sentenced, case {outlet}"))
    body = "".join(
        f"<item><title>{t}</title><link>{u}</link><description>{t}.</description></item>"
        for u, t in items
    )
    channel = f"<channel><title>w{outlet}</title>{body}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


def test_two_destinations_each_message_once_digests_once_at_their_own_times(
    database_url: str, tmp_path: Path, telegram: FakeTelegram
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share a PostgreSQL database")
    telegram.add_chat(OTHER_CHAT, "channel", title="West desk")
    root = tmp_path / "feeds"
    root.mkdir()
    for n in range(OUTLETS):
        (root / f"w{n}.xml").write_text(feed(n, urgent=False), encoding="utf-8")
    config = tmp_path / "config"
    config.mkdir()
    (config / "watchlist.yaml").write_text(WATCHLIST, encoding="utf-8")
    (config / "destinations.yaml").write_text(
        "destinations:\n"
        f"  - {{id: east, chat: '{telegram.chat_id}'}}\n"
        f"  - {{id: west, chat: '{OTHER_CHAT}', timezone: {WEST_ZONE}}}\n",
        encoding="utf-8",
    )
    # The destinations take the default digest times, each in its own zone: east's come
    # every 8 s from now on; west's fall 4 s after each of east's (their clock times are
    # nine hours on, so each zone's other times lie nine hours off, outside the run).
    now = datetime.now(UTC).replace(microsecond=0)
    east_times = [now + timedelta(seconds=12 + 8 * k) for k in range(12)]
    west_times = [t + timedelta(seconds=4) for t in east_times]
    west_tz = ZoneInfo(WEST_ZONE)
    clock = [f"{t:%H:%M:%S}" for t in east_times]
    clock += [f"{t.astimezone(west_tz):%H:%M:%S}" for t in west_times]
    with serve(root, latency=0.1) as outlets:
        (config / "feeds.yaml").write_text(
            "feeds:\n"
            + "".join(
                f"  - {{id: w{n}, name: Wire {n}, url: '{outlets.url(f'w{n}.xml')}', lang: en}}\n"
                for n in range(OUTLETS)
            ),
            encoding="utf-8",
        )
        env = {
            **os.environ,
            "PYTHONPATH": str(Path(__file__).parent.parent),
            "TRIALWATCH_MODE": "replica",
            "TRIALWATCH_DATABASE_URL": database_url,
            "TRIALWATCH_CONFIG_DIR": str(config),
            "TRIALWATCH_TELEGRAM_TOKEN": TOKEN,
            "TRIALWATCH_TELEGRAM_CHAT": telegram.chat_id,
            "TRIALWATCH_TELEGRAM_API": telegram.base_url,
            "TRIALWATCH_TIMEZONE": "UTC",
            "TRIALWATCH_POLL_EVERY": f"{EVERY:.0f}s",
            "TRIALWATCH_DIGEST_AT": ",".join(clock),
            "TRIALWATCH_REPLICA_LEASE": "5s",
            "TRIALWATCH_REPLICA_CONCURRENCY": "4",
            "TRIALWATCH_ADMINS": str(ADMIN),
        }
        engine = make_engine(database_url)
        logs = [tmp_path / f"replica-{i}.log" for i in range(2)]
        replicas = [start(env, log) for log in logs]

        def polled_all() -> bool:
            try:
                with engine.connect() as connection:
                    query = text("SELECT count(*) FROM outlet WHERE last_success_at IS NOT NULL")
                    return bool(connection.execute(query).scalar_one() == OUTLETS)
            except Exception:
                return False  # the schema is not there yet

        def items(chat: int | str, digest: bool) -> list[tuple[str, int]]:
            return [
                (m[2], int(m[1]))
                for body in telegram.texts_to(chat)
                if ("trialwatch digest" in body) == digest
                for m in ITEM_URL.finditer(body)
            ]

        def status_replies() -> list[str]:
            """Ask /status; the replies that came within 30 s (and a moment more)."""
            before = len(telegram.texts_to(ADMIN))
            telegram.command("/status", user_id=ADMIN)
            wait_for(lambda: len(telegram.texts_to(ADMIN)) > before, 30)
            time.sleep(1.0)  # a second answer, if two replicas were polling, comes now
            return telegram.texts_to(ADMIN)[before:]

        backlog = {("quiet", n) for n in range(OUTLETS)}
        news = {("urgent", n) for n in range(OUTLETS)}
        chats = {"east": telegram.chat_id, "west": str(OTHER_CHAT)}
        try:
            assert wait_for(polled_all, 90), logs[0].read_text()[-3000:]
            for n in range(OUTLETS):
                (root / f"w{n}.xml").write_text(feed(n, urgent=True), encoding="utf-8")
            delivered = wait_for(
                lambda: all(
                    set(items(c, digest=False)) >= news and set(items(c, digest=True)) >= backlog
                    for c in chats.values()
                ),
                90,
            )
            # Two more digest times of each destination pass with both clocks running.
            time.sleep(17)
            # /status: one replica answers (one long poll of the bot's updates), listing both.
            first = status_replies()
            assert len(first) == 1, first
            table = first[0].split("<pre>")[1].split("</pre>")[0].splitlines()[1:]
            states = {int(row.split()[1]): row.split()[2] for row in table}
            assert states == {p.pid: "alive" for p in replicas}, table
            serving = [
                i for i, log in enumerate(logs) if "answers the bot's commands" in log.read_text()
            ]
            assert len(serving) == 1, serving
            replicas[serving[0]].send_signal(signal.SIGKILL)
            replicas[serving[0]].wait()
            second = status_replies()  # the other replica takes the commands over
            assert len(second) == 1, second
            assert str(replicas[1 - serving[0]].pid) in second[0]
        finally:
            for process in replicas:
                process.terminate()
            for process in replicas:
                process.wait(timeout=15)
        ended = datetime.now(UTC)
    output = "\n".join(log.read_text() for log in logs)
    assert delivered, output[-3000:]
    assert "Traceback" not in output, output[output.index("Traceback") - 500 :][:3000]

    with engine.connect() as connection:
        runs = connection.execute(
            text("SELECT destination, slot, sent FROM digest_run ORDER BY slot")
        ).all()
    engine.dispose()
    slots = {
        "east": {f"{t:%Y-%m-%dT%H:%M:%S}" for t in east_times if t < ended},
        "west": {f"{t.astimezone(west_tz):%Y-%m-%dT%H:%M:%S}" for t in west_times if t < ended},
    }
    for destination, chat in chats.items():
        # Every alert and every backlog article once in this destination's chat.
        assert Counter(items(chat, digest=False)) == Counter(news), destination
        assert Counter(items(chat, digest=True)) == Counter(backlog), destination
        # Its digests at its own times only, each time recorded once (the key), and one
        # digest message per time that had something to send.
        mine = [(slot, sent) for d, slot, sent in runs if d == destination]
        assert mine and {slot for slot, _ in mine} <= slots[destination], (destination, runs)
        digests = [t for t in telegram.texts_to(chat) if "trialwatch digest" in t]
        assert len(digests) == sum(1 for _, sent in mine if sent), (destination, runs)
    assert {d for d, _, _ in runs} == set(chats)
    # The clocks found the later digest times due too: each recorded once, with nothing
    # left to send.
    assert all(sum(1 for d, _, _ in runs if d == destination) >= 2 for destination in chats)
