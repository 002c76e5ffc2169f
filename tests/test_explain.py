"""`trialwatch match --explain`: what an entry finds, per script, before an article is missed."""

from pathlib import Path

import pytest

from bot.cli import main

WATCHLIST = """
defendants:
  - {id: temirbekov, name: Arman Temirbekov}
  - {id: ma-xiaolong, name: Ma Xiaolong}
  - {id: ma-xiaolong-aliased, name: Ma Xiaolong, aliases: [Ма Сяолун]}
keywords:
  - {id: verdict, terms: [verdict], urgent: true}
  - {id: exact, terms: [приговор], exact: true}
"""


@pytest.fixture
def watchlist(tmp_path: Path) -> Path:
    path = tmp_path / "watchlist.yaml"
    path.write_text(WATCHLIST, encoding="utf-8")
    return path


def explain(watchlist: Path, entry: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["match", "--watchlist", str(watchlist), "--explain", entry])
    return code, capsys.readouterr().out


def test_person_spellings_per_script(watchlist: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = explain(watchlist, "temirbekov", capsys)
    assert code == 0
    assert "man's entry" in out
    assert "found      Cyrillic (best guess)  nominative           Арман Темирбеков" in out
    assert "Арман Темирбековтың" in out and "Arman Temirbekov's" in out


def test_underivable_name_shows_what_an_alias_adds(
    watchlist: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pinyin x/q/zh are no transliteration of Russian: the alias is what finds «Сяолун»."""
    main(["match", "--watchlist", str(watchlist), "--text", "Суд над Ма Сяолуном."])
    entries = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]]
    assert entries == ["ma-xiaolong-aliased"]
    code, out = explain(watchlist, "ma-xiaolong-aliased", capsys)
    assert code == 0 and "aliases: Ма Сяолун" in out


def test_keyword_expansion(watchlist: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = explain(watchlist, "verdict", capsys)
    assert code == 0
    assert "court lexicon concept(s): verdict" in out and "үкім" in out
    assert "convicted: convict…" in out
    assert "free" not in out and "critics' verdict" in out
    code, out = explain(watchlist, "exact", capsys)
    assert "exact: no lexicon, no families" in out and "lexicon concept" not in out


def test_unknown_entry(watchlist: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = explain(watchlist, "nobody", capsys)
    assert code == 1 and "no entry with the id or name 'nobody'" in out
