"""Turn words into comparable keys. Pure functions: no I/O, no clock.

Two keys, both made the same way for watchlist words and article words:

- `skeleton(word)`: lossy and script-independent, for names. Cyrillic (Russian
  and Kazakh) and Latin spellings of one name share a skeleton:
  Kulekbayev = Kulekbaev = Kulekbajev = Кулекбаев = Құлекбаев = Qulekbaev.
  Latin `j` is ambiguous (ж in Jandarbekov, й in Kulekbajev), so a word with a
  bare `j` has two skeletons: `skeletons(word)`.
- `light_key(word)`: case, Unicode form, stress marks, ё/е, invisible
  characters and look-alike letters folded, nothing more. For ordinary words
  (keywords), where skeletons would merge суд and судья.

Look-alike letters (`fold_lookalikes`): a word typed in two scripts, like
`үкiм` with a Latin i, or `vеrdict` with a Cyrillic е, is read in the script
most of its unambiguous letters belong to, and its look-alike letters are
turned into that script. The tables cover every Latin (and Greek) look-alike
of a Russian, Kazakh or Ukrainian Cyrillic letter: а в е к м н о р с т у х
(A a B E e K k M H O o P p C c T X x y), і (i, ı, I, palochka Ӏ), ї (ï), ә (ə ǝ),
ө (ɵ θ ö), ү (y ü), ұ (ɏ), қ (ⱪ), ң (ŋ ⱨ), һ (h); and back. A Latin y inside a
Cyrillic word may be у or ү, so such a word has two light keys (`light_keys`).
"""

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Soft hyphen, zero-width space/joiners, word joiner, BOM: invisible inside words.
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
APOSTROPHES = "'’ʼʻ`´"
# The characters words are made of (a regex class body); apostrophes are stripped at the edges.
WORD_CHARS = rf"\w\u0300-\u036f{INVISIBLE}{APOSTROPHES}"
_WORD = re.compile(f"[{WORD_CHARS}]+")
_DROP = str.maketrans(dict.fromkeys(INVISIBLE + APOSTROPHES))

