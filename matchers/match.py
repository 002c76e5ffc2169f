"""Find watchlist entries in article text. Pure: no I/O, no clock.

    matcher = compile_watchlist(watchlist)        # once per watchlist
    matches = matcher.match(title, text, lang)    # per article

Per article: a fast pre-scan looks up each distinct word (cached) and stops
when no watched surname, case or keyword word occurs, which is most articles.
Otherwise the words are located, phrases and surnames found, and each
surname hit is scored by what stands next to it:

    surname + given name or matching initial, within 3 words,
        with no , ; : ( ) « » " — or sentence end between them                            1.0 / 0.9
    surname alone                                                                         0.75
    surname alone, entry marked common (or surname of 4 letters or fewer)                 0.35
    surname next to a *different* given name or initial (a namesake, a relative)          0.3
    man's surname in a feminine form, alone: Cyrillic -ой 0.7, Latin -a 0.45
    case name or alias 1.0; case `together` pattern in one sentence 0.8; keyword 1.0

Matches at ALERT_THRESHOLD or above are delivered.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Literal

from rapidfuzz.distance import Levenshtein

from core.records import ALERT_THRESHOLD, Match
from core.records import MatchKind as Kind
from matchers.compile import FUZZY_MIN, CompiledWatchlist, PersonIndex, Phrase, compile_index
from matchers.families import FAMILY_STOP
from matchers.forms import KAZAKH_LIGHT_REMS, KAZAKH_LOOSE_REMS, KAZAKH_SKELETON_REMS, Stemmed
from matchers.names import is_known_given_name
from matchers.normalize import (
    Token,
    has_cyrillic,
    light_keys,
    loose_skeletons,
    skeletons,
    tokenize,
    words,
)
from matchers.snippet import snippet_around
from matchers.watchlist import Watchlist

OccurrenceKind = Literal["person", "case", "keyword", "region"]
EVERYDAY = "everyday phrase"  # a case alias that is also an everyday phrase
SEPARATOR = "\n\n"
FUZZY_ALONE = "surname one letter off"
FUZZY_ALONE_SCORE = 0.55  # below the line: a near miss for `match --all` and the digest
FUZZY_WITH_CASE_SCORE = 0.7
OTHER_SENSE_SCORE = 0.4  # a keyword inside a sense-changing phrase (lexicon `context`)
OTHER_FIELD_SCORE = 0.5  # a person beside footballer/актриса/әнші and no court word
Hit = tuple[int, bool]  # (word id, is a feminine form)
# Object pronouns that may stand inside a keyword phrase (found him guilty).
_PRONOUNS = frozenset(
    {"him", "her", "them", "it", "his", "their", "его", "её", "ее", "их"}
    | {"него", "неё", "нее", "них", "оны", "оларды", "оған", "соны"}
)

_BLOCKING = re.compile(r"[,;:()«»\"“”!?—–\[\]]|[.…](\s|$)|\n")
_SENTENCE_GAP = re.compile(r"[.!?…]+[\"»”)]*\s|\n")
_CACHE_LIMIT = 400_000
_WINDOW = 3  # a given name this many words from the surname, or nearer


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One place where an entry (or a region, by its name) occurs, and its sentence."""

    entry_id: str
    kind: Kind
    start: int  # offsets in article_text(title, text)
    end: int
    score: float
    reason: str
    sentence: int  # sentence number; the title's sentences come first


_Found = Occurrence


@dataclass(frozen=True, slots=True)
class Analysis:
    """What `Matcher.analyse` found: the best match per entry, and every occurrence
    (regions included) with the sentences they sit in, for relevance decisions."""

    text: str  # article_text(title, text)
    title_end: int  # text[:title_end] is the title
    matches: list[Match]
    occurrences: tuple[Occurrence, ...]
    sentences: tuple[tuple[int, int], ...]  # (start, end) offsets of each sentence

    def sentence_text(self, number: int) -> str:
        start, end = self.sentences[number]
        return self.text[start:end]

    def in_title(self, occurrence: Occurrence) -> bool:
        return occurrence.start < self.title_end


def article_text(title: str, text: str) -> str:
    """The text that match offsets refer to: title, blank line, body."""
    if not title or not text:
        return title or text
    return f"{title}{SEPARATOR}{text}"


