"""Three `trialwatch run` replicas on one PostgreSQL database, 50 loopback outlets and
the fake Bot API; one replica is killed with SIGKILL twice during the run (issue 14).

Asserted: every expected article reaches the channel; no outlet is fetched twice within
its interval except by a poll taken over from a killed replica; no alert is sent twice
except in the accept-to-commit window of a send taken over from a killed replica; the
digest goes out once although three clocks fire it."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import text

from feeds.localserver import OutletServer, serve
from storage.db import make_engine
from tests.conftest import TOKEN
from tests.telegram_server import FakeTelegram

pytestmark = pytest.mark.slow

OUTLETS = 50
EVERY = 3.0  # seconds between polls of one outlet
LEASE = "5s"  # a killed replica's tasks are taken over after this (heartbeats every 1 s)
LATENCY = 0.3  # seconds each outlet takes to answer: a kill finds polls in flight
# One watched person per outlet: articles about different people are different stories
# (bot.stories groups one person's verdict reported by several outlets into one message).
GIVEN = [
    "Arman",
    "Dana",
    "Yerlan",
    "Saule",
    "Timur",
    "Aigerim",
    "Bolat",
    "Madina",
    "Nurlan",
    "Zhanar",
]
SURNAMES = [
    a + b
    for a in ("Tule", "Bekmu", "Sarse", "Zhaksy", "Oryn")
    for b in (
        "genov",
        "ratov",
        "nbayev",
        "lykov",
        "basov",
        "taliyev",
        "murzin",
        "zhanov",
        "keyev",
        "dulov",
    )
]
NAMES = [f"{GIVEN[n % 10]} {SURNAMES[n]}" for n in range(OUTLETS)]
WATCHLIST = (
    "defendants:\n"
    + "".join(f"  - {{id: p{n}, name: '{name}'}}\n" for n, name in enumerate(NAMES))
    + "keywords:\n  - {id: sentenced, terms: [sentenced], urgent: true}\n"
)
# Telegram takes 20 messages a minute in one channel (python-telegram-bot's rate
# limiter keeps to it), so most articles go to the digest and a few are alerts.
ALERTING = 5  # outlets whose batches carry an urgent item
ITEM_URL = re.compile(r"https://o(\d+)\.test/(urgent|quiet)-(\d+)")


def feed(outlet: int, urgent: Iterable[int], quiet: Iterable[int]) -> str:
    """An outlet's RSS: urgent items (alerts, at once) and quiet ones (the digest)."""

    def item(kind: str, n: int, title: str) -> str:
        url = f"https://o{outlet}.test/{kind}-{n}"
        return (
            f"<item><title>{title}</title><link>{url}</link><description>{title}.</description>"
            + "</item>"
        )

    name = NAMES[outlet]
    items = [item("urgent", n, f"{name} sentenced, case {outlet}-{n}") for n in urgent]
    items += [item("quiet", n, f"{name} appeal hearing {outlet}-{n}") for n in quiet]
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>o{outlet}</title>'
        f"{''.join(items)}</channel></rss>"
    )


@pytest.fixture
def outlets(tmp_path: Path) -> Iterator[OutletServer]:
    root = tmp_path / "feeds"
    root.mkdir()
    for n in range(OUTLETS):
        (root / f"o{n}.xml").write_text(feed(n, urgent_items(n, 1), range(1)), encoding="utf-8")
    with serve(root, latency=LATENCY) as server:
        yield server


def urgent_items(outlet: int, batch: int) -> range:
    """Urgent items: batch 1 on outlets 0-4 (their first poll: the digest), batch 2 on
    outlets 5-9 (alerts)."""
    first = (batch - 1) * ALERTING
    return range(batch - 1, batch) if first <= outlet < first + ALERTING else range(0)


