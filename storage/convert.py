"""Row ↔ record conversions shared by the storage modules."""

from dataclasses import fields
from datetime import UTC, datetime
from typing import cast

from core.errors import ErrorKind
from core.records import HEALTH_STATES, Health, Match
from storage.models import MatchRow

IN_BATCH = 500  # keys per IN (...) query; well under SQLite's variable limit

# Match fields stored under another column name; `snippet_mark` is two columns.
_COLUMN_OF = {"start": "start_offset", "end": "end_offset"}
_MATCH_FIELDS = [f.name for f in fields(Match) if f.name != "snippet_mark"]


def match_row(article_id: int, m: Match) -> dict[str, object]:
    """The `match` table row of one Match."""
    row: dict[str, object] = {_COLUMN_OF.get(n, n): getattr(m, n) for n in _MATCH_FIELDS}
    row["mark_start"], row["mark_end"] = m.snippet_mark
    return {"article_id": article_id, **row}


def match_of(row: MatchRow) -> Match:
    """The Match a `match` table row holds."""
    values = {n: getattr(row, _COLUMN_OF.get(n, n)) for n in _MATCH_FIELDS}
    return Match(**values, snippet_mark=(row.mark_start, row.mark_end))


def aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def health(value: str) -> Health:
    """The stored state column as its type; only `feeds.health` decides what it holds."""
    assert value in HEALTH_STATES, value
    return value


def error_kind(value: str | None) -> ErrorKind | None:
    """The stored error_kind column as its type; only `core.errors.FeedError` sets it."""
    assert value in (None, "blocked", "broken", "failing"), value
    return cast(ErrorKind | None, value)
