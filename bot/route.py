"""Where a new article goes: an urgent alert, the digest, or stored unsent; and to
which destinations. Pure: no I/O, no clock (`now` comes in)."""

import logging
from collections.abc import Sequence
from datetime import datetime

from bot.destinations import ArticleFacts, Destination, destinations_for
from core.records import DEFAULT_DESTINATION, ArticleIntent, OutletForPoll, ParsedArticle
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
    destinations: Sequence[Destination] = (),
) -> ArticleIntent:
    """The article with the matches to store, queued as the relevance rules decide
    (`matchers.relevance.decide_delivery`), for every destination whose filter it
    passes (without destinations, the one chat `default`). What an outlet's first
    successful poll finds is its backlog: never an alert."""
    decision = decide_delivery(
        analysis,
        watchlist,
        published=article.published,
        now=now,
        backlog=outlet.last_success_at is None,
    )
    if decision.matches:
        log.debug("%s: %s: %s (%s)", outlet.id, article.url, decision.kind, decision.reason)
    urgent = decision.kind == "urgent"
    routed: tuple[str, ...] = (DEFAULT_DESTINATION,)
    if destinations:
        facts = ArticleFacts(decision.matches, outlet.lang, urgent, regions_in(analysis))
        routed = destinations_for(facts, destinations)
    return ArticleIntent(
        article,
        outlet.lang,
        decision.matches,
        urgent=urgent,
        send=decision.delivered and bool(routed),
        destinations=routed,
    )


def regions_in(analysis: Analysis) -> frozenset[str]:
    """The watchlist regions named in the article, by name, case-folded."""
    return frozenset(o.entry_id.casefold() for o in analysis.occurrences if o.kind == "region")
