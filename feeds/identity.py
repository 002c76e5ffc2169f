"""Which feed items are articles already seen. Pure functions: no network, no database.

An article has two identities, and neither alone is enough:

- its **key**: the guid within its outlet (`guid:<outlet>:<guid>`) when the item has
  one; else its link and title (`url:<link>|<title>`); else its title;
- its **link** (`url_key`): the URL without scheme, `www.`, default port, tracking
  parameters or trailing slash, shared by every outlet.

An item is an article already seen when

1. its key is stored (a stable guid, whatever happened to its URL); or
2. its link is stored for exactly one article, the link is not shared by several
   items of the feed it came in, and either that article is from another outlet
   (the same story carried by two outlets), or one of the two has no guid (an
   edited title, a guid added later), or their titles are the same (a guid that
   changed on an unchanged article).

So a link shared by items with different guids and titles (a court's schedule
page, a live blog's `#post-N` anchors, items that all link to the home page) is
not an identity, and one article whose URL moves (http→https, `www.`, a trailing
slash) while its guid stays is one article. A guid change together with a title
edit makes a new article: nothing is left to tell them apart.
"""

from collections import Counter
from collections.abc import Collection, Sequence

from core.links import url_key
from core.records import KnownArticle, ParsedArticle

__all__ = ["KnownArticle", "article_key", "new_articles", "same_title", "url_key"]


def same_title(a: str, b: str) -> bool:
    """Titles equal but for case and spacing."""
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def article_key(outlet_id: str, link: str | None, guid: str | None, title: str) -> str:
    """The key of an item: guid within the outlet, else link and title, else title."""
    plain_title = " ".join(title.casefold().split())
    if guid and guid.strip():
        return f"guid:{outlet_id}:{guid.strip()}"
    link_key = url_key(link) if link else None
    if link_key:
        return f"url:{link_key}|{plain_title}"
    return f"title:{outlet_id}:{plain_title}"


def new_articles(
    outlet_id: str,
    articles: Sequence[ParsedArticle],
    known_keys: Collection[str],
    by_link: Sequence[KnownArticle],
) -> list[ParsedArticle]:
    """The articles of one outlet's feed not seen before, in feed order, by the rule
    in this module's docstring. `known_keys`: the stored keys among the articles';
    `by_link`: the stored articles sharing a link with them."""
    in_feed = Counter(a.url_key for a in articles if a.url_key)
    stored: dict[str, list[KnownArticle]] = {}
    for known in by_link:
        if known.url_key:
            stored.setdefault(known.url_key, []).append(known)
    return [
        a
        for a in articles
        if a.key not in known_keys and not _seen_by_link(outlet_id, a, in_feed, stored)
    ]


def _seen_by_link(
    outlet_id: str,
    article: ParsedArticle,
    in_feed: Counter[str],
    stored: dict[str, list[KnownArticle]],
) -> bool:
    if not article.url_key or in_feed[article.url_key] > 1:
        return False  # no link, or a link shared in this feed: not an identity
    holders = stored.get(article.url_key, [])
    if len(holders) != 1:
        return False  # never seen, or a link shared by several stored articles
    [known] = holders
    return (
        known.outlet_id != outlet_id
        or not (known.guid and article.guid)
        or known.guid == article.guid
        or same_title(known.title, article.title)
    )
