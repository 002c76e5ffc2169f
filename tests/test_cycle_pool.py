"""The cycle's worker processes: the same stored result as the one-thread path, a
dead worker costs only the outlets whose work was in it, and no parsing, matching
or database call runs on the event loop's thread."""

import asyncio
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from sqlalchemy import Engine, text

from bench.feedgen import people, watchlist_yaml, write_feeds
from bot.app import build_app
from bot.cli import main
from bot.cycle import POOL_FROM, CycleDeps, CycleReport, poll_outlet, run_cycle
from bot.notify import ConsoleNotifier
from bot.services import sync_outlets
from bot.settings import Settings
from bot.workers import CpuPool, usable_cores
from core.records import OutletConfig
from feeds.fetch import make_client
from feeds.localserver import Canned, OutletServer, serve
from matchers import compile_watchlist, parse_watchlist
from storage import outlets
from storage.db import init_db, make_engine
from tests.conftest import _drop_everything

pytestmark = pytest.mark.slow
REPO = Path(__file__).parent.parent
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
FEEDS, ITEMS = POOL_FROM + 4, 5  # enough outlets for a cycle to start the workers
NAMES = people(40, 7)
MATCHER = compile_watchlist(parse_watchlist(watchlist_yaml(NAMES), "watchlist.yaml"))


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[OutletServer]:
    """Generated court news (most items name a watched person, some are urgent), an
    HTML page where a feed should be, and a 404."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_feeds(folder, FEEDS, ITEMS, NAMES, 11)
    with serve(folder) as server:
        server.canned["/page.html"] = Canned(200, b"<html><body>Sign in</body></html>")
        yield server


def configs(server: OutletServer) -> list[OutletConfig]:
    feeds = [
        OutletConfig(
            f"o{f}", f"Outlet {f}", server.url(f"feed{f}.{'atom' if f % 2 else 'xml'}"), "en"
        )
        for f in range(FEEDS)
    ]
    broken = [
        OutletConfig("page", "Page", server.url("page.html"), "en"),
        OutletConfig("gone", "Gone", server.url("gone.xml"), "en"),
    ]
    return feeds + broken


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """What a cycle stored, without row ids (nor the random jitter of a failed
    outlet's next poll): outlets, articles, matches, outbox."""
    queries = {
        "outlets": "SELECT id, etag, failures, last_status, error_kind, last_error, "
        "last_polled_at, last_success_at, last_new_at, state, "
        "CASE WHEN failures = 0 THEN next_poll_at END FROM outlet",  # backoff has jitter
        "articles": "SELECT key, url_key, outlet_id, url, guid, title, text, author, lang, "
        "published_at, seen_at FROM article",
        "matches": "SELECT a.key, m.entry_id, m.kind, m.form, m.start_offset, m.end_offset, "
        "m.score, m.reason, m.snippet FROM match m JOIN article a ON a.id = m.article_id",
        "outbox": "SELECT a.key, d.destination, d.urgent, d.created_at FROM delivery d "
        "JOIN article a ON a.id = d.article_id",
    }
    with engine.connect() as connection:
        return {
            name: sorted(tuple(row) for row in connection.execute(text(query)))
            for name, query in queries.items()
        }


def fresh(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        _drop_everything(url)
    engine = make_engine(url)
    init_db(engine)
    return engine


async def two_cycles(
    server: OutletServer, url: str, workers: CpuPool | None
) -> tuple[list[CycleReport], dict[str, list[tuple[Any, ...]]]]:
    """A first cycle (every outlet's backlog), then one that finds three new items per
    feed (news: alerts for the urgent ones); what they stored."""
    engine = fresh(url)
    sync_outlets(engine, configs(server), timedelta(minutes=15), NOW)
    reports = []
    async with make_client(timeout=5.0) as client:
        deps = CycleDeps(engine, client, MATCHER, workers=workers)
        reports.append(await run_cycle(deps, NOW, every_outlet=True))
        write_feeds(server.root, FEEDS, ITEMS + 3, NAMES, 11)
        reports.append(await run_cycle(deps, LATER, every_outlet=True))
    stored = snapshot(engine)
    engine.dispose()
    return reports, stored


@pytest.fixture
def pool() -> Iterator[CpuPool]:
    workers = CpuPool(2)
    yield workers
    workers.close()


async def test_workers_store_what_the_thread_stores(
    corpus: OutletServer, database_url: str, pool: CpuPool
) -> None:
    """Parsing and matching in worker processes store the same outlets, articles,
    matches and outbox rows as the one-thread path, failures included."""
    thread_reports, by_thread = await two_cycles(corpus, database_url, None)
    write_feeds(corpus.root, FEEDS, ITEMS, NAMES, 11)  # back to the first cycle's feeds
    pool_reports, by_pool = await two_cycles(corpus, database_url, pool)
    assert pool.pids(), "the cycle did not start the workers"
    assert by_pool == by_thread
    assert len(by_pool["articles"]) == FEEDS * (ITEMS + 3)
    assert any(urgent for _, _, urgent, _ in by_pool["outbox"])  # news, not only backlog
    for reports in (thread_reports, pool_reports):
        errors = {r.outlet_id: type(r.error).__name__ for r in reports[0].results if r.error}
        assert errors == {"page": "ParseError", "gone": "FetchError"}


async def test_one_story_in_three_feeds_is_one_article(
    outlet_server: OutletServer, database_url: str, pool: CpuPool
) -> None:
    """Outlets decided while another outlet's same story waits to be matched see it as
    known: three feeds carrying it, in flight together, store it once."""
    engine = fresh(database_url)
    feed = outlet_server.url("eurasianet_en.xml")
    sync_outlets(
        engine,
        [OutletConfig(n, n, feed, "en") for n in ("first", "second", "third")],
        timedelta(minutes=15),
        NOW,
    )
    await asyncio.to_thread(pool.start, MATCHER)  # running workers are used at any size
    async with make_client(timeout=5.0) as client:
        report = await run_cycle(CycleDeps(engine, client, MATCHER, workers=pool), NOW)
    assert sorted(r.new for r in report.results) == [0, 0, 3]
    assert len(snapshot(engine)["articles"]) == 3
    engine.dispose()


async def test_a_dead_worker_costs_only_the_outlets_in_it(
    corpus: OutletServer, database_url: str, pool: CpuPool
) -> None:
    """Workers killed while a large body is being parsed: that outlet is not written
    (still due, its error says why), the cycle's other outlets are, and the next
    cycle, on new workers, polls it and the rest."""
    (corpus.root / "large.xml").write_text(large_document(20_000), encoding="utf-8")
    engine = fresh(database_url)
    [page, gone] = configs(corpus)[-2:]
    large = OutletConfig("large", "Large", corpus.url("large.xml"), "en")
    sync_outlets(engine, [page, gone, large], timedelta(minutes=15), NOW)
    await asyncio.to_thread(pool.start, MATCHER)
    async with make_client(timeout=30.0) as client:
        deps = CycleDeps(engine, client, MATCHER, workers=pool)
        cycle = asyncio.create_task(run_cycle(deps, NOW))
        killed = await asyncio.to_thread(kill_workers_when_served, corpus, pool, "/large.xml")
        report = await cycle
        errors = {r.outlet_id: str(r.error) for r in report.results}
        assert "a worker process died while parsing it" in errors["large"]
        by_outlet = {o.id: o for o in outlets.outlet_status(engine)}
        assert by_outlet["page"].failures == by_outlet["gone"].failures == 1
        assert (by_outlet["large"].failures, by_outlet["large"].last_error) == (0, None)
        assert [o.id for o in outlets.outlets_for_poll(engine, NOW)] == ["large"]  # still due
        sync_outlets(engine, [*configs(corpus), large], timedelta(minutes=15), NOW)
        again = await run_cycle(deps, LATER)
    assert {r.outlet_id for r in again.results} == {c.id for c in configs(corpus)} | {"large"}
    assert not [r for r in again.results if r.error and "worker" in str(r.error)]
    assert pool.pids() and set(pool.pids()).isdisjoint(killed)
    by_outlet = {o.id: o for o in outlets.outlet_status(engine)}
    assert by_outlet["large"].error_kind == "broken"  # parsed this time: not a feed
    assert len(snapshot(engine)["articles"]) == FEEDS * ITEMS
    engine.dispose()


async def test_a_worker_past_its_deadline_is_given_up(
    corpus: OutletServer, database_url: str
) -> None:
    """A parse that outlasts the pool's deadline costs that outlet (not written, still
    due) and the workers (new ones start); the cycle ends and the next one runs."""
    (corpus.root / "large.xml").write_text(large_document(20_000), encoding="utf-8")
    engine = fresh(database_url)
    page = configs(corpus)[-2]
    large = OutletConfig("large", "Large", corpus.url("large.xml"), "en")
    sync_outlets(engine, [page, large], timedelta(minutes=15), NOW)
    pool = CpuPool(2, deadline=0.5)  # the large document takes seconds
    try:
        await asyncio.to_thread(pool.start, MATCHER)
        first = pool.pids()
        async with make_client(timeout=30.0) as client:
            deps = CycleDeps(engine, client, MATCHER, workers=pool)
            report = await run_cycle(deps, NOW)
            errors = {r.outlet_id: str(r.error) for r in report.results}
            assert "a worker process gave no answer while parsing it" in errors["large"]
            assert errors["page"].startswith("parse failed")  # the other outlet: written
            assert [o.id for o in outlets.outlets_for_poll(engine, NOW)] == ["large"]
            assert pool.pids() and set(pool.pids()).isdisjoint(first)
            (corpus.root / "large.xml").write_text(large_document(1), encoding="utf-8")
            again = await run_cycle(deps, LATER)
        kinds = {r.outlet_id: type(r.error).__name__ for r in again.results}
        assert kinds == {"page": "ParseError", "large": "ParseError"}
    finally:
        pool.close()
    engine.dispose()


async def test_a_new_watchlist_gets_new_workers(
    corpus: OutletServer, database_url: str, pool: CpuPool
) -> None:
    """After a live reload the cycle's watchlist is another object: the workers that
    held the old one are replaced, and the new entries are found."""
    engine = fresh(database_url)
    sync_outlets(engine, configs(corpus), timedelta(minutes=15), NOW)
    newcomer = people(41, 7)[-1]  # a person only the edited watchlist has
    edited = compile_watchlist(
        parse_watchlist(watchlist_yaml([*NAMES, newcomer]), "watchlist.yaml")
    )
    async with make_client(timeout=5.0) as client:
        await run_cycle(CycleDeps(engine, client, MATCHER, workers=pool), NOW, every_outlet=True)
        before = pool.pids()
        (corpus.root / "feed0.xml").write_text(
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>O</title><item>'
            f"<title>{newcomer} detained</title><link>https://outlet0.example/new</link>"
            f"<description>Police detained {newcomer} outside the court.</description>"
            "</item></channel></rss>",
            encoding="utf-8",
        )
        deps = CycleDeps(engine, client, edited, workers=pool)
        report = await run_cycle(deps, LATER, every_outlet=True)
    assert [r.new for r in report.results if r.outlet_id == "o0"] == [1]
    entries = {m[1] for m in snapshot(engine)["matches"] if "outlet0.example/new" in m[0]}
    assert entries == {f"p{len(NAMES)}"}
    assert pool.pids() and set(pool.pids()).isdisjoint(before)
    engine.dispose()


def large_document(records: int) -> str:
    """Well-formed XML that is not a feed, long enough to keep a worker parsing for
    seconds, whose answer (not a feed) is small: the worker dies in the parse, not
    while sending a result (a worker killed mid-send is not this test's subject)."""
    body = "".join(
        f"<record><name>Clerk {i}</name><note>Filed under docket {i}.</note></record>"
        for i in range(records)
    )
    return f'<?xml version="1.0"?><catalog>{body}</catalog>'


def kill_workers_when_served(server: OutletServer, pool: CpuPool, path: str) -> list[int]:
    """SIGKILL the workers shortly after `path` was answered (its parse under way);
    the killed pids."""
    deadline = time.monotonic() + 60
    while path not in [p for p, _ in server.arrivals] and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(1.0)  # the body read and its parse under way (it takes seconds)
    pids = pool.pids()
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    return pids


STAGES = {  # (file, function): the CPU and database work that must stay off the loop
    ("feeds/parse.py", "parse"),
    ("matchers/match.py", "analyse"),
    ("bot/route.py", "route"),
    ("storage/articles.py", "known_keys"),
    ("storage/articles.py", "articles_by_link"),
    ("storage/articles.py", "apply_many"),
    ("storage/outlets.py", "outlets_for_poll"),
    ("storage/outlets.py", "outlet_status"),
    ("feeds/health.py", "state_changes"),
}


class LoopThreadCalls:
    """The STAGES functions called on the current thread while installed."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, frame: FrameType, event: str, arg: object) -> None:
        if event == "call":
            code = frame.f_code
            where = (str(Path(*Path(code.co_filename).parts[-2:])), code.co_name)
            if where in STAGES:
                self.seen.add(where)

    def __enter__(self) -> "LoopThreadCalls":
        sys.setprofile(self)
        return self

    def __exit__(self, *_: object) -> None:
        sys.setprofile(None)


@pytest.mark.parametrize("with_workers", [True, False], ids=["workers", "one thread"])
async def test_no_stage_runs_on_the_event_loop(
    corpus: OutletServer, database_url: str, pool: CpuPool, with_workers: bool
) -> None:
    """A cycle and a replica's single-outlet poll parse, match, route, read and write
    in other threads or processes: the loop's thread only fetches and hands on."""
    engine = fresh(database_url)
    sync_outlets(engine, configs(corpus), timedelta(minutes=15), NOW)
    async with make_client(timeout=5.0) as client:
        deps = CycleDeps(engine, client, MATCHER, workers=pool if with_workers else None)
        with LoopThreadCalls() as calls:
            report = await run_cycle(deps, NOW, every_outlet=True)
            write_feeds(corpus.root, FEEDS, ITEMS + 1, NAMES, 11)
            [o1] = [o for o in outlets.outlets_for_poll(engine, None) if o.id == "o1"]
            calls.seen.clear()  # the line above is the test's own query
            single = await poll_outlet(deps, o1, LATER)
    assert threading.current_thread() is threading.main_thread()
    assert calls.seen == set()
    assert sum(r.new for r in report.results) == FEEDS * ITEMS and single.new == 1
    assert bool(pool.pids()) == with_workers
    engine.dispose()


def test_worker_count_is_checked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A negative TRIALWATCH_CPU_WORKERS is refused with the variable's name."""
    monkeypatch.setenv("TRIALWATCH_CPU_WORKERS", "-1")
    assert main(["run", "--once"]) == 1
    assert "TRIALWATCH_CPU_WORKERS" in capsys.readouterr().err


@pytest.mark.parametrize(("setting", "count"), [(None, usable_cores()), (0, None), (3, 3)])
async def test_worker_count_setting(tmp_path: Path, setting: int | None, count: int | None) -> None:
    """One worker per usable core by default; 0: none (the database thread parses)."""
    settings = Settings(
        config_dir=REPO / "config",
        database_url=f"sqlite:///{tmp_path / 'tw.db'}",
        cpu_workers=setting,
    )
    async with build_app(settings, notifier=ConsoleNotifier()) as app:
        assert (app.workers.workers if app.workers else None) == count
        assert app.cycle_deps().workers is app.workers
