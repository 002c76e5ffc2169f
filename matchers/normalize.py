"""Turn words into comparable keys. Pure functions: no I/O, no clock.

Two keys, both made the same way for watchlist words and article words:

- `skeleton(word)`: lossy and script-independent, for names. Cyrillic (Russian
  and Kazakh) and Latin spellings of one name share a skeleton:
  Kulekbayev = Kulekbaev = Kulekbajev = Кулекбаев = Құлекбаев = Qulekbaev.
  Latin `j` is ambiguous (ж in Jandarbekov, й in Kulekbajev), so a word with a
  bare `j` has two skeletons: `skeletons(word)`.
- `light_key(word)`: case, Unicode form, stress marks, ё/е, invisible
  characters and Latin look-alikes inside Cyrillic words folded, nothing more.
  For ordinary words (keywords), where skeletons would merge суд and судья.
"""

import re
import unicodedata
from dataclasses import dataclass

# Soft hyphen, zero-width space/joiners, word joiner, BOM: invisible inside words.
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
APOSTROPHES = "'’ʼʻ`´"
_WORD = re.compile(rf"[\w\u0300-\u036f{INVISIBLE}{APOSTROPHES}]+")
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
    "ə": "a", "ŋ": "n", "ß": "ss", "ø": "o", "đ": "d", "ł": "l", "æ": "ae", "œ": "oe",
}  # fmt: skip
_TRANSLIT = str.maketrans({**CYRILLIC_TO_LATIN, **_LATIN_SPECIAL})
# Latin letters that look Cyrillic, as they appear inside Cyrillic words.
_LOOKALIKES = str.maketrans("AaBCcEeHKMOoPpTXxy", "АаВСсЕеНКМОоРрТХху")
_HAS_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
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


def light_key(word: str) -> str:
    """Case- and form-insensitive key that keeps the word's own letters."""
    word = unicodedata.normalize("NFC", word).translate(_DROP)
    if not word.isascii():
        decomposed = unicodedata.normalize("NFD", word)
        # Drop stress and other marks, but keep й (и + breve) whole.
        kept = "".join(
            c for i, c in enumerate(decomposed)
            if not unicodedata.combining(c)
            or (c == "\u0306" and i and decomposed[i - 1] in "иИ")
        )  # fmt: skip
        word = unicodedata.normalize("NFC", kept)
        if _HAS_CYRILLIC.search(word):
            word = word.translate(_LOOKALIKES)
    return word.casefold().replace("ё", "е")


def ascii_form(word: str) -> str:
    """The word in lower-case ASCII: Cyrillic and Kazakh transliterated, marks dropped."""
    word = unicodedata.normalize("NFC", word).translate(_DROP).casefold().translate(_TRANSLIT)
    if not word.isascii():
        decomposed = unicodedata.normalize("NFKD", word).translate(_TRANSLIT)
        word = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_ASCII_WORD.sub("", word)


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
