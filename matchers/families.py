"""Word families of keyword terms, and the court lexicon's expansion. Pure functions.

A keyword term finds its inflections (matchers.forms) and, by default, its
family: the term is cut to a stem with explicit ending tables, and any
derivation + inflection from the tables below may follow the stem:

    convicted  → convict  + s, ed, ing, ion, ions …      (conviction, convicting)
    задержан   → задерж   + ан, али, ание, анный …       (задержали, задержание)
    обвинение  → обвин    + ение, ил, ительный, яемый …  (обвинил, обвинительный)
    кассация   → кассаци  + я, онный …; кассация + лық   (кассационный, кассациялық)
    сотталды   → соттал   + ды, ған, ып …                (сотталған)

A stem shorter than FAMILY_MIN_STEM letters gets no family, so `суд` never
finds `судья` or `судьба`. `word*` in a term is an explicit prefix family: any
word that starts with `word` (up to PREFIX_REACH more letters). `exact: true`
on a keyword entry turns families and the lexicon off for its terms.
"""

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from matchers.lexicon import CONCEPTS, Concept
from matchers.normalize import has_cyrillic, light_key, tokenize

FAMILY_MIN_STEM = 5
PREFIX_REACH = 12  # letters after a `word*` prefix


def _split(words: str) -> list[str]:
    return words.split()


# Endings cut from a term to find its stem, longest first.
_STRIP_CYRILLIC = sorted(
    _split("""ительный ительная ительное ительного ованный ованная ированный ельный енный ённый
    анный янный аемый яемый емый имый ение ание яние ения ания ению анию ением анием ении
    ании ировать овать евать ывать ивать ость ация ия ать ять ить еть ался ился ала али ало
    ила или ило ела ели ена ены ено ана аны ано ал ил ел ен ён ан ый ий ой ая яя ое ее ые ие
    ом ем ам ям ах ях ов ев а я о е ы и у ю ь й
    ғандар гендер қандар кендер ған ген қан кен ды ді ты ті ушы уші ау еу у"""),
    key=len,
    reverse=True,
)
_STRIP_LATIN = sorted(
    _split(
        """ations ation ions ion ings ing ments ment ed es s e al or ors gandar gender qandar
        kender ğan gan gen qan ken dy di ty ti ushy ushi uşy uşı au eu u"""
    ),
    key=len,
    reverse=True,
)
# What may follow a stem: Russian derivation + inflection (and -ся), Kazakh verb forms.
_RU_DERIVATION = _split(
    """- а я е и о у ан ян ен ён он ал ял ил ел ат ят ит ет ани ени яни анн енн ённ янн
    ительн ательн ельн ционн ионн онн ци ов ова ован овал ованн ыва ива ыв ив яем аем ем им ющ
    ящ ающ яющ вш ивш авш ск еск"""
)
_RU_INFLECTION = _split(
    """- а я о е ы и у ю ь й ий ый ой ая яя ое ее ые ие ого его ому ему ым им ом ем ую
    юю ых их ыми ими ей ою ам ям ами ями ах ях ов ев ть ти т ют ет ит ат ят ут л ла ло ли ия ии
    ию ией ие ием"""
)
_KK_VERB = _split(
    """ды ді ты ті ған ген қан кен ады еді йды йді аған еген ап еп ып іп п ау еу у уы уын
    уға уды уда уының ушы уші аушы еуші ушылар ылды ілді ылған ілген ар ер мақ мек са се
    ғандар гендер қандар кендер"""
)
_KK_DERIVATION = _split("лық лік дық дік тық тік лы лі ды ді шы ші")
_EN = _split("""- s es e ed d ing ings ion ions ation ations ment ments al als or ors ee ees""")
# Family forms that are other words.
FAMILY_STOP = frozenset({"detente", "detentes"})


def _clean(items: Iterable[str]) -> list[str]:
    return ["" if i == "-" else i for i in items]


def _light_set(words: Iterable[str]) -> frozenset[str]:
    return frozenset(light_key(w) if w else "" for w in words)


# fmt: off
_TO_2021 = {"ы": "y", "і": "ı", "ғ": "ğ", "қ": "q", "ң": "ñ", "ш": "ş", "ұ": "ū", "ү": "ü",
            "ә": "ä", "ө": "ö", "у": "u", "ж": "j", "й": "i"}
