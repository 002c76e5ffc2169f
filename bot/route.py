"""Where a new article goes: an urgent alert, the digest, or stored unsent; and to
which destinations. Pure: no I/O, no clock."""

from collections.abc import Sequence

from bot.destinations import ArticleFacts, Destination, destinations_for
from core.records import DEFAULT_DESTINATION, ArticleIntent, Match, ParsedArticle
from matchers import Watchlist, is_urgent


def route(
    article: ParsedArticle,
    lang: str,
    matches: Sequence[Match],
    watchlist: Watchlist,
    destinations: Sequence[Destination] = (),
) -> ArticleIntent:
    """The article with its matches: queued when a match is deliverable, as an urgent
    alert when a person or case comes with a keyword marked urgent, for every destination
    whose filter it passes (without destinations, for the one chat `default`)."""
    found = list(matches)
    urgent = is_urgent(found, watchlist)
    routed = (
        destinations_for(ArticleFacts(tuple(found), lang, urgent), destinations)
        if destinations
        else (DEFAULT_DESTINATION,)
    )
    return ArticleIntent(article, lang, tuple(found), urgent, routed)
