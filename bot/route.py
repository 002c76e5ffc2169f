"""Where a new article goes: an urgent alert, the digest, or stored unsent.
Pure: no I/O, no clock (`now` comes in)."""

import logging
from datetime import datetime

from core.records import ArticleIntent, OutletForPoll, ParsedArticle
from matchers import Watchlist
from matchers.match import Analysis
from matchers.relevance import decide_delivery

log = logging.getLogger(__name__)


def route(
    article: ParsedArticle,
    outlet: OutletForPoll,
    analysis: Analysis,
    watchlist: Watchlist,
    now: datetime,
) -> ArticleIntent:
    """The article with the matches to store, queued as the relevance rules decide
    (`matchers.relevance.decide_delivery`). What an outlet's first successful poll
    finds is its backlog: never an alert."""
    decision = decide_delivery(
        analysis,
        watchlist,
        published=article.published,
        now=now,
        backlog=outlet.last_success_at is None,
    )
    if decision.matches:
        log.debug("%s: %s: %s (%s)", outlet.id, article.url, decision.kind, decision.reason)
    return ArticleIntent(
        article,
        outlet.lang,
        decision.matches,
        urgent=decision.kind == "urgent",
        send=decision.delivered,
    )