_TO_PASSPORT = {"ы": "y", "і": "i", "ғ": "g", "қ": "k", "ң": "n", "ш": "sh", "ұ": "u", "ү": "u",
                "ә": "a", "ө": "o", "у": "u", "ж": "zh", "й": "i", "а": "a", "д": "d", "т": "t",
                "е": "e", "п": "p", "л": "l", "м": "m", "к": "k", "г": "g", "н": "n", "р": "r",
                "с": "s", "о": "o", "б": "b", "и": "i", "ч": "ch"}
# fmt: on
_CYR_TO_LAT_2021 = str.maketrans(_TO_2021)
_CYR_TO_LAT_PASSPORT = str.maketrans(_TO_PASSPORT)


def _latin(cyrillic: Iterable[str]) -> set[str]:
    """Kazakh suffixes in the 2021 Latin alphabet and in passport-style Latin."""
    return {w.translate(_CYR_TO_LAT_2021).translate(_CYR_TO_LAT_PASSPORT) for w in cyrillic} | {
        w.translate(_CYR_TO_LAT_PASSPORT) for w in cyrillic
    }


_RU_FAMILY = _light_set(
    d + i + r
    for d, i in itertools.product(_clean(_RU_DERIVATION), _clean(_RU_INFLECTION))
    for r in ("", "ся", "сь")
    if not r or i in ("", "л", "ла", "ло", "ли", "ть", "т", "ют", "ет", "ит", "ат", "ят", "ут")
)
_KK_VERB_SET = _light_set(_KK_VERB)
CYRILLIC_FAMILY_REMS = _RU_FAMILY | _KK_VERB_SET
LATIN_FAMILY_REMS = _light_set(_clean(_EN)) | _light_set(_latin(_KK_VERB))
# After a nominative (кассация → кассациялық), with or without a case ending.
KAZAKH_DERIVATION_REMS = _light_set([*_KK_DERIVATION, *_latin(_KK_DERIVATION)]) | _light_set(
    d + c
    for d in [*_KK_DERIVATION, *_latin(_KK_DERIVATION)]
    for c in ("ы", "і", "қа", "ке", "ға", "ге", "та", "те", "да", "де", "y", "ı", "i")
)


@dataclass(frozen=True, slots=True)
class Family:
    """A term's family: the stem (a light key) and the remainders allowed after it."""

    stem: str
    rems: frozenset[str]


def family_of(word: str) -> Family | None:
    """The word's family, or None when its stem would be shorter than FAMILY_MIN_STEM."""
    key = light_key(word)
    cyrillic = has_cyrillic(key)
    strip = _STRIP_CYRILLIC if cyrillic else _STRIP_LATIN
    stem = key
    for ending in strip:
        if key.endswith(ending) and len(key) - len(ending) >= FAMILY_MIN_STEM:
            stem = key[: -len(ending)]
            break
    if len(stem) < FAMILY_MIN_STEM:
        return None
    return Family(stem, CYRILLIC_FAMILY_REMS if cyrillic else LATIN_FAMILY_REMS)


def concept_of(term: str) -> Concept | None:
    """The lexicon concept a term belongs to: the same word, or one of its family."""
    key = light_key(term)
    family = family_of(term) if len(tokenize(term)) == 1 else None
    for concept in CONCEPTS:
        for word in concept.words:
            if light_key(word) == key:
                return concept
            if family is not None and len(tokenize(word)) == 1:
                other = family_of(word)
                if other is not None and other.stem == family.stem:
                    return concept
    return None


@dataclass(frozen=True, slots=True)
class Expansion:
    """A keyword's terms after the lexicon: what the user wrote, what it brought."""

    terms: tuple[str, ...]  # the user's terms, then the lexicon's additions
    added: tuple[str, ...]  # the additions alone
    concepts: tuple[str, ...]  # the concepts the terms belong to
    context: tuple[str, ...]  # the concepts' sense-changing phrases


def expand_terms(terms: Iterable[str], *, exact: bool = False) -> Expansion:
    """A keyword's terms plus, unless `exact`, every word of their concepts."""
    own = tuple(dict.fromkeys(terms))
    if exact:
        return Expansion(own, (), (), ())
    concepts: dict[str, Concept] = {}
    for term in own:
        concept = concept_of(term.rstrip("*"))
        if concept is not None:
            concepts.setdefault(concept.id, concept)
    have = {light_key(t) for t in own}
    added = []
    for concept in concepts.values():
        for word in concept.words:
            if light_key(word) not in have:
                have.add(light_key(word))
                added.append(word)
    context = tuple(dict.fromkeys(p for c in concepts.values() for p in c.context))
    return Expansion((*own, *added), tuple(added), tuple(concepts), context)
