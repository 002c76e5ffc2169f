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

import itertools
import re
from collections import defaultdict
from collections.abc import Iterator
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
    APOSTROPHES,
    has_cyrillic,
    light_keys,
    loose_skeletons,
    skeletons,
    words,
)
from matchers.snippet import snippet_around
from matchers.tokens import AllTokens, NearTokens, Tok, sentence_spans
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
Tokens = AllTokens | NearTokens
_Placed = tuple[Phrase, Tok, Tok, int]  # a phrase found: first and last token, sentence
# Object pronouns that may stand inside a keyword phrase (found him guilty).
_PRONOUNS = frozenset(
    {"him", "her", "them", "it", "his", "their", "его", "её", "ее", "их"}
    | {"него", "неё", "нее", "них", "оны", "оларды", "оған", "соны"}
)

_BLOCKING = re.compile(r"[,;:()«»\"“”!?—–\[\]]|[.…](\s|$)|\n")
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

    @property
    def sentences(self) -> tuple[tuple[int, int], ...]:
        """(start, end) offsets of each sentence, numbered as `Occurrence.sentence`
        (worked out when asked: the scan reads only around its hits)."""
        return sentence_spans(self.text)

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
        # Distinct text words seen so far, split by what they can start: the pre-scan
        # of an article is then one C-speed set difference and a few small operations.
        self._boring: set[str] = set()  # words that start nothing (most)
        # Words a scan starts from (a capitalised form of a surname, a phrase's first
        # word) → None, or the second words one of which the article must hold too.
        self._scan_words: dict[str, frozenset[int] | None] = {}
        self._anchor_words: set[str] = set()  # those that start a match by themselves
        self._weak_words: dict[str, set[int]] = {}  # the others → second words they need
        self._forms: dict[int, set[str]] = {}  # a phrase's second word → text words of it
        self._second: dict[int, set[int]] = {}  # a phrase's first word → its second words
        self._single: set[int] = set()  # first words of phrases of one word
        for phrase in self.index.phrases:
            if len(phrase.words) > 1:
                self._second.setdefault(phrase.words[0], set()).add(phrase.words[1])
            else:
                self._single.add(phrase.words[0])
        self._seconds = {w for seconds in self._second.values() for w in seconds}

    def match(self, title: str, text: str, lang: str | None = None) -> list[Match]:
        """Every entry found in the article, each with its best occurrence."""
        return self.analyse(title, text, lang).matches

    def analyse(self, title: str, text: str, lang: str | None = None) -> Analysis:
        """`match`, plus every occurrence and region with its sentence.
        Regions are looked for only in articles where an entry occurs.

        Only the words around the watched words found are read (`NearTokens`); the
        answer is the one `analyse_reference` gives."""
        full, distinct, found = self._prescan(title, text)
        if not found:
            return Analysis(full, len(title), [], ())
        tokens = NearTokens(full, self._starts(distinct, found))
        matches, occurrences = _Scan(self, full, len(title), tokens).run()
        return Analysis(full, len(title), matches, tuple(occurrences))

    def analyse_reference(self, title: str, text: str, lang: str | None = None) -> Analysis:
        """`analyse` the straightforward way, every token of the article tokenized
        and looked at (`AllTokens`): slower, kept to check `analyse` against."""
        full, _, found = self._prescan(title, text)
        if not found:
            return Analysis(full, len(title), [], ())
        matches, occurrences = _Scan(self, full, len(title), AllTokens(full)).run()
        return Analysis(full, len(title), matches, tuple(occurrences))

    def _prescan(self, title: str, text: str) -> tuple[str, set[str], set[str]]:
        """(article text, its distinct words, those a scan may start from), the last
        two empty when no watched surname, case or keyword word occurs in it (most
        articles: then the cost is one `findall` and a set lookup per word)."""
        if len(self._hits) > _CACHE_LIMIT:
            self._forget()  # between articles: the word sets below stay whole
        full = article_text(title, text)
        every = words(full)
        # Words that start something, or new words (filtering beats a set difference).
        found = set(itertools.filterfalse(self._boring.__contains__, every))
        if not found:
            return full, found, found
        for word in found - self._scan_words.keys():
            self._classify(word)
        found.difference_update(self._boring)
        distinct = set(every)
        if found.isdisjoint(self._anchor_words) and not self._phrase_possible(distinct, found):
            return full, distinct, set()
        return full, distinct, found

    def _forget(self) -> None:
        self._hits.clear()
        self._anchor_words.clear()
        self._weak_words.clear()
        self._scan_words.clear()
        self._forms.clear()
        self._boring.clear()

    def hits(self, word: str) -> tuple[Hit, ...]:
        """Watched words this text word is a form of (cached per distinct word)."""
        found = self._hits.get(word)
        if found is None:
            found = self._hits[word] = self._lookup(word)
        return found

    def _classify(self, raw: str) -> None:
        # A word as `words` gives it may be quoted ('Kulekbaev'): judge the token.
        word = raw.strip(APOSTROPHES)
        index = self.index
        word_hits = self.hits(word)
        capital = word[:1].isupper()
        firsts = [w for w, _ in word_hits if w in index.phrase_starts]
        if any(w in self._single for w in firsts) or (
            capital and any(w in index.name_uses for w, _ in word_hits)
        ):
            self._scan_words[raw] = None
        elif firsts:
            self._scan_words[raw] = frozenset(n for w in firsts for n in self._second[w])
        else:
            self._boring.add(raw)
        for w, _ in word_hits:
            if w in self._seconds:
                self._forms.setdefault(w, set()).add(raw)
        # Names are capitalised in text: a lowercase word cannot start a name match.
        anchors = index.anchors if capital else index.phrase_anchors
        starts = [w for w, _ in word_hits if w in anchors]
        if any(w in index.alone for w in starts):
            self._anchor_words.add(raw)
        elif starts:  # starts only phrases of several words
            self._weak_words[raw] = {n for w in starts for n in index.phrase_next.get(w, ())}

    def _starts(self, distinct: set[str], found: set[str]) -> list[str]:
        """The article's words a scan starts from (of `found`): `prison` of `prison
        term` only when a form of `term` is in the article too."""
        out = []
        for word in found:
            needs = self._scan_words[word]
            if needs is None or any(not distinct.isdisjoint(self._forms.get(n, ())) for n in needs):
                out.append(word)
        return out

    def _phrase_possible(self, distinct: set[str], found: set[str]) -> bool:
        """Does a word that starts a phrase of several words occur with that phrase's
        second word? (Most articles with `prison` have no `term`.)"""
        needed: set[int] = set()
        for word in found & self._weak_words.keys():
            needed |= self._weak_words[word]
        if not needed:
            return False
        return any(not distinct.isdisjoint(self._forms.get(n, ())) for n in needed)

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
    """One article being matched: its tokens (a `Tokens` source), hits, and what
    they add up to."""

    def __init__(self, matcher: Matcher, full: str, title_end: int, tokens: Tokens) -> None:
        self.ix: CompiledWatchlist = matcher.index
        self.full = full
        self.title_end = title_end
        self.tokens = tokens
        self.hits = matcher.hits  # per token text, cached on the matcher
        self.sentence = tokens.sentence

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

    def _regions(self, phrases: list[_Placed]) -> list[Occurrence]:
        regions = self.ix.watchlist.regions
        return [
            Occurrence(regions[p.owner].name, "region", first[0], last[1], 1.0, "region", sentence)
            for p, first, last, sentence in phrases
            if p.purpose == "region"
        ]

    def _phrases(self) -> list[_Placed]:
        """(phrase, first token, last token, sentence) for every phrase found."""
        ix, out = self.ix, []
        for token in self.tokens.starts():
            for word_id, _ in self.hits(token[2]):
                for phrase_no in ix.phrase_starts.get(word_id, ()):
                    phrase = ix.phrases[phrase_no]
                    if phrase.proper and not token[2][:1].isupper():
                        continue
                    end = self._phrase_end(phrase, token)
                    if end is None:
                        continue
                    out.append((phrase, token, end, self.sentence(token)))
        return out

    def _phrase_end(self, phrase: Phrase, first: Tok) -> Tok | None:
        """The last token of `phrase` starting at token `first`, or None. A keyword
        phrase may have one pronoun inside (found him guilty, признал его виновным)."""
        token: Tok | None = first
        last = first
        gap = phrase.purpose == "keyword" and len(phrase.words) > 1
        for k, want in enumerate(phrase.words):
            if k:
                token = self.tokens.after(last)
            if token is None:
                return None
            if k and gap and not any(w == want for w, _ in self.hits(token[2])):
                if light_keys(token[2])[0] not in _PRONOUNS:
                    return None
                gap, token = False, self.tokens.after(token)
                if token is None:
                    return None
            if not any(w == want for w, _ in self.hits(token[2])):
                return None
            last = token
        return last

    def _people(self) -> list[_Found]:
        out = []
        for token in self.tokens.starts():
            if not token[2][:1].isupper():
                continue  # names are capitalised; lowercase «мама» is not Mamay
            for word_id, female in self.hits(token[2]):
                for use in self.ix.name_uses.get(word_id, ()):
                    person = self.ix.people[use.owner]
                    found = self._assemble(person, token, female, role=use.role)
                    if found is not None:
                        out.append(found)
        return out

    def _assemble(
        self, person: PersonIndex, token: Tok, female: bool, *, role: str
    ) -> _Found | None:
        """Score a surname hit by its neighbours. `role`: surname; root or loose (a
        bare root, a Kazakh spelling: only with a given name or initial); fuzzy
        (one letter off: 0.9 with a given name or initial, else below the line)."""
        best: tuple[float, str, Tok] | None = None
        other = False
        for distance, near in self._neighbours(token):
            if not near[2][:1].isupper():
                continue
            if any(w in person.given for w, _ in self.hits(near[2])):
                best = (1.0, "full name", near)
                break
            if self._is_initial(near):
                if skeletons(near[2])[0][:1] in person.initials:
                    best = best or (0.9, "initial + surname", near)
                elif distance == 1:
                    other = True
            elif self._is_given_one_letter_off(near, person):
                best = best or (0.9, "full name, given name one letter off", near)
            elif distance == 1 and self._is_other_given_name(near, person):
                other = True
        sentence = self.sentence(token)
        if best is not None:
            score, reason, near = best
            if role == "fuzzy":
                score, reason = score - 0.1, f"{reason}, surname one letter off"
            start, end = min(token[0], near[0]), max(token[1], near[1])
            return _Found(person.entry_id, "person", start, end, score, reason, sentence)
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
            score, reason = (0.7 if has_cyrillic(token[2]) else 0.45), "surname, feminine form"
        return _Found(person.entry_id, "person", token[0], token[1], score, reason, sentence)

    def _is_given_one_letter_off(self, near: Tok, person: PersonIndex) -> bool:
        """Nurlam for Nurlan: an unknown word one edit from a given name of 5+ letters."""
        if self.hits(near[2]) or is_known_given_name(near[2]):
            return False
        key = skeletons(near[2])[0]
        return len(key) >= 5 and any(
            len(given) >= 5 and Levenshtein.distance(key, given, score_cutoff=1) <= 1
            for given in person.given_keys
        )

    def _neighbours(self, token: Tok) -> Iterator[tuple[int, Tok]]:
        """(distance in words, token) near `token`, nearest first, the left one first
        on a tie, not across blocking punctuation; read only as far as asked."""
        left = right = token
        left_open = right_open = True
        for distance in range(1, _WINDOW + 1):
            if left_open:
                near = self.tokens.before(left)
                if near is None or self._blocked(near, left):
                    left_open = False
                else:
                    left = near
                    yield distance, near
            if right_open:
                near = self.tokens.after(right)
                if near is None or self._blocked(right, near):
                    right_open = False
                else:
                    right = near
                    yield distance, near

    def _blocked(self, left: Tok, right: Tok) -> bool:
        """Does punctuation between two neighbouring tokens part them (a comma, a
        sentence end: not the full stop of an initial)?"""
        gap = self.full[left[1] : right[0]]
        if gap == " ":
            return False
        return _BLOCKING.search(gap) is not None and not (
            self._is_initial(left) and gap.strip() == "."
        )

    def _is_initial(self, token: Tok) -> bool:
        """One capital letter, or a digraph like Sh/Zh/Kh, followed by a full stop."""
        text = token[2]
        return (
            (len(text) == 1 or (len(text) == 2 and text[1].islower() and text.isalpha()))
            and text[:1].isupper()
            and self.full[token[1] : token[1] + 1] == "."
        )

    def _is_other_given_name(self, near: Tok, person: PersonIndex) -> bool:
        token_hits = self.hits(near[2])
        if any(w in person.given for w, _ in token_hits):
            return False
        return any(w in self.ix.given_words for w, _ in token_hits) or is_known_given_name(near[2])

    def _cases(self, phrases: list[_Placed]) -> list[_Found]:
        out = []
        groups: dict[tuple[int, int], set[int]] = defaultdict(set)  # (pattern, sentence)
        spans: dict[tuple[int, int], list[int]] = defaultdict(list)
        for phrase, first, last, sentence in phrases:
            if phrase.purpose in ("case", "everyday"):
                case = self.ix.watchlist.cases[phrase.owner]
                reason = "alias" if phrase.purpose == "case" else EVERYDAY
                out.append(_Found(case.id, "case", first[0], last[1], 1.0, reason, sentence))
            elif phrase.purpose == "together":
                pattern = phrase.group >> 8
                groups[pattern, sentence].add(phrase.group & 0xFF)
                spans[pattern, sentence] += [first[0], last[1]]
        for (pattern, sentence), seen in groups.items():
            case_no, size = self.ix.patterns[pattern]
            if len(seen) == size:
                where = spans[pattern, sentence]
                case_id = self.ix.watchlist.cases[case_no].id
                out.append(
                    _Found(case_id, "case", min(where), max(where), 0.8, "pattern", sentence)
                )
        return out

    def _keywords(self, phrases: list[_Placed], scoped: set[int]) -> list[_Found]:
        out = []
        for phrase, first, last, sentence in phrases:
            if phrase.purpose != "keyword":
                continue
            keyword = self.ix.watchlist.keywords[phrase.owner]
            if keyword.scope and phrase.owner not in scoped:
                continue
            # Inside a phrase that changes its sense (a free trial): below the line.
            other_sense = any(
                s.owner == phrase.owner and s_first[0] <= first[0] and last[0] <= s_last[0]
                for s, s_first, s_last, _ in phrases
                if s.purpose == "sense"
            )
            out.append(
                _Found(
                    keyword.id,
                    "keyword",
                    first[0],
                    last[1],
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
