"""Feed HTML to plain text. Pure functions.

Only real HTML elements are markup: text in angle brackets that is not an HTML
tag (`<rubber stamp>`, `R<D>`) is text and stays. A plain-text field (an RSS
title, an author) is already text once feedparser has read it, so its
markup-like text is not stripped a second time (`plain=True`); complete entity
references left in it (`&nbsp;`, `&#8217;`, from a CDATA title or an outlet that
escapes twice) are still read as the characters they name: nobody means them literally.
"""

import re
from html.parser import HTMLParser

_BLOCK = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "tr", "table", "section", "article", "figure", "figcaption", "hr", "pre",
}  # fmt: skip
_SKIP = {"script", "style", "noscript", "template", "iframe", "object"}
# HTML elements (HTML Living Standard, plus obsolete ones still seen in feeds).
HTML_ELEMENTS = _BLOCK | _SKIP | {
    "a", "abbr", "acronym", "address", "area", "aside", "audio", "b", "base", "bdi", "bdo",
    "big", "body", "button", "canvas", "caption", "center", "cite", "code", "col", "colgroup",
    "data", "datalist", "dd", "del", "details", "dfn", "dialog", "dl", "dt", "em", "embed",
    "fieldset", "font", "footer", "form", "frame", "frameset", "head", "header", "hgroup",
    "html", "i", "img", "input", "ins", "kbd", "label", "legend", "link", "main", "map", "mark",
    "menu", "meta", "meter", "nav", "nobr", "optgroup", "option", "output", "param", "picture",
    "progress", "q", "rp", "rt", "ruby", "s", "samp", "search", "select", "small", "source",
    "span", "strike", "strong", "sub", "summary", "sup", "svg", "tbody", "td", "textarea",
    "tfoot", "th", "thead", "time", "title", "track", "tt", "u", "var", "video", "wbr",
}  # fmt: skip
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
# C0 controls other than tab and newlines, and DEL: invisible, refused by PostgreSQL
# (NUL) and by Telegram, and they split words the matcher should see whole.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_NEWLINES = re.compile(r"\s*\n\s*")
# An & that does not start a complete reference (`R&D`, `AT&T`, `&nothing`): in plain
# text it is a letter, not the start of a legacy entity like `&not`.
_LONE_AMPERSAND = re.compile(r"&(?!#[0-9]+;|#[xX][0-9a-fA-F]+;|[A-Za-z][A-Za-z0-9]{1,31};)")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in HTML_ELEMENTS:
            self.handle_data(self.get_starttag_text() or "")
        elif tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag not in HTML_ELEMENTS:
            self.handle_data(f"</{tag}>")
        elif tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str, *, plain: bool = False) -> str:
    """Visible text of an HTML fragment: tags dropped, entities decoded, spaces tidied.
    With `plain`, the input is text already: only complete references (`&mdash;`)
    are decoded, a bare `&` stays."""
    if "<" not in html and "&" not in html:
        text = html
    else:
        collector = _TextCollector()
        collector.feed(_LONE_AMPERSAND.sub("&amp;", html) if plain else html)
        collector.close()
        text = "".join(collector.parts)
    text = _SPACES.sub(" ", _CONTROLS.sub("", text))
    return _NEWLINES.sub("\n", text).strip()


def one_line(html: str, *, plain: bool = False) -> str:
    """Like `html_to_text`, on a single line (titles, authors)."""
    return " ".join(html_to_text(html, plain=plain).split())
