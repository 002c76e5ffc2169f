"""`trialwatch search` on real SQLite (FTS5) and PostgreSQL (tsvector + GIN)."""

import argparse
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.cli import main
from bot.research.commands import since_arg
from bot.research.search import SearchHit, search
from core.research import ArticleFilter
from matchers import parse_watchlist
from matchers.searchkeys import highlight
from storage.db import init_db, make_engine
from tests.archive import NOW, RESEARCH, fill

CONFIG = Path(__file__).parent.parent / "config"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    init_db(engine)
    fill(engine)
    yield engine
    engine.dispose()


def keys(hits: list[SearchHit]) -> list[str]:
    return [h.article.url.rsplit("/", 2)[-2] + "/" + h.article.url.rsplit("/", 1)[-1] for h in hits]


def marked(hit: SearchHit) -> str:
    return highlight(hit.snippet, hit.marks)


def test_words_are_found_as_word_prefixes_newest_first(engine: Engine) -> None:
    """Every query word must occur, as the start of a word, in any case."""
    hits = search(engine, "суд")
    assert keys(hits) == ["ru/3", "ru/2", "ru/6"]  # newest first; "судом" would count too
    assert "[Суд] в Таразе" in marked(hits[0])
    assert keys(search(engine, "заседание перенес")) == ["ru/2"]
    assert marked(search(engine, "перенес")[0]).startswith("Заседание по делу")
    assert "[перенесли]" in marked(search(engine, "перенес")[0])


def test_yo_and_case_are_folded(engine: Engine) -> None:
    """`елку` finds `ёлку`, `SNOW` finds `Snow`."""
    assert keys(search(engine, "елку")) == ["ru/6"]
    assert keys(search(engine, "SNOW airport")) == ["news/4"]


def test_a_name_finds_every_spelling_script_and_case_form(engine: Engine) -> None:
    """`Тасболатов` finds Tasbolatov (Latin), Тасболатовым (Russian), Тасболатовтың (Kazakh)."""
    hits = search(engine, "Тасболатов")
    assert keys(hits) == ["news/8", "kk/5", "ru/2", "news/1", "news/7"]
    kazakh = hits[1]
    assert kazakh.match is not None and kazakh.match.form == "Тасболатовтың"
    assert "Ержан [Тасболатовтың] ісі" in marked(kazakh)


def test_a_namesake_is_left_out_unless_asked(engine: Engine) -> None:
    """Dmitry Tasbolatov (another given name) is not Yerzhan Tasbolatov; with only
    the surname asked for, every Tasbolatov counts."""
    assert "news/8" not in keys(search(engine, "Yerzhan Tasbolatov"))
    weak = search(engine, "Yerzhan Tasbolatov", weak=True)
    assert "news/8" in keys(weak)


def test_a_watched_surname_is_searched_as_a_name(engine: Engine) -> None:
    """A surname without a surname ending counts as a name when the watchlist has it."""
    watchlist = parse_watchlist("defendants:\n  - id: x\n    name: Aibek Zhumakhan\n")
    assert keys(search(engine, "Жумахан", watchlist=watchlist)) == ["news/9"]
    assert search(engine, "Жумахан") == []  # not a watched surname: words only
    assert keys(search(engine, "Жумахан", name=True)) == ["news/9"]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (ArticleFilter(outlet="a"), ["news/1", "news/7"]),
        (ArticleFilter(lang="kk"), ["kk/5"]),
        (ArticleFilter(since=NOW - timedelta(days=5)), ["kk/5", "ru/2"]),
        (ArticleFilter(entry="verdict"), ["news/7"]),
    ],
    ids=["outlet", "language", "since", "entry"],
)
def test_filters(engine: Engine, where: ArticleFilter, expected: list[str]) -> None:
    """--outlet, --lang, --since (published, else first seen) and --entry narrow the hits."""
    assert keys(search(engine, "Ержан Тасболатов", where)) == expected


@pytest.mark.parametrize("query", ['"', "OR", "NOT суд", "a AND", "*", "суд:*", "NEAR(x y)"])
def test_query_syntax_is_never_an_error(engine: Engine, query: str) -> None:
    """Quotes, operators and wildcards are plain words, on both databases."""
    search(engine, query)


def test_limit(engine: Engine) -> None:
    assert len(search(engine, "Тасболатов", limit=2)) == 2


def test_a_deleted_article_leaves_the_index(engine: Engine) -> None:
    """The index entry goes with its article (trigger / ON DELETE CASCADE)."""
    [hit] = search(engine, "snow")
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM article WHERE id = :id"), {"id": hit.article.id})
        table = "article_fts" if engine.dialect.name == "sqlite" else "article_search"
        rowid = "rowid" if engine.dialect.name == "sqlite" else "article_id"
        left = connection.execute(
            text(f"SELECT count(*) FROM {table} WHERE {rowid} = :id"), {"id": hit.article.id}
        ).scalar()
    assert left == 0
    assert search(engine, "snow") == []


def test_data_files_exist() -> None:
    assert (RESEARCH / "articles.jsonl").exists()


def test_cli_prints_marked_snippets(
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`trialwatch search` prints date, outlet, title, link and the snippet with the hit marked."""
    monkeypatch.setenv("TRIALWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("TRIALWATCH_CONFIG_DIR", str(CONFIG))
    assert main(["search", "Тасболатов", "--lang", "ru"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "2026-11-21 09:30Z  Outlet B (ru)  Суд над Тасболатовым отложен",
        "  https://b.test/ru/2",
        "  Заседание по делу Ержана [Тасболатова] перенесли на декабрь.",
    ]
    assert main(["search", "nothing-like-this"]) == 0
    assert capsys.readouterr().out == "no articles found\n"


def test_since_takes_an_age_or_a_date() -> None:
    """--since 30d, 12h, 2w or 2026-11-01; anything else is a usage error naming the value."""
    assert since_arg("2w", NOW) == NOW - timedelta(days=14)
    assert since_arg("12h", NOW) == NOW - timedelta(hours=12)
    assert since_arg("2026-11-01", NOW).isoformat() == "2026-11-01T00:00:00+00:00"
    with pytest.raises(argparse.ArgumentTypeError, match="'soon'"):
        since_arg("soon", NOW)


def test_reindex_rebuilds_a_lost_index(
    engine: Engine,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`trialwatch reindex` makes every stored article searchable again."""
    table = "article_fts" if engine.dialect.name == "sqlite" else "article_search"
    with engine.begin() as connection:
        connection.execute(text(f"DELETE FROM {table}"))
    assert search(engine, "Тасболатов") == []
    monkeypatch.setenv("TRIALWATCH_DATABASE_URL", database_url)
    assert main(["reindex"]) == 0
    assert capsys.readouterr().out == "search index rebuilt: 9 articles\n"
    assert len(search(engine, "Тасболатов")) == 5
