"""Turn text into comparable word keys. Pure functions: no I/O, no clock.

Article text and watchlist words go through the same steps, so a key made from
the watchlist equals the key of the same word in an article whatever its case,
Unicode form or invisible characters.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Soft hyphen, zero-width space/joiners, word joiner, BOM: invisible inside words.
INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_WORD = re.compile(rf"[\w\u0300-\u036f{INVISIBLE}'’ʼʻ]+")
_DROP = str.maketrans(dict.fromkeys(INVISIBLE + "'’ʼʻ"))


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text with its offsets in that text."""

    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Split text into words; hyphens and punctuation separate words."""
    return [Token(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


@lru_cache(maxsize=200_000)
def word_key(word: str) -> str:
    """Case- and form-insensitive key of one word."""
    word = unicodedata.normalize("NFC", word).translate(_DROP).casefold()
    decomposed = unicodedata.normalize("NFD", word)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped.replace("ё", "е"))


def phrase_keys(phrase: str) -> tuple[str, ...]:
    """Keys of each word in a watchlist phrase."""
    return tuple(word_key(t.text) for t in tokenize(phrase))
