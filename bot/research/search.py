"""Search stored articles by words or by a person's name.

    words   → the database's full-text index (storage.search): every word, as a
              word prefix; snippet around the first hit, hits marked
    a name  → the index's name keys give candidates (every spelling and script
              of the surname); the matcher, compiled for that one name,
              confirms each and supplies form, score and snippet

A query is a name when asked (`name=True`), or when a word looks like a
surname or is a watched person's surname (matchers.searchkeys.looks_like_name).
Both paths run for a name query; results are merged, newest first.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine

from core.records import Match
from core.research import EVERY_ARTICLE, ArticleFilter, StoredArticle
from matchers import Person, Watchlist, compile_watchlist
from matchers.match import article_text
from matchers.names import split_name
from matchers.searchkeys import (
    Marks,
    looks_like_name,
    name_prefixes,
    query_terms,
    surname_keys,
    term_spans,
)
from matchers.snippet import snippet_around
from storage.errors import wrap_errors
from storage.search import find_articles, load_articles, rebuild_index

PAGE = 200  # name candidates checked per round
MAX_CANDIDATES = 20_000  # name candidates checked at most per search


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One article found, with a snippet and where the query sits in it."""

    article: StoredArticle
    snippet: str
    marks: Marks  # (start, end) in snippet
    match: Match | None = None  # for a name hit: the matcher's form, score, reason

    @property
    def when(self) -> datetime:
        return self.article.published or self.article.seen


def search(
    engine: Engine,
    query: str,
    where: ArticleFilter = EVERY_ARTICLE,
    *,
    limit: int = 20,
    name: bool | None = None,
    watchlist: Watchlist | None = None,
    weak: bool = False,
) -> list[SearchHit]:
    """Up to `limit` articles for `query`, newest first.

    `name`: True/False forces the name path on/off; None guesses. `weak` keeps
    name matches below the alert threshold (namesakes, a surname alone when
    common); a query without a given name keeps them anyway. Raises
    StorageError when the database fails.
    """
    terms = query_terms(query)
    if not terms:
        return []
    if name is None:
        watched = [n for p in (watchlist.people if watchlist else ()) for n in (p.name, *p.aliases)]
        name = looks_like_name(query, surname_keys(watched))
    return _search(engine, query, terms, where, limit, name, weak)


@wrap_errors
def reindex(engine: Engine) -> int:
    """Rebuild the search index from the stored articles (after an upgrade changes how
    names are keyed: the index keeps the keys of the version that stored them)."""
    with engine.begin() as connection:
        return rebuild_index(connection)


@wrap_errors
def _search(
    engine: Engine,
    query: str,
    terms: list[str],
    where: ArticleFilter,
    limit: int,
    name: bool,
    weak: bool,
) -> list[SearchHit]:
    with engine.connect() as connection:
        hits = {h.article.id: h for h in _by_words(connection, terms, where, limit)}
        if name:
            for hit in _by_name(connection, query, where, limit, weak):
                hits[hit.article.id] = hit
    ordered = sorted(hits.values(), key=lambda h: (h.when, h.article.id), reverse=True)
    return ordered[:limit]


def _by_words(
    connection: Connection, terms: list[str], where: ArticleFilter, limit: int
) -> list[SearchHit]:
    ids = find_articles(connection, words=terms, where=where, limit=limit)
    return [_word_hit(a, terms) for a in load_articles(connection, ids)]


def _word_hit(article: StoredArticle, terms: list[str]) -> SearchHit:
    """A snippet around the first hit in the body, else in the title, hits marked."""
    full = article_text(article.title, article.text)
    body = len(article.title) + 2 if article.title and article.text else 0
    first = term_spans(full, terms, body, first=True) or term_spans(full, terms, first=True)
    # No span: the index folds a little more than the highlighter; show the start.
    snippet, _ = snippet_around(full, *first[0]) if first else snippet_around(full, 0, 0)
    return SearchHit(article, snippet, term_spans(snippet, terms))


def _by_name(
    connection: Connection, query: str, where: ArticleFilter, limit: int, weak: bool
) -> list[SearchHit]:
    prefixes = name_prefixes(query)
    if not prefixes:
        return []
    # A namesake is someone with another given name: without one in the query, all count.
    weak = weak or not split_name(query).given
    matcher = compile_watchlist(Watchlist(people=(Person(id="query", name=query),)))
    hits: list[SearchHit] = []
    for offset in range(0, MAX_CANDIDATES, PAGE):
        ids = find_articles(
            connection, name_prefixes=prefixes, where=where, limit=PAGE, offset=offset
        )
        for article in load_articles(connection, ids):
            found = [
                m
                for m in matcher.match(article.title, article.text, article.lang)
                if weak or m.deliverable
            ]
            if found:
                m = found[0]
                hits.append(SearchHit(article, m.snippet, (m.snippet_mark,), m))
        if len(hits) >= limit or len(ids) < PAGE:
            break
    return hits[:limit]
