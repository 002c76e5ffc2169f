"""Find watched defendants, cases and keywords in article text. Pure: no I/O."""

from matchers.match import Matcher, compile_watchlist, is_urgent
from matchers.watchlist import Case, Keyword, Person, Watchlist, parse_watchlist

__all__ = [
    "Case",
    "Keyword",
    "Matcher",
    "Person",
    "Watchlist",
    "compile_watchlist",
    "is_urgent",
    "parse_watchlist",
]