CYRILLIC_TO_LATIN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya",
    # Kazakh
    "ә": "a", "ғ": "gh", "қ": "q", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
    # Kyrgyz, Uzbek, Tajik, Ukrainian extras
    "ў": "u", "ҳ": "h", "ӣ": "i", "ӯ": "u", "ҷ": "j", "є": "ye", "ї": "yi", "ґ": "g",
}  # fmt: skip
_LATIN_SPECIAL = {
    "ç": "ch", "č": "ch", "ş": "sh", "š": "sh", "ș": "sh", "ŝ": "sh", "ž": "zh", "ı": "i",
    "ə": "a", "ǝ": "a", "ɵ": "o", "ɏ": "u", "ⱪ": "q", "ⱨ": "n", "ŋ": "n", "ß": "ss", "ø": "o",
    "đ": "d", "ł": "l", "æ": "ae", "œ": "oe",
}  # fmt: skip
_TRANSLIT = str.maketrans({**CYRILLIC_TO_LATIN, **_LATIN_SPECIAL})
# Latin and Greek letters that look like Cyrillic ones, as typed inside Cyrillic
# words (Latin keyboards, OCR, copy-paste from PDFs). y/Y may be у or ү: both kept.
_TO_CYRILLIC = {
    **dict(zip("AaBCcEeHKkMOoPpTXxIiıhïÏëË", "АаВСсЕеНКкМОоРрТХхІііһїЇёЁ", strict=True)),
    **dict(zip("əƏǝƎɵƟöÖüÜɏɎⱪⱩŋŊⱨⱧӀӏ", "әӘәӘөӨөӨүҮұҰқҚңҢңҢІі", strict=True)),
    **dict(zip("αΑΒεΕΗιΙκΚΜοΟρΡτΤχΧΥθΘ", "аАВеЕНіІкКМоОрРтТхХУөӨ", strict=True)),
}  # fmt: skip
_Y_AS_STRAIGHT_U = str.maketrans("yY", "үҮ")
_MAX_Y_READINGS = 3  # a word with more Latin y's gets two readings, not 2 ** n
_TO_CYRILLIC_TABLE = str.maketrans({**_TO_CYRILLIC, "y": "у", "Y": "У"})
# Cyrillic letters that look Latin, as typed inside Latin words.
_TO_LATIN_TABLE = str.maketrans(
    dict(zip("АаВЕеКкМНОоРрСсТХхУуҮүІіһЈјЅѕԁԛԝ", "AaBEeKkMHOoPpCcTXxYyYyIihJjSsdqw", strict=True))
)
_AMBIGUOUS = (
    frozenset(_TO_CYRILLIC) | frozenset("yY") | frozenset("АаВЕеКкМНОоРрСсТХхУуҮүІіһЈјЅѕԁԛԝ")
)
_HAS_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_HAS_OTHER_SCRIPT = re.compile(r"[A-Za-z\u00c0-\u02af\u0370-\u03ff\u2c60-\u2c7f\u04c0\u04cf]")
_NOT_ASCII_WORD = re.compile(r"[^a-z0-9]")
_DIGRAPHS = re.compile(r"shch|shh|sch|sh|tch|ch|dzh|dj|zh|kh|gh|ph|ts|tz|cz|q|x|w")
_DIGRAPH_SOUND = {
    "shch": "S", "shh": "S", "sch": "S", "sh": "S", "tch": "C", "ch": "C", "dzh": "J",
    "dj": "J", "zh": "J", "kh": "k", "gh": "g", "ph": "f", "ts": "c", "tz": "c", "cz": "c",
    "q": "k", "x": "k", "w": "v",
}  # fmt: skip
_NG = re.compile(r"ng+")
_GLIDE = re.compile(r"(?<=[aeou])[yi]|[yi](?=[aeou])")
_DOUBLE = re.compile(r"([^aeou])\1+")


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text with its offsets in that text."""

    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Words with offsets; hyphens and punctuation separate words, apostrophes do not."""
    tokens = []
    for m in _WORD.finditer(text):
        start, end = m.span()
        word = m.group()
        stripped = word.strip(APOSTROPHES)
        if not stripped:
            continue
        if stripped != word:
            start += word.index(stripped)
            end = start + len(stripped)
        tokens.append(Token(text[start:end], start, end))
    return tokens


def words(text: str) -> list[str]:
    """Just the words, fast (no offsets): for the pre-scan of an article."""
    return _WORD.findall(text)


def fold_lookalikes(word: str) -> tuple[str, ...]:
    """The word with its look-alike letters in the script of the rest of it.

    `үкiм` (Latin i) → `үкім`; `vеrdict` (Cyrillic е) → `verdict`. Usually one
    spelling; more when a Latin y inside a Cyrillic word may be у or ү. A word in
    one script comes back unchanged. Expects NFC.
    """
    if not _HAS_CYRILLIC.search(word) or not _HAS_OTHER_SCRIPT.search(word):
        return (word,)
    cyrillic = latin = 0
    for c in word:
        if c in _AMBIGUOUS or not c.isalpha():
            continue
        if "\u0400" <= c <= "\u04ff":
            cyrillic += 1
        elif c.isascii():
            latin += 1
    if latin > cyrillic:
        return (word.translate(_TO_LATIN_TABLE),)
    folded = word.translate(_TO_CYRILLIC_TABLE)
    ys = [i for i, c in enumerate(word) if c in "yY"]
    if not ys:
        return (folded,)
    if len(ys) > _MAX_Y_READINGS:  # y all у, or all ү
        return (folded, word.translate(_Y_AS_STRAIGHT_U).translate(_TO_CYRILLIC_TABLE))
    readings = []
    for straight in itertools.product((False, True), repeat=len(ys)):
        letters = list(folded)
        for i, flag in zip(ys, straight, strict=True):
            if flag:
                letters[i] = word[i].translate(_Y_AS_STRAIGHT_U)
        readings.append("".join(letters))
    return tuple(readings)


# Keys are pure functions of a word, asked for again and again (every article word
# beside a hit, every capitalised word of an indexed article): remembered per word.
_KEYS_REMEMBERED = 1 << 14  # ~4 MB each for skeletons and light keys