class Matcher:
    """A compiled watchlist. Build once with `compile_watchlist`; reuse for every article."""

    def __init__(self, watchlist: Watchlist) -> None:
        self.watchlist = watchlist
        self.index = compile_index(watchlist)
        self._hits: dict[str, tuple[Hit, ...]] = {}
        # Distinct text words seen so far, split by whether they can start a match:
        # the pre-scan of an article is then a few C-speed set operations.
        self._anchor_words: set[str] = set()
        self._other_words: set[str] = set()
        self._weak_words: dict[str, set[int]] = {}  # word → second words it needs

    def match(self, title: str, text: str, lang: str | None = None) -> list[Match]:
        """Every entry found in the article, each with its best occurrence."""
        return self.analyse(title, text, lang).matches

    def analyse(self, title: str, text: str, lang: str | None = None) -> Analysis:
        """`match`, plus every occurrence and region with its sentence.
        Regions are looked for only in articles where an entry occurs."""
        full = article_text(title, text)
        distinct = set(words(full))
        for word in distinct - self._other_words - self._anchor_words - self._weak_words.keys():
            self._classify(word)
        if distinct.isdisjoint(self._anchor_words) and not self._phrase_possible(distinct):
            return Analysis(full, len(title), [], (), ())
        scan = _Scan(self, full, len(title))
        matches, occurrences = scan.run()
        return Analysis(full, len(title), matches, tuple(occurrences), scan.sentence_spans())

    def hits(self, word: str) -> tuple[Hit, ...]:
        """Watched words this text word is a form of (cached per distinct word)."""
        found = self._hits.get(word)
        if found is None:
            if len(self._hits) > _CACHE_LIMIT:
                self._hits.clear()
                self._anchor_words.clear()
                self._other_words.clear()
                self._weak_words.clear()
            found = self._hits[word] = self._lookup(word)
        return found

    def _classify(self, word: str) -> None:
        # Names are capitalised in text: a lowercase word cannot start a name match.
        index = self.index
        anchors = index.anchors if word[:1].isupper() else index.phrase_anchors
        starts = [w for w, _ in self.hits(word) if w in anchors]
        if any(w in index.alone for w in starts):
            self._anchor_words.add(word)
        elif starts:  # starts only phrases of several words
            self._weak_words[word] = {n for w in starts for n in index.phrase_next.get(w, ())}
        else:
            self._other_words.add(word)

    def _phrase_possible(self, distinct: set[str]) -> bool:
        """Does a word that starts a phrase of several words occur with that phrase's
        second word? (Most articles with `prison` have no `term`.)"""
        needed: set[int] = set()
        for word in distinct & self._weak_words.keys():
            needed |= self._weak_words[word]
        if not needed:
            return False
        return any(w in needed for word in distinct for w, _ in self.hits(word))

    def _lookup(self, word: str) -> tuple[Hit, ...]:
        index = self.index
        found: list[Hit] = []
        latin = not has_cyrillic(word)
        for key in skeletons(word):
            found += _probe(key, index.skeleton_stems, index.max_rem, latin, KAZAKH_SKELETON_REMS)
        for key in light_keys(word):
            found += _probe(key, index.light_stems, index.max_rem, latin, KAZAKH_LIGHT_REMS)
        if word[:1].isupper():  # names are capitalised
            exact = bool(found)
            if index.loose_stems:
                for key in loose_skeletons(word):
                    found += _probe(key, index.loose_stems, index.max_rem, latin, KAZAKH_LOOSE_REMS)
            if not exact and index.fuzzy:
                found += self._one_letter_off(word)
        return tuple(dict.fromkeys(found))

    def _one_letter_off(self, word: str) -> list[Hit]:
        """Long surnames one edit away (rapidfuzz Levenshtein), via the deletion index."""
        index, found = self.index, []
        for key in skeletons(word):
            for k in range(len(key), max(FUZZY_MIN - 2, len(key) - index.max_rem - 1), -1):
                prefix, rem = key[:k], key[k:]
                probes = {prefix, *(prefix[:i] + prefix[i + 1 :] for i in range(len(prefix)))}
                for probe in probes:
                    for stemmed, twin in index.fuzzy.get(probe, ()):
                        if (
                            prefix != stemmed.stem
                            and stemmed.allows(rem, KAZAKH_SKELETON_REMS)
                            and Levenshtein.distance(prefix, stemmed.stem, score_cutoff=1) <= 1
                        ):
                            found.append((twin, False))
        return found


