"""Precision and recall of the matcher on a labelled set of our own sentences.

tests/data/matching/sentences.txt has 180 sentences in English, Russian and
Kazakh (Cyrillic and Latin), each labelled with the watchlist entries it
mentions; the watchlist writes each person once, in one script.
"""

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from matchers import compile_watchlist, parse_watchlist

DATA = Path(__file__).parent / "data" / "matching"
# Targets: people ≥ 0.95 both ways (the bar); cases and keywords are
# judged on whole phrases and patterns, where co-occurrence patterns admit
# the odd false hit, so their bar is 0.9.
TARGETS = {"person": 0.95, "case": 0.9, "keyword": 0.9}


@dataclass(frozen=True)
class Labelled:
    line: int
    lang: str
    expected: frozenset[str]
    text: str


def labelled(name: str = "sentences.txt") -> list[Labelled]:
    rows = []
    for number, line in enumerate((DATA / name).read_text("utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        lang, expected, text = (part.strip() for part in line.split("|", 2))
        ids = frozenset() if expected == "-" else frozenset(e.strip() for e in expected.split(","))
        rows.append(Labelled(number, lang, ids, text))
    return rows


def evaluate(
    name: str = "sentences.txt", watchlist_file: str = "watchlist.yaml"
) -> tuple[Counter[tuple[str, str, str]], list[str]]:
    watchlist = parse_watchlist((DATA / watchlist_file).read_text("utf-8"))
    kinds = {p.id: "person" for p in watchlist.people}
    kinds |= {c.id: "case" for c in watchlist.cases}
    kinds |= {k.id: "keyword" for k in watchlist.keywords}
    matcher = compile_watchlist(watchlist)
    counts: Counter[tuple[str, str, str]] = Counter()  # (kind, lang, tp|fp|fn)
    errors = []
    for row in labelled(name):
        found = {m.entry_id for m in matcher.match("", row.text) if m.deliverable}
        for entry in found | row.expected:
            outcome = ("tp" if entry in row.expected else "fp") if entry in found else "fn"
            counts[kinds[entry], row.lang, outcome] += 1
            if outcome != "tp":
                errors.append(f"line {row.line}: {outcome} {entry}: {row.text}")
    return counts, errors


def ratio(good: int, bad: int) -> float:
    return good / (good + bad) if good + bad else 1.0


def test_labelled_set_is_big_and_varied() -> None:
    """At least 150 sentences, every language and script, every kind, negatives too."""
    rows = labelled()
    assert len(rows) >= 150
    assert {r.lang for r in rows} == {"en", "ru", "kk", "kkl"}
    assert sum(1 for r in rows if not r.expected) >= 40


@pytest.mark.parametrize("kind", sorted(TARGETS))
def test_precision_and_recall_per_kind(kind: str) -> None:
    """Each kind of entry meets its precision and recall target, all languages together."""
    counts, errors = evaluate()
    tp = sum(n for (k, _, o), n in counts.items() if k == kind and o == "tp")
    fp = sum(n for (k, _, o), n in counts.items() if k == kind and o == "fp")
    fn = sum(n for (k, _, o), n in counts.items() if k == kind and o == "fn")
    report = "\n".join(errors)
    assert ratio(tp, fp) >= TARGETS[kind], f"precision {ratio(tp, fp):.3f}\n{report}"
    assert ratio(tp, fn) >= TARGETS[kind], f"recall {ratio(tp, fn):.3f}\n{report}"


@pytest.mark.parametrize("lang", ["en", "ru", "kk", "kkl"])
def test_people_per_language(lang: str) -> None:
    """People are found in every language and script, not only on average."""
    counts, errors = evaluate()
    tp, fp, fn = (counts["person", lang, o] for o in ("tp", "fp", "fn"))
    assert ratio(tp, fp) >= 0.9 and ratio(tp, fn) >= 0.9, "\n".join(errors)


@pytest.mark.parametrize("name", ["heldout.txt", "heldout2.txt"])
@pytest.mark.parametrize(("kind", "target"), [("person", 0.95), ("case", 0.85)])
def test_held_out_sentences(name: str, kind: str, target: float) -> None:
    """Sentences written after the rules were frozen meet the issue's targets."""
    counts, errors = evaluate(name)
    tp, fp, fn = (
        sum(n for (k, _, o), n in counts.items() if k == kind and o == outcome)
        for outcome in ("tp", "fp", "fn")
    )
    assert ratio(tp, fp) >= target and ratio(tp, fn) >= target, "\n".join(errors)


ROUND2 = ("round2_heldout.txt", "round2_watchlist.yaml")
ROUND2_TARGETS = {"person": (0.97, 0.97), "keyword": (0.95, 0.93), "case": (0.95, 0.9)}


def test_round2_set_is_a_quarter_kazakh() -> None:
    rows = labelled(ROUND2[0])
    assert len(rows) >= 100
    assert sum(1 for r in rows if r.lang in ("kk", "kkl")) >= len(rows) / 4


@pytest.mark.parametrize("kind", sorted(ROUND2_TARGETS))
def test_round2_held_out_targets(kind: str) -> None:
    """Issue 11's targets on the round-2 set (Kazakh spellings, women's surnames, one letter
    off, aliases, word families, the court lexicon, sense-changing context): people in each
    language, keywords and cases over all languages."""
    counts, errors = evaluate(*ROUND2)
    precision, recall = ROUND2_TARGETS[kind]
    groups = [["en"], ["ru"], ["kk", "kkl"]] if kind == "person" else [["en", "ru", "kk", "kkl"]]
    for langs in groups:
        tp, fp, fn = (sum(counts[kind, x, o] for x in langs) for o in ("tp", "fp", "fn"))
        assert ratio(tp, fp) >= precision, (langs, "\n".join(errors))
        assert ratio(tp, fn) >= recall, (langs, "\n".join(errors))


# python -m tests.test_matching_quality [SENTENCES [WATCHLIST]]: the table
if __name__ == "__main__":
    import sys

    counts, errors = evaluate(*sys.argv[1:])
    print("kind     lang  precision  recall   tp  fp  fn")
    for kind in sorted(TARGETS):
        for lang in ["en", "ru", "kk", "kkl", "all"]:
            langs = ["en", "ru", "kk", "kkl"] if lang == "all" else [lang]
            tp, fp, fn = (sum(counts[kind, x, o] for x in langs) for o in ("tp", "fp", "fn"))
            if tp + fp + fn:
                print(
                    f"{kind:8} {lang:5} {ratio(tp, fp):9.3f} {ratio(tp, fn):7.3f} "
                    f"{tp:4} {fp:3} {fn:3}"
                )
    print("\n".join(errors))