@lru_cache(maxsize=_KEYS_REMEMBERED)
def light_keys(word: str) -> tuple[str, ...]:
    """Case- and form-insensitive keys that keep the word's own letters: one,
    or two when a look-alike letter has two readings (`fold_lookalikes`)."""
    word = unicodedata.normalize("NFC", word).translate(_DROP)
    if word.isascii():
        return (word.casefold(),)
    # Marks go before the script vote: `ZЀ` is Latin z + Cyrillic е once the grave
    # is dropped, and a key must read the same the second time (idempotent).
    # (before casing too: a capital M is a look-alike of М, a small m is not).
    folded = fold_lookalikes(_unmarked(word))
    return tuple(dict.fromkeys(w.casefold().replace("ё", "е") for w in folded))


def _unmarked(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    # Drop stress and other marks, but keep й (и + breve) whole.
    kept = "".join(
        c for i, c in enumerate(decomposed)
        if not unicodedata.combining(c) or (c == "\u0306" and i and decomposed[i - 1] in "иИ")
    )  # fmt: skip
    return unicodedata.normalize("NFC", kept)


def light_key(word: str) -> str:
    """The first light key of a word (`light_keys`)."""
    return light_keys(word)[0]


def ascii_form(word: str) -> str:
    """The word in lower-case ASCII: Cyrillic and Kazakh transliterated, marks dropped."""
    word = unicodedata.normalize("NFC", word).translate(_DROP)
    word = fold_lookalikes(word)[0].casefold().translate(_TRANSLIT)
    if not word.isascii():
        decomposed = unicodedata.normalize("NFKD", word).translate(_TRANSLIT)
        word = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_ASCII_WORD.sub("", word)


@lru_cache(maxsize=_KEYS_REMEMBERED)
def skeletons(word: str) -> tuple[str, ...]:
    """The word's skeleton(s): one, or two when a Latin `j` may be ж or й."""
    latin = ascii_form(word)
    if latin.endswith("h") and len(latin) > 2 and latin[-2] in "aeiou":
        latin = latin[:-1]  # Khalifah = Khalifa
    sounds = _DIGRAPHS.sub(lambda m: _DIGRAPH_SOUND[m.group()], latin)
    if "j" not in sounds:
        return (_finish(sounds),)
    as_zh, as_y = _finish(sounds.replace("j", "J")), _finish(sounds.replace("j", "y"))
    return (as_zh,) if as_zh == as_y else (as_zh, as_y)


def skeleton(word: str) -> str:
    """The first skeleton of a word (the ж reading of a Latin `j`)."""
    return skeletons(word)[0]


def loose_skeletons(word: str) -> tuple[str, ...]:
    """A looser key for names, used only when a given name or initial confirms it:
    у/ұ/ү/ө (u, o) are one letter and і/ы/i/y after the first letter are dropped,
    so Kazakh spellings of Russian-form surnames meet (Әбдірахманов = Абдрахманов,
    Төлеубаева = Тулеубаева, Tileubaev = Tleubayev)."""
    return tuple(dict.fromkeys(loosen(s) for s in skeletons(word)))


def loosen(key: str) -> str:
    """A skeleton made loose (`loose_skeletons`)."""
    key = key.replace("o", "u")
    return key[:1] + key[1:].replace("i", "")


def _finish(sounds: str) -> str:
    sounds = sounds.replace("h", "k")  # Ruzahunov = Ruzakhunov = Ruzakunov
    sounds = _NG.sub("n", sounds)  # Kazakh ң(ғ): Shyngys = Shynggys, Zhanaozen = Zhangaozen
    sounds = _GLIDE.sub("", sounds)  # Kulekbayev = Kulekbaev, Yerlan = Erlan
    sounds = sounds.replace("y", "i")
    # Keep doubled vowels: collapsing them made Kazakh «аяқтау» equal Aktau.
    return _DOUBLE.sub(r"\1", sounds)


def is_capitalized(word: str) -> bool:
    return word[:1].isupper()


def has_cyrillic(word: str) -> bool:
    return bool(_HAS_CYRILLIC.search(word))