def _probe(
    key: str,
    table: dict[str, list[tuple[Stemmed, int]]],
    max_rem: int,
    latin: bool,
    kazakh_rems: frozenset[str],
) -> list[Hit]:
    found = []
    for k in range(len(key), max(0, len(key) - max_rem) - 1, -1):
        for stemmed, word_id in table.get(key[:k], ()):
            rem = key[k:]
            if stemmed.allows(rem, kazakh_rems) and not (stemmed.family and key in FAMILY_STOP):
                # Cyrillic -а is also a man's genitive; in Latin script it marks a woman.
                female = rem in stemmed.female or (latin and rem == "a")
                found.append((word_id, female))
    return found


class _Scan:
    """One article being matched: tokens, sentences, hits, and what they add up to."""

    def __init__(self, matcher: Matcher, full: str, title_end: int) -> None:
        self.ix: CompiledWatchlist = matcher.index
        self.full = full
        self.title_end = title_end
        self.tokens = tokenize(full)
        self.hits = [matcher.hits(t.text) for t in self.tokens]
        self.sentence = _sentence_numbers(full, self.tokens)

    def run(self) -> tuple[list[Match], list[Occurrence]]:
        """(best match per entry, every occurrence including regions)."""
        phrases = self._phrases()
        excluded = {(p.owner, s) for p, _, _, s in phrases if p.purpose == "exclude"}
        scoped = {p.owner for p, _, _, _ in phrases if p.purpose == "scope"}
        found = [*self._people(), *self._cases(phrases), *self._keywords(phrases, scoped)]
        entry_no = self.ix.entry_numbers
        kept = self._demote_relatives(
            [f for f in found if (entry_no[f.entry_id], f.sentence) not in excluded]
        )
        kept = self._namesakes(kept, {s for p, _, _, s in phrases if p.purpose == "field"})
        if any(f.kind == "case" and f.score >= ALERT_THRESHOLD for f in kept):
            # A watched case named in the article confirms a surname one letter off.
            kept = [
                replace(f, score=FUZZY_WITH_CASE_SCORE, reason=f"{FUZZY_ALONE}, case named")
                if f.reason == FUZZY_ALONE
                else f
                for f in kept
            ]
        return self._best(kept), kept + self._regions(phrases)

    @staticmethod
    def _namesakes(found: list[Occurrence], field: set[int]) -> list[Occurrence]:
        """A person in a sentence about sport or the stage (footballer, актриса, әнші)
        and with no court word is likely a namesake: below the line."""
        if not field:
            return found
        court = {f.sentence for f in found if f.kind == "keyword" and f.score >= ALERT_THRESHOLD}
        return [
            replace(f, score=min(f.score, OTHER_FIELD_SCORE), reason=f"{f.reason}, other field")
            if f.kind == "person" and f.sentence in field and f.sentence not in court
            else f
            for f in found
        ]

    def _regions(self, phrases: list[tuple[Phrase, int, int, int]]) -> list[Occurrence]:
        regions = self.ix.watchlist.regions
        return [
            Occurrence(
                regions[p.owner].name,
                "region",
                self.tokens[i].start,
                self.tokens[end].end,
                1.0,
                "region",
                sentence,
            )
            for p, i, end, sentence in phrases
            if p.purpose == "region"
        ]

    def sentence_spans(self) -> tuple[tuple[int, int], ...]:
        spans: dict[int, tuple[int, int]] = {}
        for token, number in zip(self.tokens, self.sentence, strict=True):
            start = spans.get(number, (token.start, token.end))[0]
            spans[number] = (start, token.end)
        return tuple(spans[n] for n in sorted(spans))

    def _phrases(self) -> list[tuple[Phrase, int, int, int]]:
        """(phrase, first token, last token, sentence) for every phrase found."""
        ix, out = self.ix, []
        for i, token_hits in enumerate(self.hits):
            for word_id, _ in token_hits:
                for phrase_no in ix.phrase_starts.get(word_id, ()):
                    phrase = ix.phrases[phrase_no]
                    end = self._phrase_end(phrase, i)
                    if end is None:
                        continue
                    if phrase.proper and not self.tokens[i].text[:1].isupper():
                        continue
                    out.append((phrase, i, end, self.sentence[i]))
        return out

    def _phrase_end(self, phrase: Phrase, i: int) -> int | None:
        """The last token of `phrase` starting at token i, or None. A keyword phrase
        may have one pronoun inside (found him guilty, признал его виновным)."""
        j, gap = i, phrase.purpose == "keyword" and len(phrase.words) > 1
        for k, want in enumerate(phrase.words):
            if j >= len(self.tokens):
                return None
            if k and gap and not any(w == want for w, _ in self.hits[j]):
                if light_keys(self.tokens[j].text)[0] not in _PRONOUNS:
                    return None
                gap, j = False, j + 1
                if j >= len(self.tokens):
                    return None
            if not any(w == want for w, _ in self.hits[j]):
                return None
            j += 1
        return j - 1

    def _people(self) -> list[_Found]:
        out = []
        for i, token_hits in enumerate(self.hits):
            if not self.tokens[i].text[:1].isupper():
                continue  # names are capitalised; lowercase «мама» is not Mamay
            for word_id, female in token_hits:
                for use in self.ix.name_uses.get(word_id, ()):
                    person = self.ix.people[use.owner]
                    found = self._assemble(person, i, female, role=use.role)
                    if found is not None:
                        out.append(found)
        return out

    def _assemble(self, person: PersonIndex, i: int, female: bool, *, role: str) -> _Found | None:
        """Score a surname hit by its neighbours. `role`: surname; root or loose (a
        bare root, a Kazakh spelling: only with a given name or initial); fuzzy
        (one letter off: 0.9 with a given name or initial, else below the line)."""
        token = self.tokens[i]
        best: tuple[float, str, int] | None = None
        other = False
        for j in self._neighbours(i):
            near = self.tokens[j]
            if not near.text[:1].isupper():
                continue
            if any(w in person.given for w, _ in self.hits[j]):
                best = (1.0, "full name", j)
                break
            if self._is_initial(j):
                if skeletons(near.text)[0][:1] in person.initials:
                    best = best or (0.9, "initial + surname", j)
                elif abs(j - i) == 1:
                    other = True
            elif self._is_given_one_letter_off(j, person):
                best = best or (0.9, "full name, given name one letter off", j)
            elif abs(j - i) == 1 and self._is_other_given_name(j, person):
                other = True
        if best is not None:
            score, reason, j = best
            if role == "fuzzy":
                score, reason = score - 0.1, f"{reason}, surname one letter off"
            start, end = min(token.start, self.tokens[j].start), max(token.end, self.tokens[j].end)
            return _Found(person.entry_id, "person", start, end, score, reason, self.sentence[i])
        if role in ("root", "loose"):
            return None  # a bare root (Kudaibergen) or loose spelling counts only when confirmed
        score, reason = 0.75, "surname"
        if role == "fuzzy":
            score, reason = FUZZY_ALONE_SCORE, FUZZY_ALONE
        elif other:
            score, reason = 0.3, "surname, other given name"
        elif person.common:
            score, reason = 0.35, "surname (common)"
        elif female and not person.female:
            score, reason = (0.7 if has_cyrillic(token.text) else 0.45), "surname, feminine form"
        return _Found(
            person.entry_id, "person", token.start, token.end, score, reason, self.sentence[i]
        )

    def _is_given_one_letter_off(self, j: int, person: PersonIndex) -> bool:
        """Nurlam for Nurlan: an unknown word one edit from a given name of 5+ letters."""
        if self.hits[j] or is_known_given_name(self.tokens[j].text):
            return False
        key = skeletons(self.tokens[j].text)[0]
        return len(key) >= 5 and any(
            len(given) >= 5 and Levenshtein.distance(key, given, score_cutoff=1) <= 1
            for given in person.given_keys
        )

    def _neighbours(self, i: int) -> list[int]:
        """Token indexes near i, nearest first, not across blocking punctuation."""
        out = []
        for step in (-1, 1):
            j = i
            for _ in range(_WINDOW):
                j += step
                if not 0 <= j < len(self.tokens):
                    break
                left, right = (j, j + 1) if step < 0 else (j - 1, j)
                gap = self.full[self.tokens[left].end : self.tokens[right].start]
                if _BLOCKING.search(gap) and not (self._is_initial(left) and gap.strip() == "."):
                    break
                out.append(j)
        return sorted(out, key=lambda j: abs(j - i))

    def _is_initial(self, j: int) -> bool:
        """One capital letter, or a digraph like Sh/Zh/Kh, followed by a full stop."""
        token = self.tokens[j]
        text = token.text
        return (
            (len(text) == 1 or (len(text) == 2 and text[1].islower() and text.isalpha()))
            and text[:1].isupper()
            and self.full[token.end : token.end + 1] == "."
        )

    def _is_other_given_name(self, j: int, person: PersonIndex) -> bool:
        token_hits = self.hits[j]
        if any(w in person.given for w, _ in token_hits):
            return False
        return any(w in self.ix.given_words for w, _ in token_hits) or is_known_given_name(
            self.tokens[j].text
        )

    def _cases(self, phrases: list[tuple[Phrase, int, int, int]]) -> list[_Found]:
        out = []
        groups: dict[tuple[int, int], set[int]] = defaultdict(set)  # (pattern, sentence)
        spans: dict[tuple[int, int], list[int]] = defaultdict(list)
        for phrase, i, end, sentence in phrases:
            if phrase.purpose in ("case", "everyday"):
                case = self.ix.watchlist.cases[phrase.owner]
                out.append(
                    _Found(
                        case.id,
                        "case",
                        self.tokens[i].start,
                        self.tokens[end].end,
                        1.0,
                        "alias" if phrase.purpose == "case" else EVERYDAY,
                        sentence,
                    )
                )
            elif phrase.purpose == "together":
                pattern = phrase.group >> 8
                groups[pattern, sentence].add(phrase.group & 0xFF)
                spans[pattern, sentence] += [self.tokens[i].start, self.tokens[end].end]
        for (pattern, sentence), seen in groups.items():
            case_no, size = self.ix.patterns[pattern]
            if len(seen) == size:
                where = spans[pattern, sentence]
                out.append(
                    _Found(
                        self.ix.watchlist.cases[case_no].id,
                        "case",
                        min(where),
                        max(where),
                        0.8,
                        "pattern",
                        sentence,
                    )
                )
        return out

    def _keywords(
        self, phrases: list[tuple[Phrase, int, int, int]], scoped: set[int]
    ) -> list[_Found]:
        out = []
        for phrase, i, end, sentence in phrases:
            if phrase.purpose != "keyword":
                continue
            keyword = self.ix.watchlist.keywords[phrase.owner]
            if keyword.scope and phrase.owner not in scoped:
                continue
            # Inside a phrase that changes its sense (a free trial): below the line.
            other_sense = any(
                s.owner == phrase.owner and si <= i and end <= send
                for s, si, send, _ in phrases
                if s.purpose == "sense"
            )
            out.append(
                _Found(
                    keyword.id,
                    "keyword",
                    self.tokens[i].start,
                    self.tokens[end].end,
                    OTHER_SENSE_SCORE if other_sense else 1.0,
                    "keyword, other sense" if other_sense else "keyword",
                    sentence,
                )
            )
        return out

    def _demote_relatives(self, found: list[_Found]) -> list[_Found]:
        """A surname seen next to another given name, and never with the watched one,
        is that other person throughout the article (Gulnar Bokayeva … Bokayeva said)."""
        by_entry: dict[str, list[_Found]] = defaultdict(list)
        for f in found:
            by_entry[f.entry_id].append(f)
        out = []
        for entry, items in by_entry.items():
            named = any(f.score >= 0.9 for f in items)
            relative = any(f.reason == "surname, other given name" for f in items)
            for f in items:
                if relative and not named and f.kind == "person" and f.score < 0.9:
                    f = _Found(
                        entry,
                        f.kind,
                        f.start,
                        f.end,
                        min(f.score, 0.3),
                        "surname, other given name",
                        f.sentence,
                    )
                out.append(f)
        return out

    def _best(self, found: list[_Found]) -> list[Match]:
        best: dict[str, _Found] = {}
        for f in found:
            current = best.get(f.entry_id)
            if current is None or _rank(f, self.title_end) > _rank(current, self.title_end):
                best[f.entry_id] = f
        matches = []
        for f in best.values():
            if f.kind == "region":
                continue  # places qualify matches (matchers.relevance); they are not entries
            snippet, mark = snippet_around(self.full, f.start, f.end)
            matches.append(
                Match(
                    f.entry_id,
                    f.kind,
                    self.full[f.start : f.end],
                    f.start,
                    f.end,
                    f.score,
                    f.reason,
                    snippet,
                    mark,
                )
            )
        return sorted(matches, key=lambda m: (m.start, m.entry_id))


def _rank(f: _Found, title_end: int) -> tuple[float, bool, int]:
    # Best score; on a tie, an occurrence in the body gives the better snippet.
    return (f.score, f.start > title_end, -f.start)


def _sentence_numbers(full: str, tokens: list[Token]) -> list[int]:
    numbers, current = [], 0
    for k, token in enumerate(tokens):
        if k:
            prev = tokens[k - 1]
            gap = full[prev.end : token.start]
            is_initial = len(prev.text) <= 2 and prev.text[:1].isupper() and gap.strip() == "."
            if _SENTENCE_GAP.search(gap + " ") and not is_initial:
                current += 1
        numbers.append(current)
    return numbers


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
