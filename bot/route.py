"""Where a new article goes: an urgent alert, the digest, or stored unsent.
Pure: no I/O, no clock."""

from collections.abc import Sequence

from core.records import ArticleIntent, Match, ParsedArticle
from matchers import Watchlist, is_urgent


def route(
    article: ParsedArticle, lang: str, matches: Sequence[Match], watchlist: Watchlist
) -> ArticleIntent:
    """The article with its matches: queued when a match is deliverable, as an urgent
    alert when a person or case comes with a keyword marked urgent."""
    found = list(matches)
    return ArticleIntent(article, lang, tuple(found), is_urgent(found, watchlist))
