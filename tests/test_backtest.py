"""`trialwatch backtest` over a real stored archive (SQLite and PostgreSQL); it sends nothing."""

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.cli import main
from bot.research.backtest import backtest, render_report
from core.research import ArticleFilter, StoredArticle
from storage import articles
from storage.db import init_db, make_engine
from storage.search import iter_articles
from tests.archive import NOW, RESEARCH, Item, fill, matcher, store_item
from tests.conftest import TOKEN
from tests.telegram_server import FakeTelegram

CONFIG = Path(__file__).parent.parent / "config"
CURRENT, NEW = RESEARCH / "watchlist.yaml", RESEARCH / "watchlist_new.yaml"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    init_db(engine)
    fill(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch, telegram: FakeTelegram) -> None:
    """The CLI configured as for `run`, Telegram included: backtest must not use it."""
    monkeypatch.setenv("TRIALWATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("TRIALWATCH_CONFIG_DIR", str(CONFIG))
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_CHAT", telegram.chat_id)
    monkeypatch.setenv("TRIALWATCH_TELEGRAM_API", telegram.base_url)


def test_cli_shows_added_and_lost_with_samples_and_sends_nothing(
    engine: Engine,
    cli_env: None,
    telegram: FakeTelegram,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Per entry: matches now and new, added and lost with samples; Telegram never called."""
    args = ["backtest", "--watchlist", str(NEW), "--against", str(CURRENT)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "9 stored articles" in out
    assert "articles alerted: now 5" in out and "new 6" in out
    table = {line.split()[0]: line.split()[1:5] for line in out.splitlines()[5:9]}
    assert table == {
        "nurdauletova": ["0", "1", "+1", "-0"],
        "steppe-trial": ["1", "0", "+0", "-1"],
        "tasbolatov": ["4", "4", "+0", "-0"],
        "verdict": ["2", "5", "+3", "-0"],
    }
    assert "  + Приговор Нурдаулетовой | Сауле Нурдаулетовой | 1.00" in out
    assert "  - Приговор Нурдаулетовой | Степном процессе | 1.00" in out
    assert "WARNING" not in out
    assert telegram.calls == [] and articles.counts(engine).sent == 0


def test_since_limits_the_articles(
    engine: Engine, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """--since 2026-11-21 leaves out older articles."""
    args = ["backtest", "--watchlist", str(NEW), "--against", str(CURRENT), "--since", "2026-11-21"]
    assert main(args) == 0
    assert "4 stored articles over" in capsys.readouterr().out


def test_an_entry_firing_too_often_is_flagged(engine: Engine) -> None:
    """A widened keyword that would fire 12 times on one day is named, with the day."""
    day = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    for n in range(12):
        published = day + timedelta(minutes=n)
        store_item(
            engine,
            Item(
                "a", f"https://a.test/court/{n}", "en", published, f"Report {n}", "The court met."
            ),
            matcher(),
        )
    with engine.connect() as connection:
        report = backtest(iter_articles(connection, ArticleFilter()), matcher(), matcher(NEW.name))
    text = render_report(report, since=None, until=NOW + timedelta(days=2), max_per_day=10)
    assert "WARNING: verdict (verdict) would have fired 13 times on 2026-11-26" not in text
    assert "WARNING: verdict (verdict) would have fired 12 times on 2026-11-26" in text
    assert render_report(report, since=None, until=NOW, max_per_day=12).count("WARNING") == 0


def test_backtest_is_a_pure_function_of_the_articles() -> None:
    """No database needed: the same counts from records, progress ticked once per article."""
    seen = datetime(2026, 11, 1, tzinfo=UTC)
    base = StoredArticle(0, "a", "A", "https://a.test/x", "", "", "ru", None, seen)
    articles = [
        replace(base, id=1, title="Суд над Тасболатовым", text="Ержан Тасболатов в суде."),
        replace(base, id=2, title="Погода", text="Снег в Астане."),
    ]
    ticks: list[int] = []
    report = backtest(articles, matcher(), matcher(NEW.name), progress=lambda: ticks.append(1))
    assert len(ticks) == 2 and report.articles == 2
    assert report.entries["tasbolatov"].now == report.entries["tasbolatov"].new == 1
    assert report.entries["verdict"].added_count == 1  # суд, only in the new list
