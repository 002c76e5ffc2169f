"""The main text of an article page. Pure: no network, no database, no clock.

trafilatura does the work when it is installed (`pip install trialwatch[fulltext]`):
it is maintained for exactly this (boilerplate, menus and comments removed) and
scores at the top of published main-text extraction comparisons. It is an
extra because it and its dependencies (lxml, babel, dateparser) add ~65 MB,
which the Docker image cannot carry under its 250 MB budget. Without it, a
plain fallback keeps the text of the page's <article> (else <main>, else
<body> less navigation, header, footer, asides and forms).
"""

import importlib.util
import re
from html.parser import HTMLParser

# Imported on first use: it costs ~0.2 s and ~11 MiB, and most outlets never need it.
HAVE_TRAFILATURA = importlib.util.find_spec("trafilatura") is not None

_LEAVE_OUT = {"nav", "header", "footer", "aside", "form", "script", "style", "noscript", "template"}
_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "section",
    "tr",
    "figcaption",
}
_CONTAINERS = ("article", "main", "body")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_LINES = re.compile(r"\s*\n\s*")
MIN_CONTAINER = 200  # characters: a shorter <article> is a teaser card, not the article


def extract_text(html: str, url: str | None = None) -> str | None:
    """The article's main text, paragraphs separated by newlines; None when none is found."""
    if HAVE_TRAFILATURA:
        import trafilatura

        text = trafilatura.extract(
            html, url=url, include_comments=False, include_tables=False, favor_precision=True
        )
    else:
        text = fallback_text(html)
    return text.strip() or None if text else None


def fallback_text(html: str) -> str | None:
    """The text of <article>, else <main>, else <body>, without page furniture."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    for container in _CONTAINERS:
        text = _LINES.sub("\n", _SPACES.sub(" ", "".join(collector.parts[container]))).strip()
        if len(text) >= MIN_CONTAINER or (container == "body" and text):
            return text
    return None


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: dict[str, list[str]] = {c: [] for c in _CONTAINERS}
        self.open: dict[str, int] = dict.fromkeys(_CONTAINERS, 0)
        self.left_out = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.open:
            self.open[tag] += 1
        elif tag in _LEAVE_OUT:
            self.left_out += 1
        elif tag in _BLOCK:
            self.handle_data("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            self.open[tag] = max(0, self.open[tag] - 1)
        elif tag in _LEAVE_OUT:
            self.left_out = max(0, self.left_out - 1)
        elif tag in _BLOCK:
            self.handle_data("\n")

    def handle_data(self, data: str) -> None:
        if self.left_out:
            return
        for container, depth in self.open.items():
            if depth:
                self.parts[container].append(data)