def start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def wait_for(condition, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_three_replicas_survive_two_sigkills(
    database_url: str, tmp_path: Path, outlets: OutletServer, telegram: FakeTelegram
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share a PostgreSQL database")
    config = tmp_path / "config"
    config.mkdir()
    (config / "feeds.yaml").write_text(
        "feeds:\n"
        + "".join(
            f"  - {{id: o{n}, name: Outlet {n}, url: '{outlets.url(f'o{n}.xml')}', lang: en}}\n"
            for n in range(OUTLETS)
        ),
        encoding="utf-8",
    )
    (config / "watchlist.yaml").write_text(WATCHLIST, encoding="utf-8")
    # Digest times every few seconds, so that one falls mid-run however long the replicas
    # take to start; the first after the first polls sends the digest, the others find
    # nothing pending.
    now = datetime.now(UTC)
    digest_times = [now + timedelta(seconds=8 + 4 * k) for k in range(15)]
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
        "TRIALWATCH_DIGEST_AT": ",".join(f"{t:%H:%M:%S}" for t in digest_times),
        "TRIALWATCH_REPLICA_LEASE": LEASE,
        "TRIALWATCH_REPLICA_CONCURRENCY": "4",
    }
    engine = make_engine(database_url)
    logs = [tmp_path / f"replica-{i}.log" for i in range(3)]
    replicas = [start(env, log) for log in logs]
    first_pids = [process.pid for process in replicas]
    started = time.monotonic()
    # An outlet's first poll is its backlog: digest, never an alert (bot.route). Alerts
    # come from the urgent items added once every outlet has been polled.
    expected_alerts: set[tuple[str, int, int]] = set()
    expected_digest = {("quiet", n, 0) for n in range(OUTLETS)}
    expected_digest |= {("urgent", n, 0) for n in range(ALERTING)}

    def items(digest: bool) -> list[tuple[str, int, int]]:
        return [
            (m[2], int(m[1]), int(m[3]))
            for text in telegram.texts
            if ("trialwatch digest" in text) == digest
            for m in ITEM_URL.finditer(text)
        ]

    def sent_urgent() -> set[tuple[str, int, int]]:
        return set(items(digest=False))

    def in_digest() -> set[tuple[str, int, int]]:
        return set(items(digest=True))

    def running(log: Path) -> bool:
        return "running: tasks on PostgreSQL" in log.read_text()

    def polled_all() -> bool:
        """Every outlet's first poll stored: what comes after is news, not backlog."""
        with contextlib.suppress(Exception), engine.connect() as connection:
            query = text("SELECT count(*) FROM outlet WHERE last_success_at IS NOT NULL")
            return bool(connection.execute(query).scalar_one() == OUTLETS)
        return False  # the schema is not there yet

    killed = 0
    try:
        # First kill mid-cycle: all three replicas running, polls in flight (each takes
        # LATENCY, every outlet comes round every EVERY seconds).
        first_polls = wait_for(lambda: polled_all() and all(map(running, logs)), 60)
        assert first_polls, logs[0].read_text()
        replicas[0].send_signal(signal.SIGKILL)
        replicas[0].wait()
        killed += 1
        replicas[0] = start(env, logs[0])
        # New urgent articles on five more outlets, found by the next polls.
        for n in range(OUTLETS):
            urgent = [*urgent_items(n, 1), *urgent_items(n, 2)]
            Path(outlets.root, f"o{n}.xml").write_text(feed(n, urgent, range(1)), encoding="utf-8")
        expected_alerts |= {("urgent", n, 1) for n in range(ALERTING, 2 * ALERTING)}
        # Second kill as the next digest fires, on another replica.
        digest_at = min(t for t in digest_times if t > datetime.now(UTC) + timedelta(seconds=1))
        time.sleep((digest_at - datetime.now(UTC)).total_seconds() + 0.2)
        replicas[1].send_signal(signal.SIGKILL)
        replicas[1].wait()
        killed += 1
        second_kill = time.monotonic()
        replicas[1] = start(env, logs[1])
        delivered = wait_for(
            lambda: sent_urgent() >= expected_alerts and in_digest() >= expected_digest, 40
        )
    finally:
        for process in replicas:
            process.send_signal(signal.SIGTERM)
        for process in replicas:
            process.wait(timeout=15)
    output = "\n".join(log.read_text() for log in logs)
    assert delivered, output[-3000:]
    assert killed == 2

    # Every expected article reached the channel: new urgent ones as alerts, the rest
    # (the first poll's backlog, the quiet ones) in the digest.
    assert sent_urgent() >= expected_alerts
    assert in_digest() >= expected_digest
    digests = [text for text in telegram.texts if "trialwatch digest" in text]

    taken_over = Counter(re.findall(r"took over trialwatch:(\w+)", output))
    # No outlet fetched twice within its interval, except polls taken over after a kill.
    arrivals: dict[str, list[float]] = defaultdict(list)
    for path, at in outlets.arrivals:
        arrivals[path].append(at)
    too_soon = sum(
        1
        for times in arrivals.values()
        for before, after in pairwise(times)
        if after - before < EVERY - 0.5
    )
    assert too_soon <= taken_over["poll_outlet"], (too_soon, taken_over)

    # No alert twice beyond the accept-to-commit window: at most one message per send
    # taken over (the one Telegram accepted just before the kill).
    alerts = Counter(items(digest=False))
    repeated = sum(count - 1 for count in alerts.values())
    assert repeated <= taken_over["send_alerts"], (repeated, taken_over)

    # Each digest time's digest went out once though three clocks fired it, apart from
    # the same window: one digest message begun per digest recorded as sent.
    with engine.connect() as connection:
        recorded = connection.execute(text("SELECT count(*) FROM digest_run WHERE sent > 0"))
        digests_recorded = recorded.scalar_one()
    engine.dispose()
    # a long digest goes out in numbered parts, "(1/3)" on the first line of the first
    begun = [
        t
        for t in digests
        if not re.search(r"\((\d+)/\d+\)", t.split("\n")[0])
        or re.search(r"\(1/\d+\)", t.split("\n")[0])
    ]
    assert digests_recorded >= 1
    assert digests_recorded <= len(begun) <= digests_recorded + taken_over["send_digest"], begun
    # `trialwatch status` shows every replica that ran: the two killed ones silent.
    # A replica counts as alive until its last heartbeat is a lease old: wait that out.
    time.sleep(max(0.0, second_kill + float(LEASE.removesuffix("s")) + 1.5 - time.monotonic()))
    status = subprocess.run(
        [sys.executable, "-m", "bot", "status"], env=env, capture_output=True, text=True
    )
    assert status.returncode == 0, status.stderr
    lines = status.stdout.split("replicas (heartbeat")[1].splitlines()[2:]
    state = {int(line.split()[1]): line.split()[2] for line in lines}
    assert [state[pid] for pid in first_pids] == ["silent", "silent", "stopped"], lines
    assert set(state.values()) <= {"silent", "stopped"}  # restarted ones stopped (if up)
    assert sum(int(line.split()[-1]) for line in lines) > OUTLETS
    assert "Traceback" not in output, output[output.index("Traceback") - 500 :][:3000]
    print(
        f"{time.monotonic() - started:.1f}s, {len(telegram.sent)} messages, "
        f"taken over: {dict(taken_over)}, polls too soon: {too_soon}, repeated alerts: {repeated}"
    )
