"""The main text of an article page. Pure: no network, no database, no clock.

trafilatura does the work: it is maintained for exactly this (boilerplate,
menus and comments removed) and scores at the top of the published
main-text extraction benchmarks.
"""

import trafilatura


def extract_text(html: str, url: str | None = None) -> str | None:
    """The article's main text, paragraphs separated by newlines; None when none is found."""
    text = trafilatura.extract(
        html, url=url, include_comments=False, include_tables=False, favor_precision=True
    )
    return text.strip() or None if text else None
