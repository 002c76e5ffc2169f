"""Inflected forms of watched words, generated on the watchlist side. Pure functions.

Russian and English endings are appended to each watched word (in its own
script, and transliterated for Latin-script words), every form is keyed, and
the forms are stored as a stem plus the set of allowed remainders. Kazakh
suffixes attach to the nominative and are checked against one shared set.
At match time a text word matches when it is stem + allowed remainder: no
morphology runs per article word.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from matchers.normalize import CYRILLIC_TO_LATIN, has_cyrillic, light_keys, loosen, skeletons

KeyFn = Callable[[str], tuple[str, ...]]

# Russian endings by the shape of the nominative.
_RU_CONSONANT = ["", "а", "у", "ом", "ем", "е", "ы", "и", "ов", "ам", "ами", "ах", "ым", "ых",
                 "ыми", "ой", "ою"]  # fmt: skip
_RU_A = ["а", "ы", "и", "е", "у", "ой", "ою", "ам", "ами", "ах"]
_RU_YA = ["я", "и", "е", "ю", "ей", "ею", "ям", "ями", "ях", "ь", "й"]
_RU_SOFT = ["ь", "я", "ю", "ем", "е", "и", "ей", "ям", "ями", "ях"]
_RU_Y = ["й", "я", "ю", "ем", "е", "и", "ев", "ям", "ями", "ях"]
_RU_IE = ["ие", "ия", "ию", "ием", "ии", "ий", "иям", "иями", "иях"]
_RU_O = ["о", "а", "у", "ом", "е", "ам", "ами", "ах"]
_RU_ADJ = ["ый", "ий", "ой", "ого", "его", "ому", "ему", "ым", "им", "ом", "ем", "ая", "яя",
           "ую", "юю", "ое", "ее", "ые", "ие", "ых", "их", "ыми", "ими", "ей"]  # fmt: skip
# Kazakh suffixes, every allomorph: journalists mix them. The case endings
# (genitive, dative, accusative, locative, ablative, instrumental) are the ones
# a person's given name takes; possessive and plural endings are not.
_KK_CASE = ["ның", "нің", "дың", "дің", "тың", "тің", "ға", "ге", "қа", "ке", "на", "не", "а",
            "е", "ны", "ні", "ды", "ді", "ты", "ті", "н", "да", "де", "та", "те", "нда", "нде",
            "дан", "ден", "тан", "тен", "нан", "нен", "мен", "бен", "пен"]  # fmt: skip
KAZAKH_CASE_SUFFIXES = tuple(_KK_CASE)
_KK = [*_KK_CASE,
       "лар", "лер", "дар", "дер", "тар", "тер", "дағы", "дегі", "тағы", "тегі", "ы", "і", "сы",
       "сі", "ын", "ін", "сын", "сін", "ына", "іне", "сына", "сіне", "ында", "інде", "сында",
       "сінде", "ының", "інің", "сының", "сінің", "ынан", "інен", "сынан", "сінен", "лары",
       "лері", "дары", "дері", "тары", "тері", "ларының", "лерінің", "ларына", "леріне",
       "ларынан", "лерінен", "ларда", "лерде", "дарда", "дерде"]  # fmt: skip
_EN = ["", "s", "es", "ed", "d", "ing", "er", "ers"]
# Endings that mark a woman: a man's surname with them is likely a relative.
# (Latin-script "-a" too, but Cyrillic "-а" is also a man's genitive: the
# matcher decides that one by the script of the text word.)
FEMALE_ENDINGS = ("ой", "ою")
_MIN_INFLECTING = 3  # shorter words match only as written (plus English -s)

# Suffixes for Latin-script words: the Cyrillic ones, transliterated.
_CYR_TO_LAT = str.maketrans(CYRILLIC_TO_LATIN)
# Kazakh letters in the 2021 Latin alphabet (ı is і, y is ы): Kazakh-Latin text.
_CYR_TO_LAT_2021 = str.maketrans("ыіғқңшұүәө", "yığqñşūüäö")


@dataclass(frozen=True, slots=True)
class Stemmed:
    """A word's forms as one stem and the remainders allowed after it."""

    stem: str
    rems: frozenset[str]
    female: frozenset[str]  # remainders that mark a feminine form
    agglutinative: bool = False  # Kazakh suffixes (KAZAKH_*_REMS) may follow the stem
    family: bool = False  # a keyword's word family (matchers.families)
    prefix: bool = False  # `word*`: anything may follow

    def allows(self, rem: str, kazakh_rems: frozenset[str]) -> bool:
        return self.prefix or rem in self.rems or (self.agglutinative and rem in kazakh_rems)


