"""Cut a short "why it matched" excerpt around a match. Pure functions."""

import re

_SENTENCE_END = re.compile(r"[.!?…](?=\s)|\n")
WINDOW = 140  # characters each side at most


def snippet_around(text: str, start: int, end: int) -> tuple[str, tuple[int, int]]:
    """About one sentence around text[start:end], cut at word boundaries.

    Returns the snippet and the (start, end) of the matched form inside it.
    """
    left, cut_left = _left_edge(text, start)
    right, cut_right = _right_edge(text, end)
    raw = text[left:right]
    body = raw.strip()
    lead = len(raw) - len(raw.lstrip())
    prefix = "… " if cut_left else ""
    suffix = " …" if cut_right else ""
    mark_start = len(prefix) + start - left - lead
    snippet = (prefix + body + suffix).replace("\n", " ")
    return snippet, (mark_start, mark_start + end - start)


def _left_edge(text: str, start: int) -> tuple[int, bool]:
    limit = max(0, start - WINDOW)
    edge = None
    for m in _SENTENCE_END.finditer(text, limit, start):
        edge = m.end()
    if edge is not None or limit == 0:
        return (edge or 0), False
    space = text.find(" ", limit, start)
    return (space + 1 if space != -1 else start), True


def _right_edge(text: str, end: int) -> tuple[int, bool]:
    limit = min(len(text), end + WINDOW)
    found = _SENTENCE_END.search(text, end, limit)
    if found:
        return found.end() if text[found.start()] != "\n" else found.start(), False
    if limit == len(text):
        return limit, False
    space = text.rfind(" ", end, limit)
    return (space if space != -1 else end), True
