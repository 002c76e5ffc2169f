"""Compile a watchlist into an index of stems. Pure: no I/O.

Every watched word (surnames, given names, case and keyword words) is stored
once as stem → (allowed remainders, word id); each word id has its uses:
which entry, in what role, at which position of which phrase.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from matchers.families import (
    KAZAKH_DERIVATION_REMS,
    PREFIX_REACH,
    expand_terms,
    family_of,
)
from matchers.forms import MAX_KAZAKH_REM, KeyFn, Stemmed, intern_set, stemmed
from matchers.lexicon import OTHER_FIELD
from matchers.names import is_female_given_name, split_name
from matchers.normalize import (
    is_capitalized,
    light_keys,
    loosen,
    skeleton,
    skeletons,
    tokenize,
)
from matchers.watchlist import Watchlist

Role = Literal["surname", "root", "loose", "fuzzy", "given", "phrase"]
FUZZY_MIN = 8  # surnames this long (skeleton letters) may be one letter off
Purpose = Literal[
    "case", "everyday", "keyword", "scope", "exclude", "together", "region", "sense", "field"
]


@dataclass(frozen=True, slots=True)
class Use:
    role: Role
    owner: int  # person index, or phrase index for role "phrase"
    position: int = 0  # word position inside the phrase


@dataclass(frozen=True, slots=True)
class Phrase:
    """A sequence of words that matches as a whole (an alias, a term, a pattern word)."""

    owner: int  # entry index (cases, keywords) or pattern/exclude/scope owner
    purpose: Purpose
    words: tuple[int, ...]
    proper: bool  # a one-word proper name: must be capitalised in the text
    group: int = 0  # for `together`: (pattern << 8) | group


@dataclass
class PersonIndex:
    entry_id: str
    surnames: set[int] = field(default_factory=set)
    given: set[int] = field(default_factory=set)
    roots: set[int] = field(default_factory=set)
    initials: set[str] = field(default_factory=set)
    given_keys: set[str] = field(default_factory=set)  # skeletons of the given names
    common: bool = False
    female: bool = False
    excludes: list[int] = field(default_factory=list)


@dataclass
class CompiledWatchlist:
    watchlist: Watchlist
    skeleton_stems: dict[str, list[tuple[Stemmed, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    light_stems: dict[str, list[tuple[Stemmed, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # Names under the loose key (kind: Kazakh spellings), confirmed by a given name only.
    loose_stems: dict[str, list[tuple[Stemmed, int]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # Surname stems and their one-letter deletions → (stem, fuzzy twin word id).
    fuzzy: dict[str, list[tuple[Stemmed, int]]] = field(default_factory=lambda: defaultdict(list))
    word_count: int = 0  # word ids are 0 .. word_count - 1
    name_uses: dict[int, list[Use]] = field(default_factory=dict)  # surname, root, loose, fuzzy
    phrase_starts: dict[int, list[int]] = field(default_factory=dict)  # word → phrases it starts
    given_words: set[int] = field(default_factory=set)
    anchors: set[int] = field(default_factory=set)  # words that can start a match
    phrase_anchors: set[int] = field(default_factory=set)  # those that need no capital
    alone: set[int] = field(default_factory=set)  # anchors that start a match by themselves
    # First word of a phrase → second words: such a word starts a match only with one of them.
    phrase_next: dict[int, set[int]] = field(default_factory=dict)
    entry_numbers: dict[str, int] = field(default_factory=dict)
    people: list[PersonIndex] = field(default_factory=list)
    phrases: list[Phrase] = field(default_factory=list)
    patterns: list[tuple[int, int]] = field(default_factory=list)  # (case index, groups)
    max_rem: int = 0
    _words: dict[tuple[str, bool, bool, bool, bool], int] = field(default_factory=dict)
    _stems: list[list[Stemmed]] = field(default_factory=list)  # per word id
    _skeleton_cache: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def word(
        self,
        text: str,
        *,
        proper: bool,
        place: bool = False,
        family: bool = False,
        prefix: bool = False,
        loose: bool = False,
    ) -> int:
        """The id of a watched word, indexing it on first sight. `family`: also its
        word family (keywords); `prefix`: any word starting with it (`word*`);
        `loose`: a name under the loose key (`loose_skeletons`)."""
        key = (text, proper, family, prefix, loose)
        if key in self._words:
            return self._words[key]
        word_id = self.word_count
        self.word_count += 1
        self._words[key] = word_id
        table: dict[str, list[tuple[Stemmed, int]]]
        key_fn: KeyFn
        if loose:
            table, key_fn = self.loose_stems, self._loose_skeletons
        elif proper:
            table, key_fn = self.skeleton_stems, self._skeletons
        else:
            table, key_fn = self.light_stems, light_keys
        if prefix:
            entries = [Stemmed(k, _NONE, _NONE, prefix=True) for k in key_fn(text)]
            self.max_rem = max(self.max_rem, PREFIX_REACH)
        else:
            entries = stemmed(text, key_fn, place=place)
            if family and not proper:
                entries += _family_stems(text)
        for entry in entries:
            table[entry.stem].append((entry, word_id))
            self.max_rem = max(self.max_rem, MAX_KAZAKH_REM, *(len(r) for r in entry.rems))
        self._stems.append(entries)
        return word_id

    def _skeletons(self, form: str) -> tuple[str, ...]:
        # A name's forms are keyed twice (skeleton, loose): compute each once.
        keys = self._skeleton_cache.get(form)
        if keys is None:
            keys = self._skeleton_cache[form] = skeletons(form)
        return keys

    def _loose_skeletons(self, form: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(loosen(k) for k in self._skeletons(form)))

    def done(self) -> None:
        """Drop what only compiling needed."""
        self._skeleton_cache.clear()
        self._stems.clear()
        self._words.clear()

    def fuzzy_twin(self, word_id: int, person_no: int) -> None:
        """Let a long surname be found one letter off (Serikbulov for Serikbolov):
        its stems and their one-letter deletions lead to a twin word of role fuzzy."""
        twin = self.word_count
        self.word_count += 1
        self._stems.append([])
        self.use(twin, Use("fuzzy", person_no), anchor=True)
        # One entry per stem: the Russian forms and the Kazakh-suffixed nominative merged.
        by_stem: dict[str, list[Stemmed]] = defaultdict(list)
        for entry in self._stems[word_id]:
            if len(entry.stem) >= FUZZY_MIN:
                by_stem[entry.stem].append(entry)
        for stem, entries in by_stem.items():
            merged = Stemmed(
                stem,
                intern_set(r for e in entries for r in e.rems),
                _NONE,
                agglutinative=any(e.agglutinative for e in entries),
            )
            for key in {stem, *(stem[:i] + stem[i + 1 :] for i in range(len(stem)))}:
                self.fuzzy[key].append((merged, twin))

    def use(self, word_id: int, use: Use, *, anchor: bool) -> None:
        # Per role, for the scan: a given name shared by a thousand entries has a
        # thousand uses, which the surname and phrase loops must not walk.
        if use.role == "given":
            self.given_words.add(word_id)
        elif use.role == "phrase":
            if use.position == 0:
                self.phrase_starts.setdefault(word_id, []).append(use.owner)
        else:
            self.name_uses.setdefault(word_id, []).append(use)
            if anchor:
                self.alone.add(word_id)
        if anchor:
            self.anchors.add(word_id)

    def phrase(
        self,
        text: str,
        purpose: Purpose,
        owner: int,
        *,
        names: bool = False,
        group: int = 0,
        family: bool = False,
    ) -> int | None:
        """Index a phrase; `names`: its words are names (skeleton keys, place forms);
        `family`: a one-word term finds its word family; `word*`: a prefix."""
        parts = [t.text for t in tokenize(text)]
        if not parts:
            return None
        prefix = not names and text.rstrip().endswith("*")
        last = len(parts) - 1
        # Case names are names: every word gets skeleton keys, so Qañtar oqiğasy
        # matches Қаңтар оқиғасы; keywords keep their letters (суд is not судья).
        ids = tuple(
            self.word(
                p,
                proper=names,
                place=names,
                family=family and len(parts) == 1,
                prefix=prefix and n == last,
            )
            for n, p in enumerate(parts)
        )
        index = len(self.phrases)
        proper = names and len(parts) == 1 and is_capitalized(parts[0])
        self.phrases.append(Phrase(owner, purpose, ids, proper, group))
        anchor = purpose in ("case", "everyday", "keyword", "together")
        for position, word_id in enumerate(ids):
            self.use(word_id, Use("phrase", index, position), anchor=anchor and position == 0)
        if anchor and not proper:
            self.phrase_anchors.add(ids[0])
        if anchor and len(ids) > 1:
            # "prison term": `prison` alone starts nothing unless `term` is in the article too.
            self.phrase_next.setdefault(ids[0], set()).add(ids[1])
        elif anchor:
            self.alone.add(ids[0])
        return index


def compile_index(watchlist: Watchlist) -> CompiledWatchlist:
    """Index every entry of the watchlist."""
    index = CompiledWatchlist(watchlist)
    index.entry_numbers = {entry: n for n, entry in enumerate(watchlist.entry_ids())}
    for person in watchlist.people:
        _add_person(
            index,
            person.id,
            person.name,
            person.aliases,
            person.surname,
            person.common,
            person.exclude,
        )
    for case_no, case in enumerate(watchlist.cases):
        for name in (case.name, *case.aliases):
            index.phrase(name, "case", case_no, names=True)
        for name in case.everyday:
            index.phrase(name, "everyday", case_no, names=True)
        for pattern in case.together:
            pattern_no = len(index.patterns)
            index.patterns.append((case_no, len(pattern)))
            for group_no, group in enumerate(pattern):
                for alternative in group:
                    index.phrase(
                        alternative, "together", case_no, group=(pattern_no << 8) | group_no
                    )
        for phrase in case.exclude:
            index.phrase(phrase, "exclude", _entry_no(index, case.id))
    for keyword_no, keyword in enumerate(watchlist.keywords):
        expansion = expand_terms(keyword.terms, exact=keyword.exact)
        for term in expansion.terms:
            index.phrase(term, "keyword", keyword_no, family=not keyword.exact)
        for phrase in expansion.context:
            index.phrase(phrase, "sense", keyword_no)
        for term in keyword.scope:
            index.phrase(term, "scope", keyword_no)
        for phrase in keyword.exclude:
            index.phrase(phrase, "exclude", _entry_no(index, keyword.id))
    # Places are names (skeletons, place adjectives, Kazakh suffixes) but start no
    # match: they only qualify what an article's other words found.
    for region_no, region in enumerate(watchlist.regions):
        for name in (region.name, *region.aliases):
            index.phrase(name, "region", region_no, names=True)
    if watchlist.people:
        for phrase in OTHER_FIELD:
            index.phrase(phrase, "field", 0)
    index.done()
    return index


_NONE: frozenset[str] = frozenset()


def _family_stems(term: str) -> list[Stemmed]:
    """A keyword word's family (задержан → задержание) and its Kazakh derivations
    (кассация → кассациялық)."""
    out = [Stemmed(key, KAZAKH_DERIVATION_REMS, _NONE, family=True) for key in light_keys(term)]
    family = family_of(term)
    if family is not None:
        out.append(Stemmed(family.stem, family.rems, _NONE, family=True))
    return out


def _entry_no(index: CompiledWatchlist, entry_id: str) -> int:
    """Exclusions are owned by a global entry number: people, then cases, then keywords."""
    return index.entry_numbers[entry_id]


def _add_person(
    index: CompiledWatchlist,
    entry_id: str,
    name: str,
    aliases: Iterable[str],
    surname: str | None,
    common: bool,
    exclude: Iterable[str],
) -> None:
    person_no = len(index.people)
    person = PersonIndex(entry_id, common=common)
    index.people.append(person)
    for full in (name, *aliases):
        parts = split_name(full, surname if full == name else None)
        if not parts.surname:
            continue
        surname_id = index.word(parts.surname, proper=True)
        person.surnames.add(surname_id)
        index.use(surname_id, Use("surname", person_no), anchor=True)
        # A woman's entry: by her surname's form or her given name (Saule Bekturgan).
        person.female = (
            person.female
            or skeleton(parts.surname).endswith(("ova", "eva", "ina"))
            or any(is_female_given_name(g) for g in parts.given)
        )
        if short := len(skeleton(parts.surname)) <= 4:
            person.common = True  # Mamay ≈ мама: a short surname alone proves little
        variants = _kazakh_variants(parts.surname) + _russian_variants(parts.surname)
        for variant in variants:
            variant_id = index.word(variant, proper=True)
            person.surnames.add(variant_id)
            index.use(variant_id, Use("surname", person_no), anchor=True)
        if not short:
            # Kazakh spellings of the surname (Әбдірахманов): only with a given name.
            for word in (parts.surname, *_russian_variants(parts.surname)[:1]):
                loose_id = index.word(word, proper=True, loose=True)
                index.use(loose_id, Use("loose", person_no), anchor=True)
        if not short and len(skeleton(parts.surname)) >= FUZZY_MIN:
            index.fuzzy_twin(surname_id, person_no)
        root = _root(parts.surname)
        if root and not short and len(skeleton(root)) >= 6:
            root_id = index.word(root, proper=True)
            person.roots.add(root_id)
            index.use(root_id, Use("root", person_no), anchor=True)
        for given in parts.given:
            for loose in (False, True):
                given_id = index.word(given, proper=True, loose=loose)
                person.given.add(given_id)
                index.use(given_id, Use("given", person_no), anchor=False)
            person.initials.add(skeleton(given)[:1])
            person.given_keys.update(skeletons(given))
    for phrase in exclude:
        index.phrase(phrase, "exclude", person_no)


def _root(surname: str) -> str | None:
    """Тастанбеков → Тастанбек: the root Kazakh surnames are also written with."""
    lower = surname.lower()
    if lower.endswith(("ов", "ев", "ov", "ev")) and len(surname) > 5:
        return surname[:-2]
    if lower.endswith(("ova", "eva", "ова", "ева")) and len(surname) > 6:
        return surname[:-3]
    return None


def _russian_variants(surname: str) -> list[str]:
    """Bekturgan → Bekturganov (and its feminine Bekturganova, Бектурганова):
    a surname typed as a bare Kazakh root is also written in the Russian form."""
    skel = skeleton(surname)
    if len(skel) < 6 or skel[-1] in "aeiou" or skel.endswith(_SURNAME_FORMS):
        return []
    if any("\u0400" <= c <= "\u04ff" for c in surname):
        return [surname + "ов", surname + "ұлы", surname + "қызы"]
    return [surname + "ov", surname + "uly", surname + "kyzy"]


_SURNAME_FORMS = ("ov", "ev", "in", "uli", "kizi", "ski", "skii", "enko", "ian", "dze", "Svili")


def _kazakh_variants(surname: str) -> list[str]:
    """Тастанбеков → Тастанбекұлы / Тастанбекқызы, the Kazakh surname style."""
    root = _root(surname)
    if root is None:
        return []
    # One spelling each: skeletons make ұлы = улы = uly = uli.
    if any("\u0400" <= c <= "\u04ff" for c in surname):
        return [root + "ұлы", root + "қызы"]
    return [root + "uly", root + "kyzy"]
