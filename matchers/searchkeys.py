"""What the full-text index stores and what a search looks for. Pure functions: no I/O.

Both databases index the same two strings per article, made here, so SQLite
(FTS5, unicode61 tokenizer) and PostgreSQL (`to_tsvector('simple', …)`) find
the same articles:

- `search_doc(title, text)`: the words, case-folded, marks dropped (ё = е,
  й = и, as FTS5's `remove_diacritics 2` does), separated by single spaces.
- `name_keys(title, text)`: the skeleton (matchers.normalize) of every
  capitalised word. Every spelling and script of a name shares one skeleton,
  so asking for `Кулекбаев` finds `Kulekbayev`; the matcher then confirms
  each candidate (`bot.research.search`), so the index only has to find a
  superset: lower-casing the skeletons (S = sh merges with s) is harmless.

A word query matches articles holding every query word as a word prefix
(`приговор` finds `приговора`); a name query matches articles holding a word
whose skeleton starts with the surname's stem (`name_prefixes`).
"""

import re
import unicodedata
from functools import lru_cache

from matchers.names import looks_like_surname, split_name
from matchers.normalize import skeletons, words

_WORD = re.compile(r"[^\W_]+")
# Combining marks of Latin and Cyrillic letters (accents, breve of й, diaeresis of ё)
# and Cyrillic titlo/stress signs: what FTS5's `remove_diacritics 2` drops for us.
_MARKS = re.compile(r"[\u0300-\u036f\u0483-\u0489]")
MAX_DOC = 400_000  # characters indexed per article; PostgreSQL caps a tsvector at 1 MB
MIN_PREFIX = 3  # a shorter name stem would ask the index for most articles


def fold(text: str) -> str:
    """Case-folded, compatibility-decomposed, marks dropped: `Ёлка` → `елка`."""
    return _MARKS.sub("", unicodedata.normalize("NFKD", text.casefold()))


def search_doc(title: str, text: str) -> str:
    """The words of an article as the index stores them."""
    return " ".join(_WORD.findall(fold(f"{title}\n{text}"[:MAX_DOC])))


def query_terms(query: str) -> list[str]:
    """The words of a query, folded the way `search_doc` folds articles, deduplicated."""
    return list(dict.fromkeys(_WORD.findall(fold(query))))


def name_keys(title: str, text: str) -> str:
    """Skeletons of the article's capitalised words, each once, lower-cased."""
    distinct = dict.fromkeys(words(f"{title}\n{text}"[:MAX_DOC]))  # in order, once each
    return " ".join(dict.fromkeys(key for word in distinct for key in _name_keys_of(word)))


@lru_cache(maxsize=1 << 14)  # news vocabulary repeats: each distinct word is keyed once
def _name_keys_of(word: str) -> tuple[str, ...]:
    if not word[:1].isupper():
        return ()
    return tuple(key.lower() for key in skeletons(word) if key)


def name_prefixes(name: str) -> list[str]:
    """Skeleton stems of the name's surname: every written form of it starts with one.

    Кулекбаев → kulekb (Kulekbayev, Кулекбаевым, Кулекбаева, Kulekbayuly …).
    The -ov/-ev suffix and final vowels go, because feminine, Kazakh (-uly,
    -kyzy) and inflected forms change them; a stem shorter than MIN_PREFIX
    letters keeps them, so the index is not asked for half the archive.
    """
    surname = split_name(name).surname
    prefixes: dict[str, None] = {}
    for key in skeletons(surname) if surname else ():
        key = key.lower()
        stem = key.rstrip("aeiou")
        if stem.endswith(("ov", "ev")):
            stem = stem[:-2].rstrip("aeiou")
        if len(stem) < MIN_PREFIX:
            stem = key
        if stem:
            prefixes[stem] = None
    return list(prefixes)


def looks_like_name(query: str, surnames: frozenset[str] = frozenset()) -> bool:
    """A query is a name when a word looks like a surname (-ov, -eva, -uly …),
    or is one of `surnames` (skeletons of the watched people's surnames)."""
    for word in words(query):
        if looks_like_surname(word) or any(k.lower() in surnames for k in skeletons(word)):
            return True
    return False


def surname_keys(names: list[str]) -> frozenset[str]:
    """Lower-cased skeletons of the surnames of `names`, for `looks_like_name`."""
    keys: set[str] = set()
    for name in names:
        surname = split_name(name).surname
        if surname:
            keys.update(k.lower() for k in skeletons(surname))
    return frozenset(keys)


Marks = tuple[tuple[int, int], ...]


def term_spans(text: str, terms: list[str], start: int = 0, *, first: bool = False) -> Marks:
    """(start, end) of every word of `text` (from `start`) that begins with one of
    the folded `terms`; only the first one when `first`. Words as the index splits them."""
    spans = []
    for m in _WORD.finditer(text, start):
        word = m.group().casefold()
        if not (word.isascii() or unicodedata.is_normalized("NFKD", word)):
            word = fold(word)
        if word.startswith(tuple(terms)):
            spans.append(m.span())
            if first:
                break
    return tuple(spans)


def highlight(snippet: str, marks: Marks, before: str = "[", after: str = "]") -> str:
    """The snippet with each marked span wrapped: `… суд над [Кулекбаевым] …`."""
    out, last = [], 0
    for start, end in sorted(marks):
        if start < last:
            continue
        out += [snippet[last:start], before, snippet[start:end], after]
        last = end
    out.append(snippet[last:])
    return "".join(out)
