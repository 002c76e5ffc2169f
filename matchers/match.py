"""Find watchlist entries in article text. Pure: no I/O, no clock.

    matcher = compile_watchlist(watchlist)        # once per watchlist
    matches = matcher.match(title, text)          # per article

A phrase (a name, alias or term) matches where its words appear as whole
words, in order, after `normalize.word_key`.
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from matchers.normalize import Token, phrase_keys, tokenize, word_key
from matchers.snippet import snippet_around
from matchers.watchlist import Watchlist

Kind = Literal["person", "case", "keyword"]
ALERT_THRESHOLD = 0.6
SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class Match:
    """One watchlist entry found in one article."""

    entry_id: str
    kind: Kind
    form: str  # the words as written in the article
    start: int  # offsets in article_text(title, text)
    end: int
    score: float  # 0..1; delivered when >= ALERT_THRESHOLD
    reason: str  # full name, surname, initial + surname, alias, pattern, keyword
    snippet: str
    snippet_mark: tuple[int, int]  # where `form` sits inside `snippet`

    @property
    def deliverable(self) -> bool:
        return self.score >= ALERT_THRESHOLD


@dataclass(frozen=True, slots=True)
class _Phrase:
    entry_id: str
    kind: Kind
    keys: tuple[str, ...]
    score: float
    reason: str


def article_text(title: str, text: str) -> str:
    """The text that match offsets refer to: title, blank line, body."""
    return f"{title}{SEPARATOR}{text}" if text else title


class Matcher:
    """A compiled watchlist: an index from first word key to phrases."""

    def __init__(self, watchlist: Watchlist) -> None:
        self.watchlist = watchlist
        self._index: dict[str, list[_Phrase]] = defaultdict(list)
        for person in watchlist.people:
            for name in (person.name, *person.aliases):
                self._add(_Phrase(person.id, "person", phrase_keys(name), 1.0, "full name"))
            surname = person.surname or person.name.split()[-1]
            score = 0.35 if person.common else 0.75
            self._add(_Phrase(person.id, "person", phrase_keys(surname), score, "surname"))
        for case in watchlist.cases:
            for name in (case.name, *case.aliases):
                self._add(_Phrase(case.id, "case", phrase_keys(name), 1.0, "alias"))
        for keyword in watchlist.keywords:
            for term in keyword.terms:
                self._add(_Phrase(keyword.id, "keyword", phrase_keys(term), 1.0, "keyword"))

    def _add(self, phrase: _Phrase) -> None:
        if phrase.keys:
            self._index[phrase.keys[0]].append(phrase)

    def match(self, title: str, text: str, lang: str | None = None) -> list[Match]:
        """Every entry found in the article, with its best-scoring occurrence."""
        full = article_text(title, text)
        tokens = tokenize(full)
        keys = [word_key(t.text) for t in tokens]
        best: dict[str, Match] = {}
        for i, key in enumerate(keys):
            for phrase in self._index.get(key, ()):
                n = len(phrase.keys)
                if tuple(keys[i : i + n]) != phrase.keys:
                    continue
                found = _make_match(full, tokens[i : i + n], phrase)
                current = best.get(phrase.entry_id)
                if current is None or found.score > current.score:
                    best[phrase.entry_id] = found
        return sorted(best.values(), key=lambda m: (m.start, m.entry_id))


def _make_match(full: str, tokens: list[Token], phrase: _Phrase) -> Match:
    start, end = tokens[0].start, tokens[-1].end
    snippet, mark = snippet_around(full, start, end)
    return Match(
        entry_id=phrase.entry_id,
        kind=phrase.kind,
        form=full[start:end],
        start=start,
        end=end,
        score=phrase.score,
        reason=phrase.reason,
        snippet=snippet,
        snippet_mark=mark,
    )


def compile_watchlist(watchlist: Watchlist) -> Matcher:
    """Build the index once; reuse it for every article."""
    return Matcher(watchlist)


def is_urgent(matches: list[Match], watchlist: Watchlist) -> bool:
    """A person or case match together with a keyword marked urgent."""
    urgent_ids = {k.id for k in watchlist.keywords if k.urgent}
    deliverable = [m for m in matches if m.deliverable]
    return any(m.kind in ("person", "case") for m in deliverable) and any(
        m.entry_id in urgent_ids for m in deliverable
    )