def russian_endings(word: str) -> tuple[str, list[str]]:
    """(base, endings): the nominative's ending replaced by each case ending."""
    lower = word.lower()
    if lower.endswith(("ание", "ение", "тие", "ствие")):
        return word[:-2], _RU_IE  # заседание → заседании, заседания
    if lower.endswith("о") and word[:1].islower() and len(lower) > 3:
        return word[:-1], _RU_O  # дело → делу, делом (names in -о, Шевченко, do not decline)
    if lower.endswith(("ый", "ий", "ой", "ое", "ее", "ая", "яя", "ые", "ие")) and len(lower) > 4:
        return word[:-2], _RU_ADJ
    if lower.endswith(("ы", "и")) and len(lower) > 4:
        return word[:-1], _RU_CONSONANT  # a plural: протесты → протестов, протестах
    if lower.endswith("а"):
        return word[:-1], _RU_A
    if lower.endswith("я"):
        return word[:-1], _RU_YA
    if lower.endswith("ь"):
        return word[:-1], _RU_SOFT
    if lower.endswith("й"):
        return word[:-1], _RU_Y
    if lower.endswith(("о", "е", "у", "ю", "и", "ы", "э", "ә", "ө", "ү", "ұ", "і")):
        return word, [""]  # vowel-final names (Актау, Шоқай) do not decline in Russian
    return word, _RU_CONSONANT


def surface_forms(word: str, *, place: bool = False) -> set[str]:
    """Russian and English forms of a watched word, in the word's script.

    Kazakh suffixes are not listed here: they attach to the whole nominative,
    so the matcher checks them against one shared remainder set (KAZAKH_SKELETON_REMS).
    `place`: add Russian place adjectives (Жанаозен → жанаозенские).
    """
    forms = {word, word + "s"}  # English plural and possessive (Kulekbaev's), any script
    if len(word) < _MIN_INFLECTING:
        return forms
    base, endings = russian_endings(word)
    if has_cyrillic(word):
        forms.update(base + e for e in endings)
        if place and endings is _RU_CONSONANT:
            forms.update(word + "ск" + e for e in _RU_ADJ)
        return forms
    forms.update(word + e for e in _EN)
    if word.endswith("e"):
        forms.update((word[:-1] + "ing", word + "d"))  # sentence → sentencing, sentenced
    forms.update(base + e.translate(_CYR_TO_LAT) for e in endings if e)
    return forms


def latin_spelling(cyrillic: str) -> str:
    """A Cyrillic ending spelt in Latin letters (ның → nyn), for Latin-script words."""
    return cyrillic.translate(_CYR_TO_LAT)


def female_forms(word: str) -> set[str]:
    base, endings = russian_endings(word)
    if endings is not _RU_CONSONANT:
        return set()
    if has_cyrillic(word):
        return {base + e for e in FEMALE_ENDINGS}
    return {word + e.translate(_CYR_TO_LAT) for e in FEMALE_ENDINGS}


def stemmed(word: str, keyed_by: KeyFn, *, place: bool = False) -> list[Stemmed]:
    """The word's forms under a key function (skeletons or light keys), as stems:
    one for the Russian/English forms, one for the nominative + Kazakh suffixes."""
    forms = surface_forms(word, place=place)
    female_keys = {k for f in female_forms(word) for k in keyed_by(f)}
    # A Latin `j` gives two readings; keep each reading's forms together.
    readings: dict[int, set[str]] = {}
    for form in forms:
        for reading, key in enumerate(keyed_by(form)):
            readings.setdefault(reading, set()).add(key)
    results = []
    for keys in readings.values():
        stem = _common_prefix(keys)
        results.append(
            Stemmed(
                stem=stem,
                rems=intern_set(k[len(stem) :] for k in keys),
                female=intern_set(k[len(stem) :] for k in keys & female_keys),
            )
        )
    if len(word) >= _MIN_INFLECTING:
        results += [Stemmed(key, _NOTHING, _NOTHING, agglutinative=True) for key in keyed_by(word)]
    return results


_INTERNED: dict[frozenset[str], frozenset[str]] = {}


def intern_set(items: Iterable[str]) -> frozenset[str]:
    """One shared frozenset per distinct remainder set: a 10k watchlist has few."""
    key = frozenset(items)
    return _INTERNED.setdefault(key, key)


def _common_prefix(keys: set[str]) -> str:
    first, last = min(keys), max(keys)
    n = 0
    while n < len(first) and n < len(last) and first[n] == last[n]:
        n += 1
    return first[:n]


_NOTHING: frozenset[str] = frozenset()


def _kazakh_rems(keyed_by: KeyFn, suffixes: Iterable[str] = _KK) -> frozenset[str]:
    """Kazakh suffixes as remainders, in Cyrillic and transliterated to Latin."""
    rems = {""}
    for suffix in suffixes:
        latin_2021 = suffix.translate(_CYR_TO_LAT_2021).translate(_CYR_TO_LAT)
        for spelling in (suffix, suffix.translate(_CYR_TO_LAT), latin_2021):
            rems.update(keyed_by(spelling))
    return frozenset(rems)


KAZAKH_SKELETON_REMS = _kazakh_rems(skeletons)
KAZAKH_LIGHT_REMS = _kazakh_rems(light_keys)
MAX_KAZAKH_REM = max(len(r) for r in KAZAKH_SKELETON_REMS | KAZAKH_LIGHT_REMS)
# The same suffixes under the loose key (matchers.normalize.loose_skeletons),
# loosened as they stand inside a word (after its first letter).
KAZAKH_LOOSE_REMS = frozenset(loosen("b" + r)[1:] for r in KAZAKH_SKELETON_REMS)
