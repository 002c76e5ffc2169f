"""Matcher behaviour a user relies on, scenario by scenario."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from matchers import compile_watchlist, is_urgent, parse_watchlist

WATCHLIST = """
defendants:
  - id: kulekbayev
    name: Ruslan Kulekbayev
  - id: mamay
    name: Zhanbolat Mamay
    exclude: [Khan]
cases:
  - id: qantar
    name: Bloody January
    aliases: [Кровавый январь]
keywords:
  - id: verdict
    terms: [приговор, verdict]
    urgent: true
  - id: prisoner
    terms: [political prisoner]
    with: [Kazakhstan, Казахстан]
"""
MATCHER = compile_watchlist(parse_watchlist(WATCHLIST))


def found(text: str, title: str = "") -> dict[str, tuple[str, str, float]]:
    return {m.entry_id: (m.form, m.reason, m.score) for m in MATCHER.match(title, text)}


@pytest.mark.parametrize(
    ("text", "entry", "form", "reason"),
    [
        ("Суд вынес приговор Руслану Кулекбаеву.", "kulekbayev", "Руслану Кулекбаеву", "full name"),
        ("Р. Кулекбаев подал жалобу.", "kulekbayev", "Р. Кулекбаев", "initial + surname"),
        ("Кулекбаевтың адвокаты сөйледі.", "kulekbayev", "Кулекбаевтың", "surname"),
        ("Годовщина Кровавого января.", "qantar", "Кровавого января", "alias"),
        ("Приговором недовольны.", "verdict", "Приговором", "keyword"),
    ],
    ids=[
        "russian dative full name",
        "initial",
        "kazakh genitive",
        "inflected alias",
        "inflected keyword",
    ],
)
def test_forms_offsets_and_reasons(text: str, entry: str, form: str, reason: str) -> None:
    """The match names the words as written, where they are, and why they matched."""
    match = next(m for m in MATCHER.match("", text) if m.entry_id == entry)
    assert (match.form, match.reason) == (form, reason)
    assert text[match.start : match.end] == form
    start, end = match.snippet_mark
    assert match.snippet[start:end] == form


def test_exclude_vetoes_only_its_sentence() -> None:
    """An exclude phrase vetoes a match in its sentence, not elsewhere in the article."""
    assert "mamay" not in found("Khan Zhanbolat Mamay is a film character.")
    assert "mamay" in found("Khan is a title. Zhanbolat Mamay was detained.")


def test_keyword_scope() -> None:
    """A scoped keyword counts only when a scope word appears in the article."""
    assert "prisoner" not in found("He became a political prisoner in Belarus.")
    assert "prisoner" in found("Kazakhstan has a political prisoner, activists say.")


def test_urgency_needs_a_person_or_case_and_an_urgent_keyword() -> None:
    """A verdict on a watched person is urgent; a verdict alone is not."""
    assert is_urgent(MATCHER.match("Приговор Кулекбаеву", ""), MATCHER.watchlist)
    assert not is_urgent(MATCHER.match("Приговор оглашён", ""), MATCHER.watchlist)


def test_snippet_prefers_the_body_over_the_title() -> None:
    """When the title and the body both name the person, the snippet comes from the body."""
    [match] = [
        m
        for m in MATCHER.match(
            "Kulekbayev sentenced", "Ruslan Kulekbayev was sentenced today in Almaty."
        )
        if m.entry_id == "kulekbayev"
    ]
    assert match.snippet.startswith("Ruslan Kulekbayev was sentenced")


def test_cli_match_text_prints_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`trialwatch match --text` shows entry, kind, score, reason, form and snippet."""
    path = tmp_path / "w.yaml"
    path.write_text(WATCHLIST, encoding="utf-8")
    assert main(["match", "--watchlist", str(path), "--text", "Mamay spoke."]) == 0
    assert capsys.readouterr().out.strip() == "no matches"
    assert main(["match", "--watchlist", str(path), "--all", "--text", "Mamay spoke."]) == 0
    out = capsys.readouterr().out
    assert "mamay" in out and "0.35" in out and "surname (common)" in out


@pytest.mark.slow
def test_cli_match_reads_json_lines(tmp_path: Path) -> None:
    """Researchers pipe JSON lines in and get one JSON line per match out."""
    path = tmp_path / "w.yaml"
    path.write_text(WATCHLIST, encoding="utf-8")
    articles = "\n".join(
        json.dumps(a, ensure_ascii=False)
        for a in [
            {"id": "a1", "title": "Verdict", "text": "Ruslan Kulekbayev heard the verdict."},
            {"id": "a2", "title": "Weather", "text": "Sunny."},
        ]
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "match", "--watchlist", str(path), "--input", "-"],
        input=articles,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {(x["article"], x["entry"]) for x in lines} == {("a1", "verdict"), ("a1", "kulekbayev")}
    person = next(x for x in lines if x["entry"] == "kulekbayev")
    assert person["kind"] == "person" and person["score"] == 1.0
    assert set(person) >= {"form", "start", "end", "snippet"}


def test_cli_match_reports_bad_json_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken input line is named by file and line number."""
    path = tmp_path / "w.yaml"
    path.write_text(WATCHLIST, encoding="utf-8")
    data = tmp_path / "in.jsonl"
    data.write_text('{"id": 1, "title": "a", "text": "b"}\nnot json\n', encoding="utf-8")
    assert main(["match", "--watchlist", str(path), "--input", str(data)]) == 1
    assert f"{data}:2: expected a JSON object" in capsys.readouterr().err
