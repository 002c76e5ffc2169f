"""Research-tool benchmark: search over a stored archive (p50 query) and export of every row.

    python -m bench.research [--articles 100000] [--queries 40] [--seed 1] [--database URL]

Fills a fresh database (a temporary SQLite file, or an empty database at
--database) through the real storage path, storage.articles.apply, which keeps the
full-text index in step, one synthetic match per article, then times:

- search: word queries (one or two words, common and rare) and name queries
  (a surname in the other script), through `bot.research.search.search`,
  limit 20; against the naive baseline in the same run, `LIKE '%word%'` on
  title and text; and one name query done naively, the matcher over every
  article.
- export: all rows as CSV to a discarding writer: time, and peak Python memory
  (tracemalloc, a separate run), against loading every row first (one batch).
"""

import argparse
import io
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bot.research import export as export_module
from bot.research.export import ExportOptions, export
from bot.research.search import search
from bot.services import sync_outlets
from core.records import ArticleIntent, Match, OutletConfig, OutletUpdate, ParsedArticle
from core.research import EVERY_ARTICLE, ArticleFilter
from matchers import Person, Watchlist, compile_watchlist
from storage import articles as stored_articles
from storage.db import init_db, make_engine
from storage.export import iter_provenance
from storage.search import iter_articles

WORDS = (
    "суд приговор адвокат полиция заявил года власти заседание свидетель обвинение "
    "court trial lawyer police said government protest appeal hearing detained "
    "сот үкім адвокаты полиция мәлімдеді билік наразылық Алматы Астана Тараз "
    "Kazakhstan Казахстан jail prison sentence колония штраф журналист blogger activist"
).split()
RARE = "экстрадиция habeas апелляциясы конфискация".split()
VOCABULARY = 20_000  # generated words after WORDS, Zipf-distributed like real text
SYLLABLES = "ка ра бе ков та ну ли сай жан тай мур бол ас ер кул"
LATIN = {"ка": "ka", "ра": "ra", "бе": "be", "ков": "kov", "та": "ta", "ну": "nu", "ли": "li",
         "сай": "sai", "жан": "zhan", "тай": "tai", "мур": "mur", "бол": "bol", "ас": "as",
         "ер": "er", "кул": "kul"}  # fmt: skip
BATCH = 1000


def surnames(rng: random.Random, n: int) -> list[tuple[str, str]]:
    """(Cyrillic, Latin) invented surnames: three syllables and -ов."""
    found: dict[str, str] = {}
    parts = SYLLABLES.split()
    while len(found) < n:
        picked = [rng.choice(parts) for _ in range(3)]
        cyr = "".join(picked).capitalize() + "ов"
        found[cyr] = "".join(LATIN[p] for p in picked).capitalize() + "ov"
    return list(found.items())


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """WORDS then generated words; weights 1/rank (Zipf), as cumulative weights."""
    parts = SYLLABLES.split()
    made = {"".join(rng.choices(parts, k=rng.randint(2, 4))) for _ in range(VOCABULARY)}
    words = WORDS + sorted(made - set(WORDS))
    total, cumulative = 0.0, []
    for rank in range(len(words)):
        total += 1 / (rank + 1)
        cumulative.append(total)
    return words, cumulative


def fill(
    engine: sa.Engine, articles: int, rng: random.Random, names: list[tuple[str, str]]
) -> float:
    outlets = [
        OutletConfig(f"o{i}", f"Outlet {i}", f"https://o{i}.test/rss", "ru") for i in range(20)
    ]
    vocab, weights = vocabulary(random.Random(0))
    start = datetime(2026, 6, 1, tzinfo=UTC)
    sync_outlets(engine, outlets, timedelta(minutes=15), start)
    began = time.perf_counter()
    for first in range(0, articles, BATCH):
        intents = []
        for n in range(first, min(first + BATCH, articles)):
            words = rng.choices(vocab, cum_weights=weights, k=120)
            if rng.random() < 0.02:
                words[rng.randrange(120)] = rng.choice(RARE)
            if rng.random() < 0.05:
                cyr, lat = rng.choice(names)
                words[rng.randrange(120)] = rng.choice((cyr, lat, cyr + "а", cyr + "ым"))
            text = " ".join(words)
            when = start + timedelta(minutes=2 * n)
            article = ParsedArticle(f"https://x.test/{n}", f"https://x.test/{n}", None,
                                    " ".join(words[:8]), text, None, when)  # fmt: skip
            found = Match("e", "keyword", words[0], 0, len(words[0]), 1.0, "keyword",
                          text[:140], (0, len(words[0])))  # fmt: skip
            intents.append(ArticleIntent(article, "ru", (found,), urgent=False))
        polled = start + timedelta(minutes=2 * first)
        stored_articles.apply(
            engine, OutletUpdate(f"o{first // BATCH % 20}", polled, polled), intents
        )
    return time.perf_counter() - began


def timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def like_search(engine: sa.Engine, words: list[str]) -> None:
    """The naive baseline: a LIKE scan per word, newest first."""
    where = " AND ".join(f"(title || ' ' || text) LIKE :w{i}" for i in range(len(words)))
    query = sa.text(
        f"SELECT id FROM article WHERE {where} "
        "ORDER BY coalesce(published_at, seen_at) DESC LIMIT 20"
    )
    with engine.connect() as connection:
        connection.execute(query, {f"w{i}": f"%{w}%" for i, w in enumerate(words)}).all()


class Discard(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


def peak_memory(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", help="an EMPTY database URL (default: temporary SQLite)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    names = surnames(rng, 200)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        init_db(engine)
        if stored_articles.counts(engine).articles:
            raise SystemExit(f"{url}: not empty; give an empty database")
        print(f"seed {args.seed}, {args.articles:,} articles × 120 words, {engine.dialect.name}")
        seconds = fill(engine, args.articles, rng, names)
        print(f"fill through storage.articles.apply (with the index): {seconds:.1f} s\n")
        run(engine, rng, names, args.queries)
        engine.dispose()


def run(engine: sa.Engine, rng: random.Random, names: list[tuple[str, str]], queries: int) -> None:
    vocab, weights = vocabulary(random.Random(0))
    word_queries = [rng.choices(vocab, cum_weights=weights) for _ in range(queries // 2)]
    word_queries += [[rng.choice(WORDS), rng.choice(RARE)] for _ in range(queries // 2)]
    ours = [timed(lambda q=q: search(engine, " ".join(q), name=False)) for q in word_queries]
    naive = [timed(lambda q=q: like_search(engine, q)) for q in word_queries]
    name_queries = [rng.choice(names)[0] for _ in range(queries // 2)]
    by_name = [timed(lambda q=q: search(engine, q)) for q in name_queries]
    print(f"{'search, limit 20':<44} {'p50 ms':>8} {'p90 ms':>8}")
    for label, times in (
        ("words: LIKE '%word%' scan (naive)", naive),
        ("words: full-text index (trialwatch)", ours),
        ("name in the other script (index + matcher)", by_name),
    ):
        p50, p90 = statistics.median(times), statistics.quantiles(times, n=10)[-1]
        print(f"{label:<44} {p50 * 1000:>8.1f} {p90 * 1000:>8.1f}")
    ratio = statistics.median(naive) / statistics.median(ours)
    print(f"words: naive / trialwatch at p50: {ratio:.0f}×")
    naive_name = timed(lambda: naive_name_search(engine, name_queries[0]))
    print(f"one name query, matcher over every article (naive): {naive_name * 1000:.0f} ms\n")
    export_figures(engine)


def naive_name_search(engine: sa.Engine, name: str) -> None:
    matcher = compile_watchlist(Watchlist(people=(Person("q", name),)))
    with engine.connect() as connection:
        for a in iter_articles(connection, EVERY_ARTICLE):
            matcher.match(a.title, a.text, a.lang)


def export_figures(engine: sa.Engine) -> None:
    def streamed() -> None:
        rows = export(engine, ArticleFilter(), Discard(), ExportOptions())
        assert rows

    def loaded_first() -> None:
        with engine.connect() as connection:
            rows = list(iter_provenance(connection, ArticleFilter(), batch=10**9))
        records = (export_module.as_record(r, ExportOptions()) for r in rows)
        export_module.write_csv(records, Discard())

    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM match")).scalar_one()
    print(f"{'export ' + format(count, ',') + ' rows as CSV':<44} {'s':>8} {'peak MB':>8}")
    for label, fn in (
        ("all rows loaded first (naive)", loaded_first),
        ("keyset batches of 1000 (trialwatch)", streamed),
    ):
        seconds = timed(fn)
        print(f"{label:<44} {seconds:>8.1f} {peak_memory(fn):>8.1f}")


if __name__ == "__main__":
    main()
