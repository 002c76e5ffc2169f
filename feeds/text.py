"""Feed HTML to plain text. Pure functions.

Only real HTML elements are markup: text in angle brackets that is not an HTML
tag (`<rubber stamp>`, `R<D>`) is text and stays. A plain-text field (an RSS
title, an author) is already text once feedparser has read it, so its
markup-like text is not stripped a second time (`plain=True`); complete entity
references left in it (`&nbsp;`, `&#8217;`, from a CDATA title or an outlet that
escapes twice) are still read as the characters they name: nobody means them literally.
"""

import re
from html import unescape
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
# The runs of _SPACES that are not already a single space.
_SPACE_RUNS = re.compile(r" [ \t\r\f\v\u00a0]+|[\t\r\f\v\u00a0][ \t\r\f\v\u00a0]*")
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
        markup = _LONE_AMPERSAND.sub("&amp;", html) if plain else html
        found = _simple_text(markup)
        text = "".join(_collected(markup) if found is None else found)
    return _tidy(text)


def _tidy(text: str) -> str:
    """Controls dropped, runs of spaces made one, spaces around line breaks and empty
    lines dropped: `_NEWLINES.sub("\\n", _SPACES.sub(" ", ...)).strip()` without a
    regex match at every space (str.strip and regex \\s agree on what is a space)."""
    if _CONTROLS.search(text):
        text = _CONTROLS.sub("", text)
    text = _SPACE_RUNS.sub(" ", text)
    if "\n" not in text:
        return text.strip()
    return "\n".join(line for line in (part.strip() for part in text.split("\n")) if line)


def _collected(markup: str) -> list[str]:
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    return collector.parts


# A start or end tag in its plainest form: a known-looking name, attributes with
# quoted values or bare ones that end before a space or `>`, ASCII spaces only.
_TAG = re.compile(
    r"""<(/?)([a-zA-Z][a-zA-Z0-9]*)"""
    r"""(?:[ \t\n\r\f]+[^ \t\n\r\f"'<>/=]+"""
    r"""(?:[ \t\n\r\f]*=[ \t\n\r\f]*(?:"[^"]*"|'[^']*'|[^ \t\n\r\f"'=<>`/]+(?=[ \t\n\r\f>])))?)*"""
    r"""[ \t\n\r\f]*(/?)>"""
)
# Elements whose content some version of html.parser reads as raw text.
_RAW_TEXT = {
    "script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "plaintext",
    "textarea", "title",
}  # fmt: skip


def _simple_text(markup: str) -> list[str] | None:
    """What `_TextCollector` collects from `markup`, found with one regex, when every
    `<` in it opens a plain tag (`_TAG`) of a known HTML element outside `_RAW_TEXT`
    with no attributes on its end tag; None otherwise (comments, unknown or raw-text
    elements, odd attributes: `_TextCollector` reads those). Same text as html.parser:
    between tags, its character references are decoded with `html.unescape`."""
    parts: list[str] = []
    skipping = 0
    position = 0
    for tag in _TAG.finditer(markup):
        start = tag.start()
        if start > position:
            data = markup[position:start]
            if "<" in data:
                return None
            if not skipping:
                parts.append(unescape(data) if "&" in data else data)
        closing, name, self_closing = tag.groups()
        name = name.lower()
        if name not in HTML_ELEMENTS or name in _RAW_TEXT:
            return None
        if closing and tag.group(0)[len(name) + 2 :].strip(" \t\n\r\f") != ">":
            return None  # an end tag with more than its name
        opens, ends = not closing, bool(closing or self_closing)
        if name in _SKIP:
            skipping += opens
            if ends:
                skipping = max(0, skipping - 1)
        elif name in _BLOCK:
            parts.extend("\n" * (opens + ends))
        position = tag.end()
    data = markup[position:]
    if "<" in data:
        return None
    if data and not skipping:
        parts.append(unescape(data) if "&" in data else data)
    return parts


def one_line(html: str, *, plain: bool = False) -> str:
    """Like `html_to_text`, on a single line (titles, authors)."""
    return " ".join(html_to_text(html, plain=plain).split())
