"""Storage part of the bench suite: storing articles and asking "seen?" for their keys.

    python -m bench.storage [--feeds 1000] [--items 20] [--postgres URL] [--runs 3]

For each of `feeds` outlets of `items` articles (no matches, so no outbox rows),
on SQLite (WAL, a fresh file) and, given --postgres, on PostgreSQL (a scratch
database: its `public` schema is dropped before each case):
- naive: a SQLModel object added and committed per article, and a SQLModel
  `select(...).where(key == k).first()` per key (run on the first `sample` articles
  and scaled, like the naive poll with latency: every row costs the same);
- Core: one `executemany` INSERT of the article rows in one transaction, and one
  `IN (…)` query per outlet: the floor SQLAlchemy gives;
- trialwatch: `storage.articles.apply_many` in batches of `bot.cycle.BATCH_OUTLETS`
  outlets as a cycle writes them (outlet rows, articles, full-text index documents),
  and `known_keys` per outlet. It does more than Core: "index docs" is the part of
  it spent making the index documents (`matchers.searchkeys`), in Python.

Wall seconds and this process's CPU seconds per case (PostgreSQL's own CPU is not
in it); the median of --runs runs, the cases of a run taken in turn.
"""

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from bot.cycle import BATCH_OUTLETS
from bot.services import sync_outlets
from core.records import ArticleIntent, OutletConfig, OutletUpdate, ParsedArticle
from matchers.searchkeys import name_keys, search_doc
from storage.articles import apply_many, known_keys
from storage.db import init_db, make_engine
from storage.models import Article

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
TEXT = "The court said the trial will continue after the lawyer asked for time. " * 12
PG = " pg"  # suffix of the PostgreSQL cases


def articles_of(feed: int, items: int) -> list[ArticleIntent]:
    return [
        ArticleIntent(
            ParsedArticle(
                key=f"https://outlet{feed}.example/news/{i}",
                url=f"https://outlet{feed}.example/news/{i}",
                guid=None,
                title=f"Court hears appeal number {i} of outlet {feed}",
                text=TEXT,
                author=None,
                published=NOW,
            ),
            "en",
            (),
            False,
        )
        for i in range(items)
    ]


@dataclass
class Timings:
    """Wall and CPU seconds per case, one entry per run."""

    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)

    def add(self, case: str, wall: float, cpu: float) -> None:
        self.wall.setdefault(case, []).append(wall)
        self.cpu.setdefault(case, []).append(cpu)

    def median(self, case: str) -> tuple[float, float] | None:
        if case not in self.wall:
            return None
        return statistics.median(self.wall[case]), statistics.median(self.cpu[case])


@contextlib.contextmanager
def database(url: str, feeds: int) -> Iterator[sa.Engine]:
    """A fresh database at `url` with the schema and `feeds` outlets."""
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    init_db(engine)
    configs = [OutletConfig(f"o{f}", f"O{f}", f"http://o{f}.test/rss", "en") for f in range(feeds)]
    sync_outlets(engine, configs, timedelta(minutes=15), NOW)
    try:
        yield engine
    finally:
        engine.dispose()


def measure(
    folder: Path,
    feeds: int,
    items: int,
    sample: int,
    postgres: str | None = None,
    timings: Timings | None = None,
) -> Timings:
    """One run of every case, added to `timings`; seconds scaled to feeds × items
    where sampled. PostgreSQL cases end in " pg"."""
    timings = timings or Timings()
    corpus = [articles_of(f, items) for f in range(feeds)]
    total = feeds * items

    def timed(case: str, fn: Callable[[], object], scale: float = 1.0) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        timings.add(case, (time.perf_counter() - wall) * scale, (time.process_time() - cpu) * scale)

    flat = [(f, t) for f, intents in enumerate(corpus) for t in intents][:sample]
    keys = [t.article.key for _, t in flat]
    timed("index docs", lambda: _index_docs(corpus))
    targets: list[tuple[str, Callable[[str], str]]] = [("", lambda n: f"sqlite:///{folder / n}.db")]
    if postgres:
        targets.append((PG, lambda _: postgres))
    for suffix, url in targets:
        with database(url("naive"), feeds) as engine:
            timed("store naive" + suffix, lambda: _naive_store(engine, flat), total / len(flat))
            timed("seen naive" + suffix, lambda: _naive_seen(engine, keys), total / len(keys))
        with database(url("core"), feeds) as engine:
            timed("store core" + suffix, lambda: _core_store(engine, corpus))
            timed("seen core" + suffix, lambda: _core_seen(engine, corpus))
        with database(url("ours"), feeds) as engine:
            timed("store trialwatch" + suffix, lambda: _our_store(engine, corpus))
            timed(
                "seen trialwatch" + suffix, lambda: [known_keys(engine, _keys(i)) for i in corpus]
            )
    return timings


def run(
    folder: Path, feeds: int, items: int, sample: int, postgres: str | None = None
) -> dict[str, float]:
    """Wall seconds per case of one run (see `measure`)."""
    timings = measure(folder, feeds, items, sample, postgres)
    return {case: runs[0] for case, runs in timings.wall.items()}


