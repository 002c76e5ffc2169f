"""Where an article's words are, for the scan (matchers.match). Pure: no I/O.

A token is `(start, end, text)`: a word of `normalize.tokenize` as a plain tuple.
Two sources give the scan the same answers:

- `AllTokens` tokenizes the whole text: the straightforward reference.
- `NearTokens` finds the words the scan starts from by string search and reads
  only the text around them (the neighbours of a surname, the rest of a phrase),
  and the sentence ends from one regex pass. An article naming a watched person
  then costs what its few hits cost, not a Python step per word: on court news,
  where most articles name somebody, that is most of the matcher's time.
"""

import itertools
import re
from bisect import bisect_right
from collections.abc import Iterable

from matchers.normalize import APOSTROPHES, INVISIBLE, WORD_CHARS, tokenize

Tok = tuple[int, int, str]  # (start, end, text): offsets in the article text
_WORD = re.compile(f"[{WORD_CHARS}]+")
_LETTER = rf"\w\u0300-\u036f{INVISIBLE}"  # word characters but apostrophes
# A word with the apostrophes at its edges left out: a token of `normalize.tokenize`.
_TOKEN = re.compile(rf"[{_LETTER}](?:[{WORD_CHARS}]*[{_LETTER}])?")
_SENTENCE_GAP = re.compile(r"[.!?…]+[\"»”)]*\s|\n")
_GAP = rf"[^{WORD_CHARS}]"
_L = f"[{_LETTER}]"
_LETTERS = re.compile(f"{_L}+")
# Sentence ends in one regex pass. A usual one: a mark right after a word, then marks,
# closing quotes and a space (or a newline), then the next word: after a word of
# 3+ letters (`long`), or of one or two (`short`: an initial? `ends_sentence` says).
# Any other mark (`.` after a space, an apostrophe near) is read word by word.
_MARK = "[.!?…\\n]"
_THEN = rf"(?:(?<=\n)|[.!?…]*[\"»”)]*\s){_GAP}*+(?={_L})"
_SHORT = "|".join(rf"(?<={before}{_L}{{{n}}}{_MARK})" for before in (_GAP, "^") for n in (1, 2))
_ENDS = re.compile(  # the mark first: the regex engine skips to marks fast
    rf"{_MARK}(?:(?<={_L}{{3}}{_MARK})(?P<long>{_THEN})|(?:{_SHORT})(?P<short>{_THEN}))?"
)
_LOOK_AROUND = 40  # characters read beside a token for its neighbours; more if none is there
_UNKNOWN: Tok = (-1, -1, "")


def _bare(text: str, start: int, end: int) -> bool:
    """Is text[start:end] empty or apostrophes only?"""
    return not text[start:end].strip(APOSTROPHES)


def _cut(text: str, at: int) -> bool:
    """Is text[at] a word character (so a window ending or starting there cuts a word)?"""
    return _WORD.match(text, at, at + 1) is not None


def ends_sentence(prev: Tok, gap: str) -> bool:
    """Does a sentence end in `gap`, the text between token `prev` and the next one?
    Not after an initial (A. Kulekbaev)."""
    initial = len(prev[2]) <= 2 and prev[2][:1].isupper() and gap.strip() == "."
    return not initial and _SENTENCE_GAP.search(gap + " ") is not None


def sentence_numbers(text: str, tokens: list[Tok]) -> list[int]:
    """The sentence number of each token of `text`, in order (the first is 0)."""
    numbers, current = [], 0
    for k, token in enumerate(tokens):
        if k and ends_sentence(tokens[k - 1], text[tokens[k - 1][1] : token[0]]):
            current += 1
        numbers.append(current)
    return numbers


def sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    """(start, end) offsets of each sentence of `text`, first word to last word."""
    tokens = [(t.start, t.end, t.text) for t in tokenize(text)]
    spans: dict[int, tuple[int, int]] = {}
    for token, number in zip(tokens, sentence_numbers(text, tokens), strict=True):
        spans[number] = (spans.get(number, token)[0], token[1])
    return tuple(spans[n] for n in sorted(spans))


