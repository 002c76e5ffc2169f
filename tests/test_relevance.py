"""Relevance and urgency decisions (matchers.relevance), on invented names and places."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from matchers import Matcher, compile_watchlist, parse_watchlist
from matchers.relevance import URGENT_WINDOW, decide_delivery

WATCHLIST = """
defendants:
  - id: berdibekov
    name: Aslan Berdibekov
cases:
  - id: bitter-march
    name: Bitter March
    everyday: [March events]
    together:
      - [March, 2031, protest|riot]
keywords:
  - id: verdict
    terms: [sentenced, приговорил]
    urgent: true
  - id: hearing
    terms: [trial, суд]
regions:
  - [Kazakhstan, Kazakh]
  - Almaty
"""
NOW = datetime(2031, 6, 10, 12, 0, tzinfo=UTC)
FILLER = "Nothing else happened. " * 4


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return compile_watchlist(parse_watchlist(WATCHLIST))


SCENARIOS = [
    pytest.param(
        "Court news",
        "Aslan Berdibekov was sentenced to five years.",
        "urgent",
        id="name and urgent word in one sentence",
    ),
    pytest.param(
        "Aslan Berdibekov sentenced",
        "The court met on Monday.",
        "urgent",
        id="name and urgent word in the title",
    ),
    pytest.param(
        "Court news",
        f"Aslan Berdibekov spoke. {FILLER}Others were sentenced.",
        "digest",
        id="name and urgent word in different sentences",
    ),
    pytest.param(
        "Teacher sentenced to five years",
        f"{FILLER}Aslan Berdibekov taught history.",
        "urgent",
        id="urgent word in the title, name in the body",
    ),
    pytest.param(
        "Court news",
        "The trial of Aslan Berdibekov opened.",
        "digest",
        id="name with a court word that is not urgent",
    ),
    pytest.param(
        "Court news",
        "A court in Almaty sentenced a blogger.",
        "region",
        id="court word and a place in one sentence",
    ),
    pytest.param(
        "Kazakh blogger on trial",
        f"{FILLER}The court sentenced him.",
        "region",
        id="place in the title",
    ),
    pytest.param(
        "Court news",
        f"A court sentenced a blogger. {FILLER}He once visited Almaty.",
        "drop",
        id="place far from the court word",
    ),
    pytest.param(
        "Court news",
        "A court in Paris sentenced a blogger.",
        "drop",
        id="court word elsewhere",
    ),
    pytest.param(
        "Remembering",
        "The March events were remembered in Georgia.",
        "drop",
        id="everyday case phrase without a region",
    ),
    pytest.param(
        "Remembering",
        "The March events were remembered in Almaty.",
        "digest",
        id="everyday case phrase with a region",
    ),
    pytest.param(
        "Remembering",
        "In March 2031 the protest spread in Lyon.",
        "drop",
        id="case pattern without a region",
    ),
    pytest.param(
        "Remembering",
        "Bitter March was remembered in Lyon.",
        "digest",
        id="case name needs no region",
    ),
    pytest.param("Weather", "Rain in Almaty.", "drop", id="nothing watched"),
]


@pytest.mark.parametrize(("title", "text", "kind"), SCENARIOS)
def test_where_an_article_goes(matcher: Matcher, title: str, text: str, kind: str) -> None:
    """Each kind of article lands where the delivery rules say."""
    decision = decide_delivery(
        matcher.analyse(title, text), matcher.watchlist, published=NOW, now=NOW
    )
    assert decision.kind == kind, decision.reason


def test_old_and_backlog_articles_are_never_urgent(matcher: Matcher) -> None:
    """An old verdict, or one in an outlet's first poll, goes to the digest, saying why."""
    analysis = matcher.analyse("News", "Aslan Berdibekov was sentenced to five years.")
    watchlist = matcher.watchlist
    old = NOW - URGENT_WINDOW - timedelta(hours=1)
    fresh = NOW - URGENT_WINDOW + timedelta(hours=1)
    assert decide_delivery(analysis, watchlist, published=fresh, now=NOW).kind == "urgent"
    late = decide_delivery(analysis, watchlist, published=old, now=NOW)
    assert (late.kind, late.stage) == ("digest", "verdict")
    assert old.strftime("%d %b %Y") in late.reason
    backlog = decide_delivery(analysis, watchlist, published=NOW, now=NOW, backlog=True)
    assert backlog.kind == "digest" and "first poll" in backlog.reason
    undated = decide_delivery(analysis, watchlist, published=None, now=NOW)
    assert undated.kind == "urgent"


def test_evidence_is_the_sentence_where_name_and_court_word_meet(matcher: Matcher) -> None:
    """The stored snippet of the name is the sentence it shares with the court word."""
    text = (
        "Aslan Berdibekov was a teacher in a small town. "
        "On Friday the judge sentenced Aslan Berdibekov to five years. "
        "His lawyer will appeal."
    )
    decision = decide_delivery(
        matcher.analyse("Teacher sentenced", text), matcher.watchlist, published=NOW, now=NOW
    )
    assert (decision.kind, decision.stage) == ("urgent", "verdict")
    person = next(m for m in decision.matches if m.entry_id == "berdibekov")
    assert person.snippet == "On Friday the judge sentenced Aslan Berdibekov to five years."
    court = next(m for m in decision.matches if m.entry_id == "verdict")
    assert court.form == "sentenced" and court.start > len("Teacher sentenced")


def test_regional_story_reports_its_places(matcher: Matcher) -> None:
    """A regional trial names the place that made it regional."""
    decision = decide_delivery(
        matcher.analyse("", "Суд в Алматы приговорил блогера."),
        matcher.watchlist,
        published=NOW,
        now=NOW,
    )
    assert decision.kind == "region" and decision.stage == "verdict"
    assert [m.entry_id for m in decision.matches if m.kind == "region"] == ["Almaty"]


def test_the_stage_word_is_the_first_keyword(matcher: Matcher) -> None:
    """The court word that decided the stage is stored first among the keywords."""
    text = "The trial went on for weeks. On Friday Aslan Berdibekov was sentenced."
    decision = decide_delivery(
        matcher.analyse("Court news", text), matcher.watchlist, published=NOW, now=NOW
    )
    keywords = [m.entry_id for m in decision.matches if m.kind == "keyword"]
    assert decision.stage == "verdict" and keywords == ["verdict", "hearing"]


def test_match_text_says_where_an_article_would_go(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`trialwatch match --route --text` names the places found and where such an article goes."""
    path = tmp_path / "w.yaml"
    path.write_text(WATCHLIST, encoding="utf-8")
    assert (
        main(
            [
                "match",
                "--watchlist",
                str(path),
                "--route",
                "--text",
                "A court in Almaty sentenced a blogger.",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "places: Almaty" in out
    assert "as a fresh article: region (court words in the region (Almaty))" in out
    assert (
        main(
            [
                "match",
                "--watchlist",
                str(path),
                "--route",
                "--text",
                "A court in Lyon sentenced a banker.",
            ]
        )
        == 0
    )
    assert (
        "as a fresh article: drop (court words with no regional context)" in capsys.readouterr().out
    )