def _keys(intents: list[ArticleIntent]) -> list[str]:
    return [t.article.key for t in intents]


def _row(feed: int, t: ArticleIntent) -> dict[str, object]:
    a = t.article
    return {
        "key": a.key,
        "url_key": a.url_key,
        "outlet_id": f"o{feed}",
        "url": a.url,
        "guid": a.guid,
        "title": a.title,
        "text": a.text,
        "author": a.author,
        "lang": t.lang,
        "published_at": a.published,
        "seen_at": NOW,
    }


def _index_docs(corpus: list[list[ArticleIntent]]) -> None:
    for intents in corpus:
        for t in intents:
            search_doc(t.article.title, t.article.text)
            name_keys(t.article.title, t.article.text)


def _naive_store(engine: sa.Engine, flat: list[tuple[int, ArticleIntent]]) -> None:
    with Session(engine) as session:
        for feed, t in flat:
            session.add(Article(**_row(feed, t)))  # type: ignore[arg-type]
            session.commit()


def _naive_seen(engine: sa.Engine, keys: list[str]) -> None:
    with Session(engine) as session:
        for key in keys:
            session.exec(select(Article).where(col(Article.key) == key)).first()


def _core_store(engine: sa.Engine, corpus: list[list[ArticleIntent]]) -> None:
    table = SQLModel.metadata.tables["article"]
    with engine.begin() as connection:
        rows = [_row(f, t) for f, intents in enumerate(corpus) for t in intents]
        connection.execute(sa.insert(table), rows)


def _core_seen(engine: sa.Engine, corpus: list[list[ArticleIntent]]) -> None:
    column = SQLModel.metadata.tables["article"].c.key
    with engine.connect() as connection:
        for intents in corpus:
            list(connection.execute(sa.select(column).where(column.in_(_keys(intents)))))


def _our_store(engine: sa.Engine, corpus: list[list[ArticleIntent]]) -> None:
    polls = [
        (OutletUpdate(f"o{f}", NOW, NOW + timedelta(minutes=15), found_new=True), intents)
        for f, intents in enumerate(corpus)
    ]
    for i in range(0, len(polls), BATCH_OUTLETS):
        apply_many(engine, polls[i : i + BATCH_OUTLETS])


def report(timings: Timings, items: int) -> str:
    """A table: naive, Core and trialwatch seconds (wall / CPU) per store and "seen?"
    case and database, and how many times Core's time trialwatch takes."""
    rows = [
        "| case | naive wall / CPU s | Core wall / CPU s | trialwatch wall / CPU s | × Core wall |",
        "|---|---|---|---|---|",
    ]
    for suffix, name in (("", "SQLite WAL"), (PG, "PostgreSQL")):
        for what, label in (("store", f"store {items:,} articles"), ("seen", f'"seen?" {items:,}')):
            naive = timings.median(f"{what} naive{suffix}")
            core = timings.median(f"{what} core{suffix}")
            ours = timings.median(f"{what} trialwatch{suffix}")
            if core is None or ours is None:
                continue
            rows.append(
                f"| {label} ({name}) | {_pair(naive, approx=True)} | {_pair(core)} | "
                f"**{_pair(ours)}** | {ours[0] / core[0]:.1f} |"
            )
    docs = timings.median("index docs")
    note = "" if docs is None else f"\nof trialwatch's store: index documents {_pair(docs)}"
    return "\n".join(rows) + note


def _pair(figure: tuple[float, float] | None, *, approx: bool = False) -> str:
    if figure is None:
        return "–"
    return f"{'≈' if approx else ''}{figure[0]:.2f} / {figure[1]:.2f}"


def inputs(args: argparse.Namespace) -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} cores, load average {load}; SQLAlchemy "
        f"{version('sqlalchemy')}, psycopg {version('psycopg')}\n"
        f"inputs: {args.feeds} feeds × {args.items} articles ({len(TEXT)} characters of "
        f"text each), {BATCH_OUTLETS} outlets per apply_many, naive on {args.sample} rows "
        f"(≈ scaled), {args.runs} runs, SQLite" + (" and PostgreSQL" if args.postgres else "")
    )


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--items", type=int, default=20, help="articles per feed")
    parser.add_argument("--sample", type=int, default=2000, help="rows, naive storage")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", help="a scratch PostgreSQL database URL (emptied)")
    args = parser.parse_args(argv)
    print(inputs(args), flush=True)
    timings = Timings()
    with tempfile.TemporaryDirectory(prefix="tw-bench-storage-") as tmp:
        for r in range(args.runs):
            print(f"run {r + 1}/{args.runs} …", file=sys.stderr, flush=True)
            folder = Path(tmp) / f"run{r}"
            folder.mkdir()
            measure(folder, args.feeds, args.items, args.sample, args.postgres, timings)
    table = report(timings, args.feeds * args.items)
    print(table)
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return table


if __name__ == "__main__":
    main()