class AllTokens:
    """Every token of the text, tokenized up front: the reference."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = [(t.start, t.end, t.text) for t in tokenize(text)]
        self._number = {token[0]: n for n, token in enumerate(self.tokens)}
        self._sentences = sentence_numbers(text, self.tokens)

    def starts(self) -> list[Tok]:
        """Tokens the scan starts from: all of them."""
        return self.tokens

    def after(self, token: Tok) -> Tok | None:
        n = self._number[token[0]] + 1
        return self.tokens[n] if n < len(self.tokens) else None

    def before(self, token: Tok) -> Tok | None:
        n = self._number[token[0]] - 1
        return self.tokens[n] if n >= 0 else None

    def sentence(self, token: Tok) -> int:
        return self._sentences[self._number[token[0]]]


class NearTokens:
    """The tokens of the text the scan asks about, read where it asks.

    `words`: raw words of the text (as `normalize.words` gives them) the scan
    starts from; `starts()` gives every token that is one of them, in order.
    `after`, `before` and `sentence` answer as `AllTokens` would.
    """

    def __init__(self, text: str, words: Iterable[str]) -> None:
        self.text = text
        self._starts = sorted(token for word in words for token in self._occurrences(word))
        self._sentence_starts: list[int] = []  # as read so far: see `sentence`
        self._ends = _ENDS.finditer(text)
        self._ends_read = -1  # every sentence start at or before this offset is known
        self._gap_read_to = -1
        # Token start → the token after (before) it, None at the end, as read so far.
        self._next: dict[int, Tok | None] = {}
        self._previous: dict[int, Tok | None] = {}

    def starts(self) -> list[Tok]:
        return self._starts

    def _occurrences(self, word: str) -> list[Tok]:
        """Every place where `word` stands as a whole word (a whole regex match)."""
        text, stripped = self.text, word.strip(APOSTROPHES)
        if not stripped:
            return []
        lead, size, found = word.index(stripped), len(word), []
        at = text.find(word)
        while at >= 0:
            end = at + size
            if not (at and _cut(text, at - 1)) and not (end < len(text) and _cut(text, end)):
                found.append((at + lead, at + lead + len(stripped), stripped))
            at = text.find(word, at + 1)
        return found

    def after(self, token: Tok) -> Tok | None:
        # (A token of no text is a place between words: nothing is known of it.)
        known = self._next.get(token[0], _UNKNOWN) if token[2] else _UNKNOWN
        if known is not _UNKNOWN:
            return known
        text, reach = self.text, _LOOK_AROUND
        while True:
            high = min(len(text), token[1] + reach)
            # From the token's end: what is left of its word is apostrophes (no token).
            found = self._read(token[1], high)
            if found or high == len(text):
                break
            reach *= 4
        self._link([token, *found] if token[2] else found)
        if high == len(text):
            self._next[found[-1][0] if found else token[0]] = None
        return found[0] if found else None

    def before(self, token: Tok) -> Tok | None:
        # (A token of no text is a place between words: nothing is known of it.)
        known = self._previous.get(token[0], _UNKNOWN) if token[2] else _UNKNOWN
        if known is not _UNKNOWN:
            return known
        reach = _LOOK_AROUND
        while True:
            low = max(0, token[0] - reach)
            found = self._read(low, token[0])
            if found or low == 0:
                break
            reach *= 4
        self._link([*found, token] if token[2] else found)
        if low == 0:
            self._previous[found[0][0] if found else token[0]] = None
        return found[-1] if found else None

    def _read(self, low: int, high: int) -> list[Tok]:
        """The whole tokens of text[low:high], in order (a word the window may cut is
        left out)."""
        text = self.text
        out = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text, low, high)]
        # A word at an edge of the window, with nothing but apostrophes to the edge: cut?
        if out and high < len(text) and _cut(text, high) and _bare(text, out[-1][1], high):
            out.pop()
        if out and low and _cut(text, low - 1) and _bare(text, low, out[0][0]):
            out.pop(0)
        return out

    def _link(self, run: list[Tok]) -> None:
        """Remember that the tokens of `run` follow one another."""
        for left, right in itertools.pairwise(run):
            self._next[left[0]] = right
            self._previous[right[0]] = left

    def sentence(self, token: Tok) -> int:
        # Sentence ends are read up to the token asked about (the scan asks in order).
        if token[0] > self._ends_read:
            self._read_ends(token[0])
        return bisect_right(self._sentence_starts, token[0])

    def _read_ends(self, until: int) -> None:
        """Find the sentence starts (offsets of the tokens that begin a sentence, the
        first one aside) up to offset `until` at least."""
        text, found, read_to = self.text, self._sentence_starts, self._gap_read_to
        for m in self._ends:
            kind = m.lastgroup
            at = m.start()
            if kind == "long":
                found.append(m.end())
            elif kind == "short":
                start = at - 2 if at >= 2 and _LETTERS.fullmatch(text, at - 2, at) else at - 1
                if ends_sentence((start, at, text[start:at]), m.group()):
                    found.append(m.end())
            elif at >= read_to:
                # Read the words on both sides: the gap may hold more than this mark.
                prev, after = self.before((at, at, "")), self.after((at, at, ""))
                if after is None:
                    break
                read_to = after[0]
                if prev is not None and ends_sentence(prev, text[prev[1] : after[0]]):
                    found.append(after[0])
            if m.end() > until:
                self._ends_read = m.end()
                self._gap_read_to = read_to
                return
        self._ends_read = len(text)
